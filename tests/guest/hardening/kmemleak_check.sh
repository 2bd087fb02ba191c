#!/bin/sh
# On a kernel with kmemleak: scan, and fail on any unreferenced object whose
# allocation backtrace goes through KSM (mm/ksm.c functions). Objects leaked elsewhere
# (boot-time false positives of a tiny configuration) are listed, not failed.
# Skips (exit 4) where kmemleak is not built in.
echo "TAP version 13"
echo "1..1"
k=/sys/kernel/debug/kmemleak
[ -e $k ] || { echo "ok 1 # SKIP no kmemleak in this kernel"; exit 4; }
echo scan >$k; sleep 6; echo scan >$k
ours=$(awk '/^unreferenced object/ { if (keep) n++; keep = 0 }
	/ksm|rmap_item|stable_node|cmp_and_merge|stable_tree/ { keep = 1 }
	END { if (keep) n++; print n + 0 }' $k)
all=$(grep -c "^unreferenced object" $k)
sed 's/^/# /' $k | head -60
if [ "$ours" -eq 0 ]; then
	echo "ok 1 - kmemleak: no leak with a KSM backtrace ($all unreferenced objects in all)"
else
	echo "not ok 1 - kmemleak: $ours leaked objects allocated through KSM"
	exit 1
fi
