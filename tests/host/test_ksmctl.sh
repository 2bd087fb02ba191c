#!/bin/sh
# ksmctl on the host's stock kernel: help at every level, prefix matching,
# JSON (checked with jq) for every command including errors, one-line text
# errors, exit codes, partition commands failing "not supported", ksmd
# commands, and merge --global --wait: real merging inside and across
# processes (counters and pagemap PFNs), errors for unmergeable targets,
# timeouts and signals, with every ksmd setting put back.
. "$(dirname "$0")/lib.sh"

[ -x "$KSMCTL" ] || { echo "Bail out! $KSMCTL not built"; exit 1; }
command -v jq > /dev/null || skip_all "jq not installed"
[ -d "$KSM_SYSFS" ] || skip_all "no KSM in this kernel"

T=$(mktemp -d /tmp/ksmctl-test.XXXXXX)
PIDS=""
SNAP=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "$SNAP" ]; then
		ksm_restore "$SNAP" || echo "# WARNING: could not restore $KSM_SYSFS"
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tap_plan 38

# run ksmctl, keep stdout/stderr/rc
k() { "$KSMCTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
# valid JSON on stdout and nothing on stderr
json_ok() { jq -e . "$T/out" > /dev/null 2>&1 && [ ! -s "$T/err" ]; }
# JSON error object with errno name $1 and exit code $2 == rc
json_err() {
	json_ok && [ "$(jq -r .errno_name "$T/out")" = "$1" ] && [ "$(jq -r .exit_code "$T/out")" = "$rc" ] &&
		[ "$rc" = "$2" ] && [ -n "$(jq -r .error "$T/out")" ] && [ "$(jq -r '.errno|type' "$T/out")" = number ]
}
# one line of text error on stderr, nothing on stdout
text_err() { [ "$(wc -l < "$T/err")" = 1 ] && grep -q "^ksmctl: .*: .* (E[A-Z]*)" "$T/err" && [ ! -s "$T/out" ] && [ "$rc" = "$1" ]; }

# 1-4 help
k help; a=$rc; k -h; b=$rc
ok $([ "$a$b" = 00 ] && grep -q "OBJECT := { partition | merge | unmerge | status | ksmd | metrics }" "$T/out"; echo $?) "ksmctl help / -h"
all=0
for o in partition merge unmerge status ksmd metrics; do
	k $o help
	[ $rc = 0 ] && grep -q "^Usage: ksmctl $o" "$T/out" || { all=1; diag "$o help failed"; }
done
ok $all "help at every level (partition, merge, unmerge, status, ksmd, metrics)"
k; ok $([ $rc = 2 ] && grep -q Usage "$T/out"; echo $?) "no object: usage, exit 2"
k -j ksmd help; ok $([ $rc = 0 ] && json_ok && jq -e '.help|test("tune KNOB VALUE")' "$T/out" > /dev/null; echo $?) "-j help is JSON"

# 5-8 prefix matching
k -j status; s1=$(jq -c .features "$T/out"); k -j st; s2=$(jq -c .features "$T/out")
ok $([ -n "$s1" ] && [ "$s1" = "$s2" ]; echo $?) "prefix: 'st' is status"
k ksmd show; a=$(cat "$T/out"); k k sh; b=$(cat "$T/out")
ok $([ -n "$a" ] && [ "$a" = "$b" ]; echo $?) "prefix: 'k sh' is 'ksmd show'"
k ksmd s; ok $(text_err 2 && grep -q "ambiguous ksmd command 's'" "$T/err"; echo $?) "ambiguous prefix 'ksmd s': one-line error, exit 2"
k -j frobnicate; ok $(json_err EINVAL 2; echo $?) "unknown object with -j: JSON error, errno EINVAL, exit 2"

# 9-12 status
k -j status
run=$(cat $KSM_SYSFS/run)
ok $([ $rc = 0 ] && json_ok && [ "$(jq -r .features.ksm "$T/out")" = true ] && [ "$(jq -r .global.run "$T/out")" = "$run" ] && \
	[ "$(jq -r .global.max_page_sharing "$T/out")" = "$(cat $KSM_SYSFS/max_page_sharing)" ]; echo $?) "status -j: features and global values match sysfs"
k -p status --pid $$
ok $([ $rc = 0 ] && json_ok && [ "$(jq -r .pid "$T/out")" = $$ ] && \
	[ "$(jq -r .ksm_merging_pages "$T/out")" = "$(stat_field $$ ksm_merging_pages)" ] && \
	[ "$(jq -r .ksm_merge_any "$T/out")" = false ]; echo $?) "status --pid -p: this shell's ksm_stat as pretty JSON"
k status --pid 2147483646; ok $(text_err 1 && grep -q ESRCH "$T/err"; echo $?) "status --pid of no process: ESRCH, exit 1"
k -j status --pid abc; ok $(json_err EINVAL 2; echo $?) "status --pid abc: usage error in JSON"

# 13-14 partition commands on a kernel without Selective KSM
if [ -d $KSM_SYSFS/partition ]; then
	skip "kernel has Selective KSM (covered by the guest tests)"
	skip "kernel has Selective KSM (covered by the guest tests)"
else
	all=0
	for c in "partition list" "partition show t1" "partition add t1" "partition add t1 --mode 0640" \
		"partition remove t1" "partition add --sysfs t1" "merge t1 --pid 1" "unmerge t1 --pid 1 --range 1000-2000" \
		"merge t1 --pid 1 --sysfs"; do
		k -j $c
		json_err ENOSYS 3 || { all=1; diag "-j $c: rc $rc $(cat "$T/out")"; }
	done
	ok $all "every partition command with -j: JSON error ENOSYS, exit 3"
	k part sh t1
	ok $(text_err 3 && grep -q "CONFIG_SELECTIVE_KSM" "$T/err"; echo $?) "text: one line saying what to do ($(cat "$T/err"))"
fi

# 15-18 usage errors
all=0
for c in "partition add" "partition add bad/name" "partition add x --mode 7777" "merge t1" "merge t1 --pid 1 --range 2000-1000" \
	"merge t1 --pid 1 --range zz" "merge --global --pid 1" "unmerge --global --pid 1" "merge t1 --pid 1 --wait" \
	"merge --global t1 --wait" "ksmd tune" "ksmd tune pages_to_scan" "ksmd run now" "partition list extra" "merge t1 --pid 1 --bogus"; do
	k -j $c
	json_err EINVAL 2 || { all=1; diag "-j $c: rc $rc $(cat "$T/out") $(cat "$T/err")"; }
done
ok $all "usage errors: JSON error EINVAL, exit 2 (15 command lines)"
k merge --global --pid 1; ok $(text_err 2 && grep -q "ksmd run" "$T/err"; echo $?) "merge --global without --wait says what to do"
k unmerge --global --pid 1; ok $(text_err 2 && grep -q "unmerge-all" "$T/err"; echo $?) "unmerge --global points at ksmd unmerge-all"
k -j --version; ok $([ $rc = 0 ] && json_ok && [ "$(jq -r .libksm "$T/out")" = 1.2.0 ]; echo $?) "--version -j"

if [ "$(id -u)" != 0 ] || [ ! -w $KSM_SYSFS/run ]; then
	for i in $(seq 19 38); do skip "needs root and a writable $KSM_SYSFS"; done
	tap_done
	exit
fi
SNAP=$T/ksm.before
ksm_snapshot "$SNAP"

# 19-24 ksmd
k -j ksmd tune pages_to_scan 1234 sleep_millisecs 33
ok $([ $rc = 0 ] && json_ok && [ "$(cat $KSM_SYSFS/pages_to_scan)" = 1234 ] && [ "$(cat $KSM_SYSFS/sleep_millisecs)" = 33 ] && \
	[ "$(jq -r .pages_to_scan "$T/out")" = 1234 ]; echo $?) "ksmd tune sets both knobs and shows them"
k -j ksmd tune pages_shared 5; ok $(json_err EINVAL 2; echo $?) "ksmd tune of a read-only counter: usage error"
k -j ksmd tune no_such_knob 5; ok $(json_err EINVAL 2; echo $?) "ksmd tune of an unknown knob: usage error"
k -j ksmd tune ../run 1; ok $(json_err EINVAL 2 && [ "$(cat $KSM_SYSFS/run)" = "$run" ]; echo $?) "ksmd tune ../run: rejected, nothing written"
k ksmd tune pages_to_scan lots; ok $(text_err 1 && grep -q "pages_to_scan=lots" "$T/err" && [ "$(cat $KSM_SYSFS/pages_to_scan)" = 1234 ]; echo $?) "ksmd tune with a value the kernel rejects: EINVAL from the kernel, exit 1"
k -j ksmd run; a=$(cat $KSM_SYSFS/run); ra=$rc; k -j ksmd stop; b=$(cat $KSM_SYSFS/run)
ok $([ "$ra$rc$a$b" = 0010 ] && [ "$(jq -r .run "$T/out")" = 0 ]; echo $?) "ksmd run / ksmd stop write run=1 / run=0"
ksm_restore "$SNAP"

# 25 unmerge-all only when nothing on the host is merged (it unmerges everything)
if [ "$(cat $KSM_SYSFS/pages_shared)" = 0 ] && [ "$(cat $KSM_SYSFS/pages_sharing)" = 0 ]; then
	k ksmd unmerge-all; ok $([ $rc = 0 ] && [ "$(cat $KSM_SYSFS/run)" = 2 ]; echo $?) "ksmd unmerge-all writes run=2"
	ksm_restore "$SNAP"
else
	skip "pages are merged on this host: not unmerging them all"
fi

# 26-33 merge --global --wait
"$KSM_EXEC" --enable -- "$HBIN/ksm-probe" --same 120 --unique 50 > "$T/p1" &
P1=$!; PIDS="$PIDS $P1"
"$KSM_EXEC" --enable -- "$HBIN/ksm-probe" --same 100 --unique 50 > "$T/p2" &
P2=$!; PIDS="$PIDS $P2"
"$HBIN/ksm-probe" --same 300 --unique 50 > "$T/p3" &
P3=$!; PIDS="$PIDS $P3"
wait_line "$T/p1" 50 && wait_line "$T/p2" 50 && wait_line "$T/p3" 50

k -j merge --global --pid $P3 --wait
ok $(json_err EINVAL 1 && jq -r .error "$T/out" | grep -q "not mergeable" && ksm_snapshot "$T/s" && cmp -s "$T/s" "$SNAP"; echo $?) \
	"target that is not mergeable: immediate JSON error, exit 1, ksmd untouched"
k merge --global --pid 2147483646 --wait; ok $(text_err 1 && grep -q ESRCH "$T/err"; echo $?) "target that does not exist: ESRCH"

k -j merge --global --pid $P1 --pid $P2 --wait --timeout 120
m1=$(stat_field $P1 ksm_merging_pages); m2=$(stat_field $P2 ksm_merging_pages)
ok $([ $rc = 0 ] && json_ok && [ "$m1" -ge 120 ] && [ "$m2" -ge 100 ] && \
	[ "$(jq -r ".processes[] | select(.pid == $P1) | .ksm_merging_pages" "$T/out")" = "$m1" ] && \
	[ "$(jq -r .ksmd_restored "$T/out")" = true ] && [ "$(jq -r '.full_scans >= 2' "$T/out")" = true ]; echo $?) \
	"merge --global --pid P1 --pid P2 --wait: both merged (ksm_merging_pages $m1, $m2) and reported in JSON"
f1=$("$HBIN/pfn-count" $P1 "$(probe_field "$T/p1" same)" 120)
f2=$("$HBIN/pfn-count" $P2 "$(probe_field "$T/p2" same)" 100)
ok $([ "${f1%% first=*}" = "present=120 distinct=1" ] && [ "${f2%% first=*}" = "present=100 distinct=1" ] && \
	[ "${f1##* first=}" = "${f2##* first=}" ]; echo $?) "pagemap: the 220 identical pages of both processes (< max_page_sharing) map one physical page ($f1 / $f2)"
u1=$("$HBIN/pfn-count" $P1 "$(probe_field "$T/p1" unique)" 50 | cut -d' ' -f1,2)
f3=$("$HBIN/pfn-count" $P3 "$(probe_field "$T/p3" same)" 300 | cut -d' ' -f1,2)
ok $([ "$u1" = "present=50 distinct=50" ] && [ "$f3" = "present=300 distinct=300" ] && [ "$(stat_field $P3 ksm_merging_pages)" = 0 ]; echo $?) \
	"distinct pages stay apart; the process without ksm-exec is not merged ($u1; $f3)"
ksm_snapshot "$T/s"
ok $(cmp -s "$T/s" "$SNAP"; echo $?) "every ksmd setting is as before the merge ($(diff "$SNAP" "$T/s" | tr '\n' ' '))"

# a wait that cannot settle: timeout, then a signal; settings restored both times
k -j merge --global --pid $P2 --wait --timeout 0 --pages-to-scan 1 --sleep-ms 1000
ksm_snapshot "$T/s"
ok $(json_err ETIMEDOUT 4 && cmp -s "$T/s" "$SNAP"; echo $?) "--timeout 0: ETIMEDOUT, exit 4, settings restored"
"$KSMCTL" merge --global --pid $P2 --wait --pages-to-scan 1 --sleep-ms 1000 > "$T/out" 2> "$T/err" &
K=$!
sleep 1
running=$(cat $KSM_SYSFS/run)
kill -TERM $K; wait $K; rc=$?
ksm_snapshot "$T/s"
ok $([ "$running" = 1 ] && text_err 1 && grep -q "signal 15" "$T/err" && cmp -s "$T/s" "$SNAP"; echo $?) \
	"SIGTERM while waiting: ksmd was running, exit 1, every setting restored"

# 34-38 merge --global without --pid (whole system) and text output
k merge --global --wait --timeout 120
ok $([ $rc = 0 ] && grep -q "ksmd settings restored" "$T/out" && ksm_snapshot "$T/s" && cmp -s "$T/s" "$SNAP"; echo $?) \
	"merge --global --wait without --pid (global counters) settles and restores"
k -j status
ok $([ "$(jq -r .global.pages_sharing "$T/out")" -ge 219 ]; echo $?) "status shows the merged pages in global pages_sharing ($(jq -r .global.pages_sharing "$T/out"))"
k -j status --pid $P1
ok $([ "$(jq -r .ksm_merge_any "$T/out")" = true ] && [ "$(jq -r .ksm_merging_pages "$T/out")" = "$m1" ]; echo $?) "status --pid of a merged process"
k -j ksmd show
ok $([ $rc = 0 ] && json_ok && [ "$(jq -r .pages_to_scan "$T/out")" = "$(cat $KSM_SYSFS/pages_to_scan)" ]; echo $?) "ksmd show -j matches sysfs"
k ksmd tune max_page_sharing 128
ok $( ( [ $rc = 1 ] && text_err 1 && grep -q EBUSY "$T/err" ) || [ $rc = 0 ]; echo $?) "max_page_sharing while pages are shared: EBUSY reported in one line (or accepted)"
tap_done
