#!/bin/sh
# ksmctl partition apply against the patched kernel (busybox sh, root; no
# systemd in the guest: the step ksm-partitions.service runs): --dry-run
# changes nothing, apply creates with the exact owner, group and mode (whatever
# the umask) and scan settings, a second apply changes nothing (a member stays
# in its partition), a changed file updates scan settings and re-creates an
# unused partition whose mode changed, a partition in use is never re-created
# (error, nothing changed), partitions not in the file are left alone, and
# bad files (name, key, duplicates, values, syntax) change nothing. No
# process merges here (a joined member only sleeps), so no page is shared.
KSMCTL=${KSMCTL:-/bin/ksmctl}
KSM_EXEC=${KSM_EXEC:-/bin/ksm-exec}
S=/sys/kernel/mm/ksm

echo "TAP version 13"
[ -d $S/partition ] || { echo "1..0 # SKIP kernel without Selective KSM"; exit 4; }
command -v jq > /dev/null || { echo "1..0 # SKIP no jq"; exit 4; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 4; }
[ "$("$KSMCTL" -j status | jq -r .features.partition_join)" = true ] ||
	{ echo "1..0 # SKIP kernel without partition membership and background scanning"; exit 4; }

T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	wait 2>/dev/null
	for n in ap-a ap-b ap-c ap-x ap-new; do [ -d $S/partition/$n ] && echo $n > $S/control/remove_partition; done
	rm -rf "$T"
}
trap cleanup EXIT
echo "1..14"
N=0; FAIL=0
ok() { N=$((N + 1)); if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAIL=$((FAIL + 1)); fi; }
k() { "$KSMCTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
j() { jq -r "$1" "$T/out"; }
# every partition with owner, mode and scan settings, one line each
state() {
	for d in $S/partition/*; do
		[ -d "$d" ] || continue
		echo "${d##*/} $(cat $d/uid):$(cat $d/gid) $(cat $d/mode) run=$(cat $d/run) $(cat $d/pages_to_scan)/$(cat $d/sleep_millisecs)"
	done
}
p() { state | grep "^$1 "; }

cat > "$T/c1" <<'EOF'
# boot-time partitions, first version
[partition ap-a]
owner = 1000
group = 1001
mode = 0640

[partition ap-b]
    scan = on          # indented keys are keys
    pages_to_scan = 500
    sleep_millisecs = 50

[partition ap-c]
EOF
"$KSMCTL" partition add ap-x > /dev/null
S0=$(state)

# 1-2 dry run
k partition apply --dry-run "$T/c1"
ok $([ $rc = 0 ] && [ "$(state)" = "$S0" ] && grep -q "^ap-a: would create (owner 1000, group 1001, mode 0640)" "$T/out" && \
	grep -q "^ap-x: not in $T/c1, left alone" "$T/out" && grep -q "3 partitions would change (dry run" "$T/out"; echo $?) \
	"--dry-run: says what it would do, changes nothing ($(tr '\n' '|' < "$T/out"))"
k -j partition apply "$T/c1" --dry-run
ok $([ $rc = 0 ] && [ "$(state)" = "$S0" ] && [ "$(j .dry_run)" = true ] && [ "$(j .changed)" = 3 ] && \
	[ "$(j '[.partitions[].action] | join(",")')" = "create,create,create" ] && [ "$(j '.unlisted | index("ap-x") != null')" = true ]; echo $?) \
	"-j --dry-run: plan as JSON (3 creations, ap-x unlisted), nothing changed"

# 3-5 apply creates (under umask 077: the mode is the file's, not masked)
(umask 077; "$KSMCTL" partition apply "$T/c1" > "$T/out" 2> "$T/err"); rc=$?
ok $([ $rc = 0 ] && [ "$(p ap-a)" = "ap-a 1000:1001 0640 run=0 100/20" ] && [ "$(p ap-c)" = "ap-c 0:0 0600 run=0 100/20" ]; echo $?) \
	"apply creates ap-a 1000:1001 0640 and ap-c root 0600 under umask 077 ($(p ap-a); $(p ap-c); $(cat "$T/err"))"
ok $([ "$(p ap-b)" = "ap-b 0:0 0600 run=1 500/50" ]; echo $?) "ap-b: scan on at 500 pages every 50 ms ($(p ap-b))"
ok $([ "$(p ap-x)" = "$(echo "$S0" | grep '^ap-x ')" ]; echo $?) "ap-x, not in the file, is left alone"

# 6-7 apply again: no change; a member proves ap-a was not re-created
"$KSM_EXEC" --partition ap-a -- sleep 600 & PIDS="$PIDS $!"
for i in $(seq 50); do [ "$(cat $S/partition/ap-a/members)" = 1 ] && break; sleep 0.1; done
S1=$(state)
k -j partition apply "$T/c1"
ok $([ $rc = 0 ] && [ "$(j .changed)" = 0 ] && [ "$(j '[.partitions[].action] | unique | join(",")')" = unchanged ] && \
	[ "$(state)" = "$S1" ] && [ "$(cat $S/partition/ap-a/members)" = 1 ]; echo $?) \
	"second apply: nothing changed, ap-a keeps its member ($(cat $S/partition/ap-a/members))"
k partition apply "$T/c1"
ok $([ $rc = 0 ] && grep -q "^nothing to do" "$T/out" && grep -q "^ap-a: unchanged" "$T/out"; echo $?) "text: 'nothing to do'"

# 8 a changed file that would change the mode of ap-a, which is in use: error, nothing changed
cat > "$T/c2" <<'EOF'
# second version: ap-a group-writable, ap-b faster, ap-c scanned
[partition ap-a]
owner = 1000
group = 1001
mode = 0660

[partition ap-b]
scan = on
pages_to_scan = 800
sleep_millisecs = 50

[partition ap-c]
scan = on
sleep_millisecs = 5
EOF
k partition apply "$T/c2"
ok $([ $rc = 1 ] && grep -q "^ksmctl: $T/c2:2: partition 'ap-a' is in use (members 1, pages 0)" "$T/err" && grep -q EBUSY "$T/err" && \
	[ "$(state)" = "$S1" ]; echo $?) "mode change of a partition in use: EBUSY naming FILE:LINE, nothing changed ($(cat "$T/err"))"

# 9-10 the member gone: the same file re-creates ap-a and updates ap-b and ap-c
kill $PIDS; wait 2>/dev/null; PIDS=""
for i in $(seq 50); do [ "$(cat $S/partition/ap-a/members)" = 0 ] && break; sleep 0.1; done
k partition apply "$T/c2"
ok $([ $rc = 0 ] && [ "$(p ap-a)" = "ap-a 1000:1001 0660 run=0 100/20" ] && grep -q "^ap-a: re-create (unused.*mode 0640 -> 0660" "$T/out"; echo $?) \
	"unused ap-a: re-created with mode 0660 ($(p ap-a); $(grep ^ap-a "$T/out"))"
ok $([ "$(p ap-b)" = "ap-b 0:0 0600 run=1 800/50" ] && [ "$(p ap-c)" = "ap-c 0:0 0600 run=1 100/5" ] && \
	grep -q "^ap-b: update pages_to_scan 500 -> 800$" "$T/out" && grep -q "^ap-c: update sleep_millisecs 20 -> 5, scan off -> on$" "$T/out" && \
	grep -q "^3 partitions changed" "$T/out"; echo $?) "ap-b pages_to_scan 500 -> 800, ap-c scan on every 5 ms ($(p ap-b); $(p ap-c))"

# 11-13 bad files: a valid start (a new partition, changes) then one error; nothing changes
S2=$(state)
bad=0; n=0
printf '[partition ap-new]\nscan = on\n[partition ap-b]\npages_to_scan = 900\n' > "$T/head"
for case in "[partition bad/name]|5|bad partition name 'bad/name'" "owner2 = 1|5|unknown key 'owner2' in \[partition ap-b\]" \
	"[partition ap-new]|5|duplicate section \[partition ap-new\] (first at line 1)" "mode = 0999|5|bad mode '0999'" \
	"pages_to_scan = 1|5|duplicate key 'pages_to_scan' in \[partition ap-b\] (first at line 4)" \
	"scan = yes|5|bad scan 'yes'" "sleep_millisecs = -1|5|bad sleep_millisecs '-1'" "owner = nobody-here|5|unknown user 'nobody-here'" \
	"just words|5|syntax error" "[partition ap-x|5|no ']'"; do
	line=${case%%|*}; rest=${case#*|}; at=${rest%%|*}; msg=${rest#*|}
	{ cat "$T/head"; echo "$line"; echo "[partition ap-c]"; } > "$T/bad"
	k partition apply "$T/bad"
	n=$((n + 1))
	if ! { [ $rc = 1 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q "^ksmctl: $T/bad:$at: $msg" "$T/err" && [ ! -s "$T/out" ] && \
		[ "$(state)" = "$S2" ]; }; then
		bad=1; echo "# '$line': rc $rc, $(cat "$T/err" "$T/out")"
	fi
done
ok $bad "$n bad files (name, unknown key, duplicate section and key, values, unknown user, syntax): FILE:LINE error, exit 1, nothing changed"
{ cat "$T/head"; echo "mode = 8"; } > "$T/bad"; k -j partition apply "$T/bad"
ok $([ $rc = 1 ] && [ "$(j .errno_name)" = EINVAL ] && [ "$(j .exit_code)" = 1 ] && [ "$(j .error)" = "$T/bad:5: bad mode '8'" ] && \
	[ ! -s "$T/err" ] && [ "$(state)" = "$S2" ]; echo $?) "-j: the file error as a JSON error object, nothing changed"
k partition apply "$T/no-such-file"
ok $([ $rc = 1 ] && grep -q "ENOENT" "$T/err" && [ "$(state)" = "$S2" ]; echo $?) "missing file: ENOENT, nothing changed"

# 14 the first file again: back to it (ap-a mode 0640 re-created, scan settings back)
k partition apply "$T/c1"
ok $([ $rc = 0 ] && [ "$(p ap-a)" = "ap-a 1000:1001 0640 run=0 100/20" ] && [ "$(p ap-b)" = "ap-b 0:0 0600 run=1 500/50" ] && \
	[ "$(p ap-c)" = "ap-c 0:0 0600 run=0 100/5" ] && [ ! -d $S/partition/ap-new ]; echo $?) \
	"the first file again: ap-a 0640, ap-b 500/50, ap-c scan off (its sleep, not in the file, stays 5) ($(state | tr '\n' '|'))"
echo "# failed $FAIL"
[ $FAIL = 0 ]
