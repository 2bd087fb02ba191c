#!/bin/sh
# A real VMM on the host's stock kernel: two QEMUs started through ksm-exec
# get their memory, guest RAM included, merged by "ksmctl merge --global
# --wait"; two QEMUs started without ksm-exec are not merged (and are
# refused as targets). ksmd settings are the same after the test as before.
#
# Needs root, KSM, qemu-system-x86_64 and the test kernel: KSM_BZIMAGE
# (set by tests/host/host.mk), else build/kernel-test/arch/x86/boot/bzImage.
. "$(dirname "$0")/lib.sh"

BZ=${KSM_BZIMAGE:-$B/kernel-test/arch/x86/boot/bzImage}
need_root
need_ksm
command -v qemu-system-x86_64 > /dev/null || skip_all "qemu-system-x86_64 not installed"
command -v jq > /dev/null || skip_all "jq not installed"
[ -r "$BZ" ] || skip_all "no test kernel at $BZ (make kernel)"
[ -x "$KSMCTL" ] && [ -x "$KSM_EXEC" ] || { echo "Bail out! tools not built"; exit 1; }

T=$(mktemp -d /tmp/ksm-vmm-test.XXXXXX)
PIDS=""
SNAP=$T/ksm.before
ksm_snapshot "$SNAP"
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	ksm_restore "$SNAP" || echo "# WARNING: could not restore $KSM_SYSFS"
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tap_plan 8
QEMU="qemu-system-x86_64 -machine mem-merge=off -S -display none -m 256 -kernel $BZ"

$KSM_EXEC --enable -- $QEMU 2> "$T/q1.err" & Q1=$!
$KSM_EXEC --enable -- $QEMU 2> "$T/q2.err" & Q2=$!
$QEMU 2> "$T/q3.err" & Q3=$!
$QEMU 2> "$T/q4.err" & Q4=$!
PIDS="$Q1 $Q2 $Q3 $Q4"

# QEMU has loaded the kernel into guest RAM once its RSS stops growing
for i in $(seq 100); do
	a=$(for p in $PIDS; do grep VmRSS /proc/$p/status 2>/dev/null; done | tr -d '\n')
	sleep 0.2
	b=$(for p in $PIDS; do grep VmRSS /proc/$p/status 2>/dev/null; done | tr -d '\n')
	[ "$a" = "$b" ] && [ "$(echo "$b" | grep -o VmRSS | wc -l)" = 4 ] && break
done
alive=0
for p in $PIDS; do kill -0 $p 2>/dev/null && alive=$((alive + 1)); done
ok $([ $alive = 4 ] && [ "$(stat_field $Q1 ksm_merge_any)$(stat_field $Q2 ksm_merge_any)" = yesyes ] && \
	[ "$(stat_field $Q3 ksm_merge_any)$(stat_field $Q4 ksm_merge_any)" = nono ]; echo $?) \
	"4 QEMUs (-machine mem-merge=off -S -m 256): ksm_merge_any yes through ksm-exec, no without"
[ $alive = 4 ] || diag "$(cat "$T"/q*.err)"

"$KSMCTL" -j merge --global --pid $Q3 --wait > "$T/out" 2>&1
rc=$?
ok $([ $rc = 1 ] && jq -r .error "$T/out" | grep -q "not mergeable"; echo $?) "ksmctl refuses the QEMU started without ksm-exec (not mergeable)"

start=$(date +%s)
"$KSMCTL" -j merge --global --pid $Q1 --pid $Q2 --wait --timeout 120 > "$T/out" 2>&1
rc=$?
secs=$(($(date +%s) - start))
m1=$(stat_field $Q1 ksm_merging_pages); m2=$(stat_field $Q2 ksm_merging_pages)
m3=$(stat_field $Q3 ksm_merging_pages); m4=$(stat_field $Q4 ksm_merging_pages)
# at least the kernel image: QEMU keeps it and copies it into guest RAM
min=$(($(stat -c %s "$BZ") / 4096))
ok $([ $rc = 0 ] && [ "$m1" -ge $min ] && [ "$m2" -ge $min ]; echo $?) \
	"merge --global --wait: ksm_merging_pages grew in both QEMUs through ksm-exec ($m1, $m2 >= $min) in ${secs}s"
ok $([ "$(jq -r ".processes[] | select(.pid == $Q1) | .ksm_merging_pages" "$T/out")" = "$m1" ] && \
	[ "$(jq -r .ksmd_restored "$T/out")" = true ]; echo $?) "the JSON report agrees with /proc/PID/ksm_stat"
# cross-process proof: physical pages mapped as private anonymous memory in
# both QEMUs exist only through KSM (the shared zero page counts at most 1)
s12=$("$HBIN/shared-pfns" $Q1 $Q2); s34=$("$HBIN/shared-pfns" $Q3 $Q4)
ok $([ "$s12" -ge $((min / 2)) ]; echo $?) "pagemap: the two QEMUs through ksm-exec share $s12 physical anonymous pages"
ok $([ "$m3" = 0 ] && [ "$m4" = 0 ] && [ "$s34" -le 1 ]; echo $?) \
	"the two QEMUs without ksm-exec were not merged while ksmd ran (ksm_merging_pages $m3, $m4; $s34 shared pages)"
ksm_snapshot "$T/after"
ok $(cmp -s "$SNAP" "$T/after"; echo $?) "every ksmd setting is the same as before ($(diff "$SNAP" "$T/after" | tr '\n' ' '))"
for p in $PIDS; do kill $p 2>/dev/null; done
wait 2>/dev/null
PIDS=""
ok $([ "$(cat $KSM_SYSFS/run)" = "$(sed -n 's/^run=//p' "$SNAP")" ]; echo $?) "ksmd run state as before ($(cat $KSM_SYSFS/run))"
tap_done
