#!/bin/sh
# ksm-demo: Selective KSM on a small multi-tenant host (runs in the patched
# kernel's guest; `make demo` boots it). 3 tenants x 3 microVM-like
# processes (microvm: the same guest kernel image and initramfs loaded in
# every VM, zero pages, and DEMO_UNIQUE_PCT% data unique to each VM), one
# partition per tenant (ksmctl partition add), processes started through
# ksm-exec --partition TENANT (joined to their tenant's partition before
# exec, as a VMM runtime would), merged synchronously with ksmctl merge.
# Then the same memory merged by ksmd in the global domain, for comparison.
#
# Proof, not claims: memory before/after is the number of distinct physical
# pages (PFNs from /proc/PID/pagemap) the tenant's processes map, and
# isolation is "no PFN mapped by two tenants" (pfn-census).
#
# Environment: DEMO_RAM_MIB (64), DEMO_UNIQUE_PCT (15), DEMO_IMAGE, DEMO_INITRD
# (the files loaded into every VM), DEMO_TENANTS ("acme globex initech"),
# DEMO_VMS (3), DEMO_KSMD=0 to skip the ksmd comparison.
# Exit status: 0 when every tenant merged and no page is shared across
# tenants; 1 otherwise.
set -u

RAM=${DEMO_RAM_MIB:-64}
UNIQUE=${DEMO_UNIQUE_PCT:-15}
IMAGE=${DEMO_IMAGE:-/extra/bzImage}
INITRD=${DEMO_INITRD:-/extra/initramfs.cpio.gz}
TENANTS=${DEMO_TENANTS:-acme globex initech}
VMS=${DEMO_VMS:-3}
KSMD=${DEMO_KSMD:-1}
PAGE=4096
status=0
pids=""

die() { echo "ksm-demo: $*" >&2; cleanup; exit 1; }
now() { cut -d' ' -f1 /proc/uptime; }	# seconds, 10 ms resolution
mib() { echo $(( ($1 * PAGE + 524288) / 1048576 )); }
# CPU seconds (user + sys) used so far by this shell's finished children:
# 'times' must run in this shell, not in a $(...) subshell
children_cpu() {
	times >/tmp/times
	awk 'NR == 2 { n = split($0, t, " "); s = 0;
		for (i = 1; i <= n; i++) { split(t[i], p, "m"); s += p[1] * 60 + p[2] + 0 }
		print s }' /tmp/times
}
ksmd_cpu() {
	for c in /proc/[0-9]*/comm; do
		if [ "$(cat "$c" 2>/dev/null)" = ksmd ]; then
			awk '{ print ($14 + $15) / 100 }' "${c%comm}stat"
			return
		fi
	done
	echo 0
}
cleanup() {
	local p t
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	pids=""
	for t in $TENANTS; do ksmctl partition remove "$t" >/dev/null 2>&1; done
}

# start_vms partition|global: one microvm per tenant and VM, through ksm-exec,
# joined to its tenant's partition (--partition, the urunc flow with tenants)
# or in the global domain (--enable, PR_SET_MEMORY_MERGE, for ksmd)
start_vms() {
	local mode=$1 n=0 t v i opt
	for t in $TENANTS; do
		if [ "$mode" = partition ]; then opt="--partition $t"; else opt=--enable; fi
		v=1
		while [ "$v" -le "$VMS" ]; do
			n=$((n + 1))
			ksm-exec $opt -- microvm --ram "$RAM" --image "$IMAGE" \
				--initrd "$INITRD" --unique "$UNIQUE" --id "$n" \
				>"/tmp/vm.$t.$v" 2>/tmp/vm.err &
			echo "$!" >"/tmp/vm.$t.$v.pid"
			pids="$pids $!"
			v=$((v + 1))
		done
	done
	for t in $TENANTS; do
		v=1
		while [ "$v" -le "$VMS" ]; do
			i=0
			while [ ! -s "/tmp/vm.$t.$v" ]; do
				i=$((i + 1))
				[ "$i" -le 600 ] || die "microvm $t.$v did not start: $(cat /tmp/vm.err)"
				sleep 0.1
			done
			v=$((v + 1))
		done
	done
}

# census: "tenant present distinct" lines and "cross N", into /tmp/census
census() {
	local args="" t v
	for t in $TENANTS; do
		v=1
		while [ "$v" -le "$VMS" ]; do
			set -- $(cat "/tmp/vm.$t.$v")
			args="$args $t:$(cat /tmp/vm.$t.$v.pid):$1:$2"
			v=$((v + 1))
		done
	done
	pfn-census $args >/tmp/census || die "pfn-census failed"
}
distinct_of() { awk -v t="$1" '$1 == "group" && $2 == t { print $6 }' /tmp/census; }
cross_of() { awk '$1 == "cross" { print $2 }' /tmp/census; }

[ -d /sys/kernel/mm/ksm/partition ] || { echo "ksm-demo: this kernel has no Selective KSM" >&2; exit 4; }
for f in "$IMAGE" "$INITRD"; do [ -r "$f" ] || { echo "ksm-demo: cannot read $f" >&2; exit 1; }; done
trap 'cleanup; exit 1' INT TERM

ntenants=$(echo $TENANTS | wc -w)
echo "== Selective KSM demo: $ntenants tenants x $VMS microVMs, $RAM MiB of guest RAM each"
echo "   kernel: $(cut -d' ' -f1-3 /proc/version)"
echo "   every VM: guest kernel image $(basename "$IMAGE") ($(($(wc -c <"$IMAGE") / 1024)) KiB) at 16 MiB,"
echo "   initramfs $(basename "$INITRD") ($(($(wc -c <"$INITRD") / 1024)) KiB) at the top of RAM,"
echo "   ${UNIQUE}% random data unique to the VM, the rest zero pages (all resident)"
echo

for t in $TENANTS; do
	ksmctl partition add "$t" >/dev/null || die "ksmctl partition add $t failed"
done
echo "-- partitions: $(ksmctl -j partition list | jq -r '[.[].name] | join(", ")')"
t0=$(now)
start_vms partition
echo "-- $((ntenants * VMS)) microVMs started through ksm-exec --partition TENANT in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s"
census
cp /tmp/census /tmp/census.before
echo

printf '%-9s %4s %11s %10s %13s %14s %9s %8s\n' tenant VMs "MiB before" "MiB after" pages_shared pages_sharing "merge s" "CPU s"
printf '%-9s %4s %11s %10s %13s %14s %9s %8s\n' --------- ---- ----------- ---------- ------------- -------------- --------- --------
tot_before=0 tot_after=0 tot_time=0 tot_cpu=0
for t in $TENANTS; do
	before=$(awk -v t="$t" '$1 == "group" && $2 == t { print $6 }' /tmp/census.before)
	children_cpu >/tmp/c0
	s0=$(now)
	v=1
	while [ "$v" -le "$VMS" ]; do
		ksmctl -j merge "$t" --pid "$(cat /tmp/vm.$t.$v.pid)" >/tmp/merge.json ||
			die "ksmctl merge $t failed: $(cat /tmp/merge.json)"
		v=$((v + 1))
	done
	s1=$(now)
	children_cpu >/tmp/c1
	c0=$(cat /tmp/c0) c1=$(cat /tmp/c1)
	ksmctl -j partition show "$t" | jq -r '"\(.pages_shared) \(.pages_sharing)"' >/tmp/counters
	read shared sharing </tmp/counters
	census
	after=$(distinct_of "$t")
	secs=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')
	cpu=$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }')
	printf '%-9s %4s %11s %10s %13s %14s %9s %8s\n' "$t" "$VMS" "$(mib "$before")" "$(mib "$after")" "$shared" "$sharing" "$secs" "$cpu"
	[ "$sharing" -gt 0 ] || { echo "ksm-demo: tenant $t: nothing merged" >&2; status=1; }
	tot_before=$((tot_before + before)) tot_after=$((tot_after + after))
	tot_time=$(awk -v a="$tot_time" -v b="$secs" 'BEGIN { print a + b }')
	tot_cpu=$(awk -v a="$tot_cpu" -v b="$cpu" 'BEGIN { print a + b }')
done
printf '%-9s %4s %11s %10s %13s %14s %9s %8s\n' total "$((ntenants * VMS))" "$(mib $tot_before)" "$(mib $tot_after)" "" "" \
	"$(awk -v a="$tot_time" 'BEGIN { printf "%.2f", a }')" "$(awk -v a="$tot_cpu" 'BEGIN { printf "%.2f", a }')"
echo

cross=$(cross_of)
pages=$(awk '$1 == "group" { n += $4 } END { print n }' /tmp/census)
if [ "$cross" -eq 0 ]; then
	echo "-- isolation: 0 physical pages shared across tenants ($pages mapped pages checked in /proc/PID/pagemap)"
else
	echo "-- isolation BROKEN: $cross physical pages shared across tenants" >&2
	status=1
fi
echo "-- background CPU after the merge: none (ksmd run=$(cat /sys/kernel/mm/ksm/run); nothing scans)"

if [ "$KSMD" = 1 ]; then
	cleanup
	start_vms global
	gpids=""
	for t in $TENANTS; do
		v=1
		while [ "$v" -le "$VMS" ]; do gpids="$gpids --pid $(cat /tmp/vm.$t.$v.pid)"; v=$((v + 1)); done
	done
	k0=$(ksmd_cpu)
	# shellcheck disable=SC2086
	ksmctl -j merge --global $gpids --wait --pages-to-scan 10000 --sleep-ms 0 --timeout 600 >/tmp/global.json ||
		die "ksmctl merge --global failed: $(cat /tmp/global.json)"
	k1=$(ksmd_cpu)
	census
	gafter=$(awk '$1 == "total" { print $5 }' /tmp/census)
	gcross=$(cross_of)
	gsecs=$(jq -r '.seconds | . * 100 | floor / 100' /tmp/global.json)
	gscans=$(jq -r '.full_scans' /tmp/global.json)
	gcpu=$(awk -v a="$k0" -v b="$k1" 'BEGIN { printf "%.2f", b - a }')
	echo "-- same VMs, global ksmd at full speed (pages_to_scan=10000, sleep 0): $gsecs s wall, $gcpu s ksmd CPU, $gscans full scans until stable,"
	echo "   $(mib "$gafter") MiB after (partitions: $(mib $tot_after) MiB), and $gcross physical pages shared ACROSS tenants"
	echo "== Selective KSM merged the $((ntenants * VMS)) VMs in $(awk -v a="$tot_time" 'BEGIN { printf "%.2f", a }') s ($(awk -v a="$tot_cpu" 'BEGIN { printf "%.2f", a }') s CPU), 0 pages across tenants;" \
		"global ksmd at full speed took $gsecs s ($gcpu s CPU, $(awk -v a="$gsecs" -v b="$tot_time" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')x) and shared $gcross pages across tenants"
fi
cleanup
exit $status
