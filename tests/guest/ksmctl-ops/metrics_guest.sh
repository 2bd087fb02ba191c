#!/bin/sh
# ksmctl metrics against real Selective KSM partitions (patched kernel,
# busybox sh, root): two partitions with merged processes, every partition
# series equal to its sysfs file, the global series equal to
# /sys/kernel/mm/ksm, the exposition well formed (promtool is not in the
# guest: the host test runs it on the same code), --output equal to stdout,
# a removed partition gone from the series. The merges are checked with
# pagemap PFNs: one physical page inside each partition, none shared across.
KSMCTL=${KSMCTL:-/bin/ksmctl}
PROBE=${PROBE:-/bin/ksm-probe}
PFN=${PFN:-/bin/pfn-count}
S=/sys/kernel/mm/ksm

echo "TAP version 13"
[ -d $S/partition ] || { echo "1..0 # SKIP kernel without Selective KSM"; exit 4; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 4; }

T=$(mktemp -d)
PIDS=""
# ksmd, if an earlier test left it running, would change the global counters
# between ksmctl's read and ours: paused here, run put back at the end
RUN0=$(cat $S/run)
[ "$RUN0" = 1 ] && echo 0 > $S/run
cleanup() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	wait 2>/dev/null
	for n in km-a km-b; do [ -d $S/partition/$n ] && echo $n > $S/control/remove_partition; done
	[ "$(cat $S/run)" = "$RUN0" ] || echo "$RUN0" > $S/run
	rm -rf "$T"
}
trap cleanup EXIT
echo "1..9"
N=0; FAIL=0
ok() { N=$((N + 1)); if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAIL=$((FAIL + 1)); fi; }
diag() { echo "# $*"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }
val() { awk -v s="$1" '$1 == s { print $2 }' "$2"; }

# two partitions; P1 and P2 merged in km-a, P3 in km-b (same content everywhere)
"$KSMCTL" partition add km-a --mode 0640 > /dev/null && "$KSMCTL" partition add km-b > /dev/null &&
	"$KSMCTL" partition scan km-b off --pages-to-scan 300 --sleep-ms 1500 > /dev/null
"$PROBE" --same 100 --unique 20 > "$T/p1" & P1=$!
"$PROBE" --same 100 --unique 20 > "$T/p2" & P2=$!
"$PROBE" --same 100 --unique 20 > "$T/p3" & P3=$!
PIDS="$P1 $P2 $P3"
for i in $(seq 50); do [ -s "$T/p1" ] && [ -s "$T/p2" ] && [ -s "$T/p3" ] && break; sleep 0.1; done
"$KSMCTL" merge km-a --pid $P1 > /dev/null && "$KSMCTL" merge km-a --pid $P2 > /dev/null &&
	"$KSMCTL" merge km-b --pid $P3 > /dev/null
r=$?
a1=$("$PFN" $P1 "$(field "$T/p1" same)" 100); a2=$("$PFN" $P2 "$(field "$T/p2" same)" 100)
a3=$("$PFN" $P3 "$(field "$T/p3" same)" 100)
ok $([ $r = 0 ] && [ "${a1%% first=*}" = "present=100 distinct=1" ] && [ "${a1##* first=}" = "${a2##* first=}" ] && \
	[ "${a3%% first=*}" = "present=100 distinct=1" ] && [ "${a3##* first=}" != "${a1##* first=}" ]; echo $?) \
	"set-up: P1, P2 merged in km-a, P3 in km-b, no physical page shared across ($a1 / $a2 / $a3)"

"$KSMCTL" metrics > "$T/m" 2> "$T/err"; rc=$?
ok $([ $rc = 0 ] && [ ! -s "$T/err" ] && [ "$(val ksm_partitions_supported "$T/m")" = 1 ] && \
	[ "$(val ksm_partitions "$T/m")" = "$(ls -A $S/partition | wc -l)" ]; echo $?) \
	"metrics: exit 0, ksm_partitions_supported 1, ksm_partitions $(val ksm_partitions "$T/m")"

# every sample belongs to the family of the last # TYPE line, each family once, HELP before TYPE
bad=$(awk '
	/^# HELP / { help = $3; next }
	/^# TYPE / { if ($3 != help || seen[$3]++) print "family " $3; fam = $3; next }
	/^#/ { next }
	{ name = $1; sub(/\{.*/, "", name); if (name != fam) print "sample " $1 " outside " fam
	  if ($2 !~ /^-?[0-9]+(\.[0-9]+)?$/) print "value " $0 }' "$T/m")
ok $([ -z "$bad" ] && [ "$(grep -c '^# TYPE' "$T/m")" -ge 25 ]; echo $?) \
	"well formed: $(grep -c '^# TYPE' "$T/m") families, each with HELP and TYPE, samples grouped, numeric values $bad"

# each partition series equals the partition's sysfs file
bad=0; n=0
for p in km-a km-b; do
	for f in members pages_shared pages_sharing pages_unshared pages_scanned:_total merge_calls:_total \
		run:scan_running pages_to_scan:scan_pages_to_scan full_scans:_total; do
		file=${f%%:*}; m=$file; case $f in *:_total) m=${file}_total ;; *:*) m=${f#*:} ;; esac
		got=$(val "ksm_partition_$m{partition=\"$p\"}" "$T/m"); want=$(cat $S/partition/$p/$file)
		n=$((n + 1))
		[ "$got" = "$want" ] || { bad=1; diag "$p $m: metrics '$got', sysfs '$want'"; }
	done
	got=$(val "ksm_partition_scan_sleep_seconds{partition=\"$p\"}" "$T/m")
	[ "$(awk -v s="$got" 'BEGIN { printf "%d", s * 1000 + 0.5 }')" = "$(cat $S/partition/$p/sleep_millisecs)" ] || bad=1
	[ "$(val "ksm_partition_saved_bytes{partition=\"$p\"}" "$T/m")" = $(($(cat $S/partition/$p/pages_sharing) * 4096)) ] || bad=1
done
ok $bad "the $n counters and scan settings of km-a and km-b equal their sysfs files, sleep in seconds, saved bytes"
ok $([ "$(val 'ksm_partition_members{partition="km-a"}' "$T/m")" = 2 ] && \
	[ "$(val 'ksm_partition_merge_calls_total{partition="km-a"}' "$T/m")" = 2 ] && \
	[ "$(val 'ksm_partition_pages_sharing{partition="km-a"}' "$T/m")" -ge 199 ] && \
	[ "$(val 'ksm_partition_scan_pages_to_scan{partition="km-b"}' "$T/m")" = 300 ] && \
	[ "$(val 'ksm_partition_scan_sleep_seconds{partition="km-b"}' "$T/m")" = 1.500 ] && \
	grep -qx 'ksm_partition_info{partition="km-a",uid="0",gid="0",mode="0640"} 1' "$T/m"; echo $?) \
	"the values are the merges made: km-a 2 members, 2 calls, >= 199 pages sharing; km-b's scan settings; km-a mode 0640"

bad=0
for f in pages_shared pages_sharing pages_unshared max_page_sharing run full_scans:_total pages_scanned:_total; do
	file=${f%%:*}; m=$file; [ "$f" = "$file" ] || m=${file}_total
	[ "$(val ksm_$m "$T/m")" = "$(cat $S/$file)" ] || { bad=1; diag "ksm_$m $(val ksm_$m "$T/m") != $(cat $S/$file)"; }
done
[ "$(val ksm_general_profit_bytes "$T/m")" = "$(cat $S/general_profit)" ] || bad=1
ok $bad "global series equal sysfs (pages_shared $(val ksm_pages_shared "$T/m"), pages_sharing $(val ksm_pages_sharing "$T/m") with the partitions', general_profit $(val ksm_general_profit_bytes "$T/m"))"

"$KSMCTL" metrics --output "$T/ksm.prom" > "$T/out" 2>&1; rc=$?
ok $([ $rc = 0 ] && [ ! -s "$T/out" ] && cmp -s "$T/ksm.prom" "$T/m" && [ "$(ls -A "$T" | grep -c '^\.ksm')" = 0 ]; echo $?) \
	"--output FILE: the same text, no temporary file left"

"$KSMCTL" partition remove km-a > /dev/null
"$KSMCTL" metrics > "$T/m2"; rc=$?
ok $([ $rc = 0 ] && ! grep -q 'partition="km-a"' "$T/m2" && grep -q '^ksm_partition_members{partition="km-b"} 1$' "$T/m2"; echo $?) \
	"a removed partition leaves the series; km-b stays"
a1=$("$PFN" $P1 "$(field "$T/p1" same)" 100); a3=$("$PFN" $P3 "$(field "$T/p3" same)" 100)
ok $([ "${a1##* first=}" != "${a3##* first=}" ]; echo $?) "still no physical page shared across partitions ($a1 / $a3)"
echo "# failed $FAIL"
[ $FAIL = 0 ]
