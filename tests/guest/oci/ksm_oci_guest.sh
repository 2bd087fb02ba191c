#!/bin/sh
# Containers join a partition by annotation: a real OCI runtime (Debian's
# crun) behind ksm-oci runs real containers (pid, ipc, uts and mount
# namespaces, a busybox rootfs made from busybox-static) in the patched
# kernel. Two containers annotated org.selective-ksm.partition: oci-a and
# one annotated oci-b run the same workload (ksm-probe: identical pages);
# the partitions' background scans merge oci-a's two containers with each
# other and with nothing else: pagemap PFNs, and no physical page mapped by
# both partitions. A missing partition keeps the container from starting;
# org.selective-ksm.enable puts a container in the global domain; every
# other command passes through to crun. Patched kernel, busybox sh, root.
KSMCTL=${KSMCTL:-/bin/ksmctl}
KSM_OCI=${KSM_OCI:-/bin/ksm-oci}
PROBE=${PROBE:-/bin/ksm-probe}
PFN=${PFN:-/bin/pfn-count}
CENSUS=${CENSUS:-/bin/pfn-census}
S=/sys/kernel/mm/ksm
NSAME=100	# 2 containers x 100 < max_page_sharing (256): one KSM page per partition
NUNIQUE=20

echo "TAP version 13"
[ -d $S/partition ] || { echo "1..0 # SKIP kernel without Selective KSM"; exit 4; }
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root"; exit 4; }
command -v jq > /dev/null || { echo "1..0 # SKIP no jq"; exit 4; }
command -v crun > /dev/null || { echo "1..0 # SKIP no crun in the initramfs"; exit 4; }
[ "$("$KSMCTL" -j status | jq -r .features.partition_join)" = true ] ||
	{ echo "1..0 # SKIP kernel without partition membership"; exit 4; }
# what crun needs from the kernel (kernel/config/test.config)
for need in /proc/self/ns/pid:PID_NS /proc/self/ns/ipc:IPC_NS /proc/self/ns/uts:UTS_NS \
	/proc/self/uid_map:USER_NS /sys/fs/cgroup:CGROUPS; do
	[ -e "${need%%:*}" ] || { echo "1..0 # SKIP kernel without CONFIG_${need##*:} (${need%%:*}), which crun needs"; exit 4; }
done

T=$(mktemp -d)
# crun puts each container in a cgroup of /sys/fs/cgroup (cgroup2, no
# controller is used)
CGMOUNT=0
if ! grep -q ' /sys/fs/cgroup ' /proc/mounts; then
	mount -t cgroup2 cgroup2 /sys/fs/cgroup || { echo "1..0 # SKIP cannot mount cgroup2"; exit 4; }
	CGMOUNT=1
fi
RT=crun
oci() { "$KSM_OCI" --runtime crun "$@"; }
IDS="a1 a2 b1 g1 missing"
cleanup() {
	for id in $IDS; do
		$RT kill "$id" KILL 2>/dev/null
		$RT delete -f "$id" > /dev/null 2>&1
	done
	for n in oci-a oci-b; do [ -d $S/partition/$n ] && echo $n > $S/control/remove_partition; done
	[ $CGMOUNT = 1 ] && umount /sys/fs/cgroup
	rm -rf "$T"
}
trap cleanup EXIT
echo "1..12"
N=0; FAIL=0
ok() { N=$((N + 1)); if [ "$1" = 0 ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAIL=$((FAIL + 1)); fi; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1"; }
merging() { sed -n 's/^ksm_merging_pages //p' /proc/$1/ksm_stat; }
member() { grep -qx "ksm_partition $2" /proc/$1/ksm_stat && grep -qx "ksm_partition_joined yes" /proc/$1/ksm_stat; }
pid_of() { $RT state "$1" 2>/dev/null | jq -r .pid; }
status_of() { $RT state "$1" 2>/dev/null | jq -r .status; }
first() { r=$("$PFN" "$1" "$(field "$T/$2.out" same)" $NSAME); echo "${r##* first=}"; }
distinct() { r=$("$PFN" "$1" "$(field "$T/$2.out" same)" $NSAME); r=${r#* distinct=}; echo "${r%% *}"; }

# 1 crun runs in this kernel (dynamic, copied into the initramfs with its libraries)
v=$(crun --version 2>&1 | head -n1)
ok $(echo "$v" | grep -q '^crun version'; echo $?) "crun runs in the guest ($v)"

# A busybox rootfs and one bundle per container: the workload is ksm-probe,
# started by the rootfs' busybox sh
mkdir -p "$T/rootfs/bin" "$T/rootfs/proc" "$T/rootfs/dev" "$T/rootfs/tmp"
cp /bin/busybox "$T/rootfs/bin/busybox"
for c in sh sleep cat; do ln -s busybox "$T/rootfs/bin/$c"; done
cp "$PROBE" "$T/rootfs/bin/ksm-probe"
bundle() { # bundle ID ANNOTATIONS-JSON
	mkdir -p "$T/$1"
	ln -s ../rootfs "$T/$1/rootfs"
	cat > "$T/$1/config.json" <<EOF
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "/bin/sh", "-c", "exec /bin/ksm-probe --same $NSAME --unique $NUNIQUE" ],
		"env": [ "PATH=/bin" ],
		"cwd": "/",
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs" },
	"hostname": "$1",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=1024k" ] }
	],
	"linux": {
		"namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ]
	},
	"annotations": $2
}
EOF
}
bundle a1 '{ "org.selective-ksm.partition": "oci-a" }'
bundle a2 '{ "org.selective-ksm.partition": "oci-a" }'
bundle b1 '{ "org.selective-ksm.partition": "oci-b", "io.kubernetes.cri.container-name": "b1" }'
bundle g1 '{ "org.selective-ksm.enable": "true" }'
bundle missing '{ "org.selective-ksm.partition": "oci-missing" }'
"$KSMCTL" partition add oci-a > /dev/null && "$KSMCTL" partition add oci-b > /dev/null

# 2 a missing partition: exit 125, crun never runs, nothing created
oci create --no-pivot --bundle "$T/missing" missing > "$T/missing.out" 2> "$T/err"
rc=$?
ok $([ $rc = 125 ] && grep -q "cannot open KSM partition 'oci-missing': No such file or directory; create it first" "$T/err" &&
	[ -z "$($RT list -q 2>/dev/null | grep -x missing)" ] && [ ! -d /run/crun/missing ]; echo $?) \
	"annotation naming a missing partition: exit 125, the container is not created ($(cat "$T/err"))"

# 3-4 create through ksm-oci (the container's init joins at exec), start passes through
for id in a1 a2 b1 g1; do
	# the container's stdout is crun's (no terminal): the probe's line lands in $T/ID.out
	oci create --no-pivot --bundle "$T/$id" "$id" > "$T/$id.out" 2> "$T/$id.err" || echo "# create $id: $(cat "$T/$id.err")"
done
for id in a1 a2 b1 g1; do
	oci start "$id" 2>> "$T/$id.err" || echo "# start $id: $(cat "$T/$id.err")"
done
for i in $(seq 100); do
	[ -s "$T/a1.out" ] && [ -s "$T/a2.out" ] && [ -s "$T/b1.out" ] && [ -s "$T/g1.out" ] && break; sleep 0.1
done
A1=$(pid_of a1); A2=$(pid_of a2); B1=$(pid_of b1); G1=$(pid_of g1)
st="$(status_of a1) $(status_of a2) $(status_of b1) $(status_of g1)"
sns=$(readlink /proc/self/ns/pid)
# the container's root is the busybox rootfs (its ksm-probe, not the guest's /tests)
ok $([ "$st" = "running running running running" ] && grep -q '^pid=1 ' "$T/a1.out" && grep -q '^pid=1 ' "$T/b1.out" &&
	[ "$(readlink /proc/$A1/ns/pid)" != "$sns" ] && [ "$(readlink /proc/$A1/ns/pid)" != "$(readlink /proc/$A2/ns/pid)" ] &&
	[ -x /proc/$A1/root/bin/ksm-probe ] && [ ! -e /proc/$A1/root/tests ] && [ -e /tests ]; echo $?) \
	"4 containers created and started by crun through ksm-oci: $st, each probe is pid 1 of its own pid namespace in the busybox rootfs (host pids $A1 $A2 $B1 $G1)"
ok $(member $A1 oci-a && member $A2 oci-a && member $B1 oci-b && [ "$(cat $S/partition/oci-a/members)" = 2 ] &&
	[ "$(cat $S/partition/oci-b/members)" = 1 ] && ! grep -q '^ksm_partition ' /proc/$G1/ksm_stat &&
	grep -q ' merge_any=1 ' "$T/g1.out"; echo $?) \
	"the containers' processes inherited the membership (oci-a members $(cat $S/partition/oci-a/members), oci-b $(cat $S/partition/oci-b/members)); enable \"true\": global domain (g1's probe: PR_GET_MEMORY_MERGE $(field "$T/g1.out" merge_any))"

# 5 nothing merges before the partitions scan
sleep 1
ok $([ "$(merging $A1)$(merging $A2)$(merging $B1)" = 000 ]; echo $?) "before any scan nothing is merged"

# 6-8 background scans of both partitions
"$KSMCTL" partition scan oci-a on --pages-to-scan 1000 --sleep-ms 20 > /dev/null
"$KSMCTL" partition scan oci-b on --pages-to-scan 1000 --sleep-ms 20 > /dev/null
t0=$(date +%s)
for i in $(seq 600); do
	[ "$(cat $S/partition/oci-a/full_scans)" -ge 2 ] && [ "$(cat $S/partition/oci-b/full_scans)" -ge 2 ] &&
	[ "$(merging $A1)" -ge $NSAME ] && [ "$(merging $A2)" -ge $NSAME ] && [ "$(merging $B1)" -ge $NSAME ] && break
	sleep 0.2
done
ok $([ "$(merging $A1)" -ge $NSAME ] && [ "$(merging $A2)" -ge $NSAME ] && [ "$(merging $B1)" -ge $NSAME ]; echo $?) \
	"the partitions' scans merged every container in $(($(date +%s) - t0)) s (merging pages a1 $(merging $A1), a2 $(merging $A2), b1 $(merging $B1))"
fa1=$(first $A1 a1); fa2=$(first $A2 a2); fb1=$(first $B1 b1)
ok $([ "$(distinct $A1 a1)" = 1 ] && [ "$(distinct $A2 a2)" = 1 ] && [ "$fa1" = "$fa2" ] && [ "$fa1" != 0 ]; echo $?) \
	"oci-a: the identical pages of both containers are one physical page (pfn $fa1 $fa2)"
ok $([ "$(distinct $B1 b1)" = 1 ] && [ "$fb1" != "$fa1" ] && [ "$fb1" != 0 ]; echo $?) \
	"oci-b: the same content in the third container is another physical page (pfn $fb1, not $fa1)"
# every page of the workload (identical and unique pages; the probes' unique
# pages are seeded by their pid, 1 in each container: equal content too)
arg() { echo "$1:$2:$(field "$T/$3.out" same):$NSAME $1:$2:$(field "$T/$3.out" unique):$NUNIQUE"; }
# shellcheck disable=SC2046
"$CENSUS" $(arg oci-a $A1 a1) $(arg oci-a $A2 a2) $(arg oci-b $B1 b1) > "$T/census"
cross=$(awk '$1 == "cross" { print $2 }' "$T/census")
da=$(awk '$1 == "group" && $2 == "oci-a" { print $6 }' "$T/census")
ok $([ "$cross" = 0 ] && [ "$da" -le $((1 + NUNIQUE)) ]; echo $?) \
	"pfn census: no physical page mapped by both partitions (cross $cross; oci-a: $((2 * (NSAME + NUNIQUE))) pages on $da frames)"

# 10 other commands pass through to crun untouched
s1=$(oci state a1 | jq -r '.status + " " + .annotations["org.selective-ksm.partition"]')
l1=$(oci list -q | sort | tr '\n' ' ')
ok $([ "$s1" = "running oci-a" ] && [ "$l1" = "a1 a2 b1 g1 " ]; echo $?) \
	"state and list through ksm-oci are crun's ($s1; $l1)"

# 11-12 kill and delete through ksm-oci; the partition empties
for id in a1 a2 b1 g1; do oci kill "$id" KILL; done
for i in $(seq 50); do
	[ "$(status_of a1)$(status_of a2)$(status_of b1)" = stoppedstoppedstopped ] && break; sleep 0.1
done
for id in a1 a2 b1 g1; do oci delete "$id"; done
l2=$(oci list -q | tr -d '\n')
ok $([ -z "$l2" ]; echo $?) "kill and delete through ksm-oci (containers left: '$l2')"
for i in $(seq 50); do [ "$(cat $S/partition/oci-a/members)" = 0 ] && break; sleep 0.1; done
ok $([ "$(cat $S/partition/oci-a/members)" = 0 ] && [ "$(cat $S/partition/oci-b/members)" = 0 ]; echo $?) \
	"the partitions have no members left"
echo "# failed $FAIL"
[ $FAIL = 0 ]
