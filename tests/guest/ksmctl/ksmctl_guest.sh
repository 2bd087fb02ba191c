#!/bin/sh
# ksmctl against real Selective KSM partitions (patched kernel, busybox sh,
# run as root in the guest). Every command's JSON is checked with jq; merging
# is proven by /proc/PID/ksm_stat and pagemap PFNs (pfn-count).
KSMCTL=${KSMCTL:-/bin/ksmctl}
KSM_EXEC=${KSM_EXEC:-/bin/ksm-exec}
PROBE=${PROBE:-/bin/ksm-probe}
PFN=${PFN:-/bin/pfn-count}
S=/sys/kernel/mm/ksm

echo "TAP version 13"
[ -d $S/partition ] || { echo "1..0 # SKIP kernel without Selective KSM"; exit 4; }
command -v jq > /dev/null || { echo "1..0 # SKIP no jq"; exit 4; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 4; }

T=$(mktemp -d)
PIDS=""
RUN0=$(cat $S/run)
cleanup() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	wait 2>/dev/null
	for n in kc-a kc-b kc-c kc-s; do [ -d $S/partition/$n ] && echo $n > $S/control/remove_partition; done
	echo "$RUN0" > $S/run
	rm -rf "$T"
}
trap cleanup EXIT
echo "1..30"
N=0; FAIL=0
ok() { N=$((N + 1)); if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAIL=$((FAIL + 1)); fi; }
k() { "$KSMCTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
j() { jq -r "$1" "$T/out"; }
json_ok() { jq -e . "$T/out" > /dev/null 2>&1 && [ ! -s "$T/err" ]; }
json_err() { json_ok && [ "$(j .errno_name)" = "$1" ] && [ "$rc" = "$2" ] && [ "$(j .exit_code)" = "$2" ]; }
text_err() { [ "$(wc -l < "$T/err")" = 1 ] && grep -q "^ksmctl: .* ($1); " "$T/err" && [ "$rc" = "$2" ]; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }
merging() { sed -n 's/^ksm_merging_pages //p' /proc/$1/ksm_stat; }

# 1-2 status
k -j status
ok $([ $rc = 0 ] && json_ok && [ "$(j .features.partition_sysfs)$(j .features.partition_syscalls)" = truetrue ] && \
	[ "$(j '.partitions|type')" = array ]; echo $?) "status -j: partition features, partitions array"

# 3-8 partition add/list/show/remove
umask 022
k -j partition add kc-a
ok $([ $rc = 0 ] && json_ok && [ "$(j .name)" = kc-a ] && [ "$(j .mode)" = 0600 ] && [ "$(j .uid)" = 0 ] && [ "$(j .members)" = 0 ] && \
	[ -d $S/partition/kc-a ]; echo $?) "partition add (ksm_open): JSON of the new partition, sysfs directory exists"
k -j partition add kc-b --mode 0640
ok $([ $rc = 0 ] && [ "$(j .mode)" = 0640 ] && [ "$(cat $S/partition/kc-b/mode)" = 0640 ]; echo $?) "partition add --mode 0640"
k -j part add --sysfs kc-s
ok $([ $rc = 0 ] && [ "$(j .mode)" = 0600 ]; echo $?) "partition add --sysfs"
k -j partition add kc-a
ok $(json_err EEXIST 1; echo $?) "adding an existing name: JSON error EEXIST, exit 1"
k partition add --sysfs kc-a
ok $(text_err EEXIST 1; echo $?) "sysfs add of an existing name: one-line EEXIST"
k -j partition list
ok $([ $rc = 0 ] && json_ok && [ "$(j '[.[].name] | map(select(startswith("kc-"))) | sort | join(",")')" = "kc-a,kc-b,kc-s" ]; echo $?) \
	"partition list -j: kc-a, kc-b, kc-s"
k partition list
ok $([ $rc = 0 ] && grep -q "^NAME" "$T/out" && [ "$(grep -c '^kc-' "$T/out")" = 3 ]; echo $?) "partition list (text table)"

# probes: two with identical content, one distinct
"$PROBE" --same 100 --unique 20 > "$T/p1" & P1=$!
"$PROBE" --same 100 --unique 20 > "$T/p2" & P2=$!
"$PROBE" --same 100 --unique 20 > "$T/p3" & P3=$!
PIDS="$P1 $P2 $P3"
for i in $(seq 50); do [ -s "$T/p1" ] && [ -s "$T/p2" ] && [ -s "$T/p3" ] && break; sleep 0.1; done

# 9-14 merge / show / isolation
k -j merge kc-a --pid $P1
m=$(merging $P1)
ok $([ $rc = 0 ] && json_ok && [ "$(j .pages_merged)" -ge 100 ] && [ "$m" -ge 100 ] && [ "$(j .via)" = syscall ]; echo $?) \
	"merge kc-a --pid P1: pages_merged $(j .pages_merged), ksm_merging_pages $m"
k -j merge kc-a --pid $P2
ok $([ $rc = 0 ] && [ "$(j .pages_merged)" -ge 100 ]; echo $?) "merge kc-a --pid P2 (same content)"
a1=$("$PFN" $P1 "$(field "$T/p1" same)" 100); a2=$("$PFN" $P2 "$(field "$T/p2" same)" 100)
ok $([ "${a1%% first=*}" = "present=100 distinct=1" ] && [ "${a1##* first=}" = "${a2##* first=}" ]; echo $?) \
	"pagemap: P1 and P2 share one physical page in kc-a ($a1 / $a2)"
k -j merge kc-b --pid $P3 --range "$(field "$T/p3" same)-$(printf '%x' $(($(field "$T/p3" same) + 100 * 4096)))"
a3=$("$PFN" $P3 "$(field "$T/p3" same)" 100)
ok $([ $rc = 0 ] && [ "$(j .pages_merged)" = 100 ] && [ "${a3%% first=*}" = "present=100 distinct=1" ] && \
	[ "${a3##* first=}" != "${a1##* first=}" ]; echo $?) "merge kc-b --range: exactly the 100 pages, isolated from kc-a's page ($a3)"
k -j partition show kc-a
ok $([ $rc = 0 ] && [ "$(j .members)" = 2 ] && [ "$(j .pages_shared)" -ge 1 ] && [ "$(j .pages_sharing)" -ge 199 ] && \
	[ "$(j .merge_calls)" = 2 ] && [ "$(j .max_page_sharing)" = "$(cat /sys/kernel/mm/ksm/max_page_sharing)" ] && \
	[ "$(j .merge_across_nodes)" = "$(cat /sys/kernel/mm/ksm/merge_across_nodes 2>/dev/null || echo 1)" ]; echo $?) \
	"partition show kc-a: members 2, shared $(j .pages_shared), sharing $(j .pages_sharing), calls 2, knobs of its creation $(j .max_page_sharing)/$(j .merge_across_nodes)"
k -j status --pid $P1
ok $([ "$(j .ksm_merging_pages)" = "$(merging $P1)" ] && [ "$(j .ksm_merge_any)" != true ]; echo $?) "status --pid: ksm_stat of a partition member (ksm_merge_any not true) ($(tr "\n" " " < "$T/out"); $(tr "\n" " " < /proc/$P1/ksm_stat))"

# 15-19 errors
k -j merge kc-b --pid $P1
ok $(json_err EBUSY 1; echo $?) "merging a kc-a member into kc-b: EBUSY"
k merge kc-none --pid $P1
ok $(text_err ENOENT 1 && grep -q "partition add" "$T/err"; echo $?) "unknown partition: one-line ENOENT with what to do"
k -j merge kc-a --pid 99999
ok $(json_err ESRCH 1; echo $?) "no such process: ESRCH"
k -j merge kc-a --pid $P1 --range 1001-3000
ok $(json_err EINVAL 1; echo $?) "unaligned range: the kernel's EINVAL, exit 1"
k -j merge --sysfs kc-a --pid $P1
ok $([ $rc = 0 ] && [ "$(j .via)" = sysfs ] && [ "$(j .pages_merged)" = null ]; echo $?) "merge --sysfs: trigger_merge, no count"

# 20-22 unmerge
k -j unmerge kc-a --pid $P1
a1=$("$PFN" $P1 "$(field "$T/p1" same)" 100)
ok $([ $rc = 0 ] && [ "$(j .pages_unmerged)" -ge 100 ] && [ "${a1%% first=*}" = "present=100 distinct=100" ] && [ "$(merging $P1)" = 0 ]; echo $?) \
	"unmerge kc-a --pid P1: $(j .pages_unmerged) pages, 100 PFNs again"
k -j partition show kc-a
ok $([ "$(j .members)" = 1 ]; echo $?) "P1 left kc-a (members 1)"
k -j unmerge --sysfs kc-b --pid $P3
ok $([ $rc = 0 ] && [ "$(merging $P3)" = 0 ]; echo $?) "unmerge --sysfs (trigger_unmerge)"

# 23-26 remove
k -j partition remove kc-a
ok $([ $rc = 0 ] && [ "$(j .removed)" = true ] && [ ! -d $S/partition/kc-a ] && [ "$(merging $P2)" -ge 100 ]; echo $?) \
	"partition remove: name gone, P2's merged pages stay ($(merging $P2))"
k -j partition show kc-a
ok $(json_err ENOENT 1; echo $?) "show of a removed partition: ENOENT"
k partition remove --sysfs kc-s
ok $([ $rc = 0 ] && [ ! -d $S/partition/kc-s ]; echo $?) "partition remove --sysfs"
k -j partition remove kc-s
ok $(json_err ENOENT 1; echo $?) "remove of an unknown name: ENOENT"

# 27-28 global domain next to partitions
"$KSM_EXEC" --enable -- "$PROBE" --same 100 --unique 20 > "$T/p4" & P4=$!
"$KSM_EXEC" --enable -- "$PROBE" --same 100 --unique 20 > "$T/p5" & P5=$!
PIDS="$PIDS $P4 $P5"
for i in $(seq 50); do [ -s "$T/p4" ] && [ -s "$T/p5" ] && break; sleep 0.1; done
k -j merge --global --pid $P4 --pid $P5 --wait --timeout 120
a4=$("$PFN" $P4 "$(field "$T/p4" same)" 100); a5=$("$PFN" $P5 "$(field "$T/p5" same)" 100)
ok $([ $rc = 0 ] && [ "$(merging $P4)" -ge 100 ] && [ "${a4##* first=}" = "${a5##* first=}" ] && \
	[ "${a4##* first=}" != "${a3##* first=}" ] && [ "$(cat $S/run)" = "$RUN0" ]; echo $?) \
	"merge --global --wait on this kernel: global pages merged, apart from the partitions', ksmd run state restored (rc $rc, $a4 / $a5 / $a3; $(cat "$T/out" "$T/err"))"
k -j merge kc-b --pid $P4
ok $(json_err EBUSY 1; echo $?) "a process in the global domain cannot join a partition: EBUSY"

# 29-30 ksm-exec --partition: the command is a joined member of the partition
"$KSM_EXEC" --partition kc-b -- sh -c "cat /proc/self/ksm_stat > $T/kc-ran" 2> "$T/err"
rc=$?
ok $([ $rc = 0 ] && grep -qx "ksm_partition kc-b" "$T/kc-ran" && grep -qx "ksm_partition_joined yes" "$T/kc-ran"; echo $?) \
	"ksm-exec --partition kc-b: the command runs as a joined member of kc-b ($(cat "$T/err"))"
k -j partition remove kc-b
ok $([ $rc = 0 ]; echo $?) "cleanup: partition remove kc-b"
echo "# failed $FAIL"
[ $FAIL = 0 ]
