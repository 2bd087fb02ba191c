#!/bin/sh
# Per-partition background scanning with partition membership at exec: two
# tenants' VMM stand-ins (ksm-probe, identical content in every process)
# started through ksm-exec --partition, merged by their partitions' scans
# within each tenant and never across (pagemap PFNs); fork and exec keep
# membership; an explicit merge into another partition is EBUSY; scanning
# stops when run goes back to 0. Patched kernel, busybox sh, root.
KSMCTL=${KSMCTL:-/bin/ksmctl}
KSM_EXEC=${KSM_EXEC:-/bin/ksm-exec}
PROBE=${PROBE:-/bin/ksm-probe}
PFN=${PFN:-/bin/pfn-count}
S=/sys/kernel/mm/ksm
NSAME=100	# 2 processes x 100 < max_page_sharing (256): one KSM page per tenant

echo "TAP version 13"
[ -d $S/partition ] || { echo "1..0 # SKIP kernel without Selective KSM"; exit 4; }
command -v jq > /dev/null || { echo "1..0 # SKIP no jq"; exit 4; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 4; }
[ "$("$KSMCTL" -j status | jq -r .features.partition_join)" = true ] ||
	{ echo "1..0 # SKIP kernel without partition membership"; exit 4; }

T=$(mktemp -d)
PIDS=""
RUN0=$(cat $S/run)
SCANS0=$(cat $S/full_scans)
cleanup() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	wait 2>/dev/null
	for n in ps-a ps-b; do [ -d $S/partition/$n ] && echo $n > $S/control/remove_partition; done
	rm -rf "$T"
}
trap cleanup EXIT
echo "1..14"
N=0; FAIL=0
ok() { N=$((N + 1)); if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAIL=$((FAIL + 1)); fi; }
k() { "$KSMCTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }
pidof_probe() { sed -n 's/^pid=\([0-9]*\) .*/\1/p' "$1"; }
merging() { sed -n 's/^ksm_merging_pages //p' /proc/$1/ksm_stat; }
member() { grep -qx "ksm_partition $2" /proc/$1/ksm_stat && grep -qx "ksm_partition_joined yes" /proc/$1/ksm_stat; }
first() { r=$("$PFN" $1 "$(field "$T/$2" same)" $NSAME); echo "${r##* first=}"; }
distinct() { r=$("$PFN" $1 "$(field "$T/$2" same)" $NSAME); r=${r#* distinct=}; echo "${r%% *}"; }

# 1-3 partitions; scanning is off by default; bad values refused
k -j partition add ps-a && k -j partition add ps-b
P=$S/partition/ps-a
ok $([ $rc = 0 ] && [ "$(cat $P/run)" = 0 ] && [ "$(cat $P/pages_to_scan)" = 100 ] && \
	[ "$(cat $P/sleep_millisecs)" = 20 ] && [ "$(cat $P/full_scans)" = 0 ]; echo $?) \
	"new partitions: run 0, pages_to_scan 100, sleep_millisecs 20, full_scans 0"
e1=0; echo 2 > $P/run 2>/dev/null && e1=1; echo 0 > $P/pages_to_scan 2>/dev/null && e1=1
echo x > $P/sleep_millisecs 2>/dev/null && e1=1
ok $([ $e1 = 0 ] && [ "$(cat $P/run)" = 0 ] && [ "$(cat $P/pages_to_scan)" = 100 ]; echo $?) \
	"run 2, pages_to_scan 0, sleep_millisecs x: EINVAL, values unchanged"

# Two processes per tenant; the probe is forked by sh, then exec'd: both keep membership
start() { # PARTITION FILE
	"$KSM_EXEC" --partition $1 -- sh -c "\"$PROBE\" --same $NSAME --unique 20; :" > "$T/$2" &
	PIDS="$PIDS $!"
}
start ps-a a1; start ps-a a2; start ps-b b1; start ps-b b2
for i in $(seq 100); do
	[ -s "$T/a1" ] && [ -s "$T/a2" ] && [ -s "$T/b1" ] && [ -s "$T/b2" ] && break; sleep 0.1
done
A1=$(pidof_probe "$T/a1"); A2=$(pidof_probe "$T/a2"); B1=$(pidof_probe "$T/b1"); B2=$(pidof_probe "$T/b2")
PIDS="$PIDS $A1 $A2 $B1 $B2"
ok $([ -n "$A1$A2$B1$B2" ] && member $A1 ps-a && member $A2 ps-a && member $B1 ps-b && member $B2 ps-b && \
	[ "$(cat $P/members)" = 4 ]; echo $?) \
	"ksm-exec --partition: sh and the probe it forked and exec'd are joined members (members $(cat $P/members))"
sleep 2
ok $([ "$(merging $A1)$(merging $A2)$(merging $B1)$(merging $B2)" = 0000 ] && [ "$(cat $P/pages_scanned)" = 0 ]; echo $?) \
	"with run 0 nothing is scanned or merged"

# 5-9 background scanning of both partitions
k -j partition scan ps-a on --pages-to-scan 1000 --sleep-ms 20
scanj=$(jq -c '[.run, .pages_to_scan, .sleep_millisecs]' "$T/out")
k -j partition scan ps-b on --pages-to-scan 1000 --sleep-ms 20
t0=$(date +%s)
for i in $(seq 600); do
	# two whole passes (other identical pages of the probes merge too)
	[ "$(cat $S/partition/ps-a/full_scans)" -ge 2 ] && [ "$(cat $S/partition/ps-b/full_scans)" -ge 2 ] && \
	[ "$(merging $A1)" -ge $NSAME ] 2>/dev/null && [ "$(merging $A2)" -ge $NSAME ] 2>/dev/null && \
	[ "$(merging $B1)" -ge $NSAME ] 2>/dev/null && [ "$(merging $B2)" -ge $NSAME ] 2>/dev/null && break
	sleep 0.2
done
ok $([ "$scanj" = "[true,1000,20]" ] && [ "$(merging $A1)" -ge $NSAME ] && [ "$(merging $B2)" -ge $NSAME ]; echo $?) \
	"ksmctl partition scan on ($scanj): every member merged by its partition's scan in $(($(date +%s) - t0)) s ($(merging $A1) $(merging $A2) $(merging $B1) $(merging $B2) pages)"
fa1=$(first $A1 a1); fa2=$(first $A2 a2); fb1=$(first $B1 b1); fb2=$(first $B2 b2)
ok $([ "$(distinct $A1 a1)" = 1 ] && [ "$fa1" = "$fa2" ] && [ "$fb1" = "$fb2" ] && [ "$fa1" != 0 ]; echo $?) \
	"within each tenant the identical pages share one physical page (a $fa1 $fa2, b $fb1 $fb2)"
ok $([ "$fa1" != "$fb1" ]; echo $?) "never across tenants: ps-a and ps-b pages are different physical pages"
# (ksmd's full_scans only stays put if ksmd was stopped: an earlier test may have left it running)
ok $([ "$(cat $S/run)" = "$RUN0" ] && { [ "$RUN0" != 0 ] || [ "$(cat $S/full_scans)" = "$SCANS0" ]; } && \
	[ "$(cat $P/full_scans)" -gt 0 ]; echo $?) \
	"ksmd (global run $(cat $S/run)) did none of it; ps-a completed $(cat $P/full_scans) passes"
k -j merge ps-b --pid $A1
ok $([ $rc != 0 ] && [ "$(jq -r .errno_name "$T/out")" = EBUSY ] && member $A1 ps-a; echo $?) \
	"explicit merge of a ps-a member into ps-b: EBUSY, still in ps-a"

# 10-11 run back to 0
k partition scan ps-a off; k partition scan ps-b off
sleep 0.5
s1=$(cat $P/pages_scanned); f1=$(cat $P/full_scans); sleep 2; s2=$(cat $P/pages_scanned); f2=$(cat $P/full_scans)
ok $([ "$(cat $P/run)" = 0 ] && [ "$s1" = "$s2" ] && [ "$f1" = "$f2" ]; echo $?) \
	"ksmctl partition scan off (run 0): scanning stops (pages_scanned $s1 -> $s2)"
ok $([ "$(merging $A1)" -ge $NSAME ] && [ "$(distinct $A2 a2)" = 1 ]; echo $?) "merged pages stay merged after the scan stops"

# 12 exit
kill $A2 2>/dev/null
for i in $(seq 50); do [ "$(cat $P/members)" = 2 ] && break; sleep 0.1; done
ok $([ "$(cat $P/members)" = 2 ]; echo $?) "a member that exits leaves the partition (members $(cat $P/members): sh and probe a1)"

# 13-14 a restart goes on scanning; removing a running partition stops it
echo 1 > $P/run
for i in $(seq 50); do [ "$(cat $P/full_scans)" -gt "$f2" ] && break; sleep 0.1; done
f3=$(cat $P/full_scans)
echo ps-a > $S/control/remove_partition
ok $([ "$f3" -gt "$f2" ] && [ ! -d $P ] && member $A1 ps-a && [ "$(merging $A1)" -ge $NSAME ]; echo $?) \
	"run 1 again scans ($f2 -> $f3 passes); removing the partition: name gone, members keep membership and merged pages"
"$KSM_EXEC" --partition ps-a -- true 2> "$T/err"
rc=$?
ok $([ $rc = 125 ] && grep -q "create it first" "$T/err"; echo $?) \
	"ksm-exec --partition of an unknown name: exit 125, never global ($(cat "$T/err"))"
echo "# failed $FAIL"
[ $FAIL = 0 ]
