#!/bin/sh
# ksm-qemu-demo: real QEMU guests as tenants of Selective KSM (runs in the
# patched kernel's guest; `make demo-qemu` boots it with QEMU and its
# firmware in the initramfs).
#
# 2 tenants x 2 inner guests. Every inner guest is Debian's
# qemu-system-x86_64 (TCG; -machine mem-merge=off, so QEMU itself never
# madvises its RAM mergeable and nothing lands in ksmd's global domain),
# started through `ksm-exec --partition TENANT`, booting the same real kernel
# (the test bzImage) and a busybox initramfs to a shell prompt on its serial
# console, driven here through a pair of fifos (-serial pipe:). Then:
#   1. each tenant's guests merged on demand: ksmctl merge TENANT --pid PID;
#   2. unmerged (ksmctl unmerge), then merged again by the partition's own
#      background scan (ksmctl partition scan TENANT on).
# After each: the PFNs QEMU maps for guest RAM (/proc/PID/pagemap, as
# pfn-census counts them) before and after, the inner kernel's code and
# read-only data (same image in every guest: one copy per tenant), the
# partition's counters, no physical page mapped by two tenants over all of
# QEMU's anonymous memory, and every guest answering on its console (a
# computed echo, and md5sum of its busybox read back through its page
# cache). ksmd runs (run=1) the whole time and stays idle: its full_scans
# and pages_scanned do not move.
#
# Environment: QDEMO_TENANTS ("acme globex"), QDEMO_VMS (2), QDEMO_MEM_MIB
# (96), QDEMO_MACHINE (pc), QDEMO_BOOT_TIMEOUT (900 s), QDEMO_SCAN=0 to skip
# step 2, QDEMO_SCAN_PAGES (2000), QDEMO_SCAN_SLEEP_MS (20), QDEMO_SCAN_TIMEOUT
# (900 s), QDEMO_QEMU,
# QDEMO_KERNEL, QDEMO_INITRD.
# Exit status: 0 when every guest booted and answered, every tenant merged in
# both steps, no page was shared across tenants and ksmd stayed idle;
# 1 otherwise; 4 when the kernel has no Selective KSM or QEMU is missing.
set -u

TENANTS=${QDEMO_TENANTS:-acme globex}
VMS=${QDEMO_VMS:-2}
MEM=${QDEMO_MEM_MIB:-96}
MACHINE=${QDEMO_MACHINE:-pc}
BOOT_TIMEOUT=${QDEMO_BOOT_TIMEOUT:-900}
SCAN=${QDEMO_SCAN:-1}
SCAN_PAGES=${QDEMO_SCAN_PAGES:-2000}
SCAN_SLEEP=${QDEMO_SCAN_SLEEP_MS:-20}
SCAN_TIMEOUT=${QDEMO_SCAN_TIMEOUT:-900}
QEMU=${QDEMO_QEMU:-/usr/bin/qemu-system-x86_64}
KERNEL=${QDEMO_KERNEL:-/usr/share/ksm-demo/bzImage}
INITRD=${QDEMO_INITRD:-/usr/share/ksm-demo/inner.cpio.gz}
S=/sys/kernel/mm/ksm
W=/tmp/qdemo
PAGE=4096
status=0
bg=""		# fifo holders and console readers
vms=""		# tenant-v names
round=0		# console check round

say() { echo "$*"; }
bad() { echo "ksm-qemu-demo: FAIL: $*" >&2; status=1; }
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
mib() { awk -v p="$1" 'BEGIN { printf "%.1f", p * 4096 / 1048576 }'; }
pid_of() { cat "$W/$1.pid"; }
tenant_of() { echo "${1%-*}"; }

ksmd_run0=""
cleanup() {
	local n p
	for n in $vms; do
		p=$(pid_of "$n" 2>/dev/null) && kill "$p" 2>/dev/null
	done
	for p in $bg; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $TENANTS; do ksmctl partition remove "$n" >/dev/null 2>&1; done
	[ -n "$ksmd_run0" ] && echo "$ksmd_run0" >$S/run
	ksmd_run0=""
}
die() { echo "ksm-qemu-demo: $*" >&2; cleanup; exit 1; }
trap 'cleanup; exit 1' INT TERM

# ---------------------------------------------------------------- QEMU
start_vm() { # TENANT V
	local n=$1-$2
	mkfifo "$W/$n.in" "$W/$n.out" || die "mkfifo $W/$n failed"
	# Hold the console's input open read-write: a write never blocks, even
	# if QEMU is gone; and read its output into a log as it comes.
	sleep 999999 <>"$W/$n.in" &
	bg="$bg $!"
	cat "$W/$n.out" >"$W/$n.log" &
	bg="$bg $!"
	ksm-exec --partition "$1" -- "$QEMU" -name "$n" \
		-nodefaults -display none -no-reboot \
		-machine "$MACHINE,mem-merge=off" -accel tcg,tb-size=32 \
		-m "$MEM" -smp 1 -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet vmname=$n" \
		-serial "pipe:$W/$n" </dev/null >"$W/$n.err" 2>&1 &
	echo "$!" >"$W/$n.pid"
	vms="$vms $n"
}

# wait until every guest's console log has a line: PATTERN with @ replaced by
# the guest's name, or (PATTERN "=") the contents of $W/NAME.expect;
# "NAME SECONDS" lines into $W/waited; 1 if one did not within SECS
wait_all() { # PATTERN SECS
	local t0 n left still pat rc=0
	t0=$(now)
	: >"$W/waited"
	left=$vms
	while [ -n "$left" ]; do
		still=""
		for n in $left; do
			if [ "$1" = "=" ]; then pat=$(cat "$W/$n.expect"); else pat=$(echo "$1" | sed "s/@/$n/g"); fi
			if grep -qF -- "$pat" "$W/$n.log"; then
				echo "$n $(since "$t0")" >>"$W/waited"
			elif ! kill -0 "$(pid_of "$n")" 2>/dev/null; then
				bad "$n: QEMU exited: $(tail -n 3 "$W/$n.err")"
				rc=1
			else
				still="$still $n"
			fi
		done
		left=$still
		[ -z "$left" ] && break
		if [ "$(since "$t0" | cut -d. -f1)" -ge "$2" ]; then
			for n in $left; do bad "$n: no answer within $2 s; console: $(tail -c 300 "$W/$n.log" | tr -d '\r')"; done
			return 1
		fi
		sleep 1
	done
	return $rc
}

# Every guest answers on its serial console: one command line per guest
# whose answer is computed by the guest (so the console's echo of the command
# cannot match): a number, and the md5sum of the guest's busybox read back
# through its page cache, which must equal this host's copy of the same file.
consoles() { # WHEN
	local n k=0 want
	round=$((round + 1))
	want=$(md5sum </bin/busybox | cut -d' ' -f1)
	for n in $vms; do
		k=$((k + 1))
		printf 'echo "%s-r%s-$((%s * 7)) $(md5sum </bin/busybox)"\n' "$n" "$round" "$k" >"$W/$n.in"
		echo "$n-r$round-$((k * 7)) $want  -" >"$W/$n.expect"
	done
	wait_all '=' 300 || return 1
	say "-- consoles $1: every guest answered its command (e.g. $(tr -d '\r' <"$W/$n.expect"); md5sum of its /bin/busybox = this host's)"
}

# ---------------------------------------------------------------- memory
ram_of() { # PID -> "ADDR NPAGES" of the guest RAM (the anonymous mapping of MEM MiB)
	local range perms off dev ino path s e want=$((MEM * 1048576))
	while read -r range perms off dev ino path; do
		[ -z "$path" ] && [ "$perms" = rw-p ] || continue
		s=${range%-*} e=${range#*-}
		if [ $((0x$e - 0x$s)) = "$want" ]; then
			echo "$s $((want / PAGE))"
			return 0
		fi
	done <"/proc/$1/maps"
	return 1
}
span_of() { # PID -> START-END covering every mapping below the top of user space
	awk '{ split($1, r, "-"); if (length(r[1]) > 12) next;
		if (lo == "") lo = r[1]; hi = r[2] } END { print lo "-" hi }' "/proc/$1/maps"
}
anon_of() { # GROUP PID -> pfn-census arguments: every private anonymous mapping
	local range perms off dev ino path s e
	while read -r range perms off dev ino path; do
		case "$path" in "" | "[heap]" | "[stack]") ;; *) continue ;; esac
		case "$perms" in *p) ;; *) continue ;; esac
		s=${range%-*} e=${range#*-}
		printf ' %s:%s:%s:%s' "$1" "$2" "$s" $(((0x$e - 0x$s) / PAGE))
	done <"/proc/$2/maps"
}
# census KIND OUT: guest RAM (ram), the inner kernel's code+rodata inside it
# (kernel), the guests' copies of busybox's pages in their RAM (file: their
# page cache of /bin/busybox, found by content), or all anonymous memory
# (anon) of every QEMU, grouped by tenant
census() {
	local args="" n p r
	for n in $vms; do
		p=$(pid_of "$n")
		case "$1" in
		anon) args="$args$(anon_of "$(tenant_of "$n")" "$p")" ;;
		*)
			r=$(ram_of "$p") || die "$n: no guest RAM mapping of $MEM MiB in /proc/$p/maps"
			set -- "$1" "$2" $r
			if [ "$1" = ram ] || [ "$1" = file ]; then
				args="$args $(tenant_of "$n"):$p:$3:$4"
			else
				args="$args $(tenant_of "$n"):$p:$(printf %x $((0x$3 + KSTART))):$KPAGES"
			fi
			;;
		esac
	done
	if [ "$1" = file ]; then
		# shellcheck disable=SC2086
		file-pages /bin/busybox $args >"$2" || die "file-pages failed"
		return
	fi
	# shellcheck disable=SC2086
	pfn-census -z $args >"$2" || die "pfn-census failed"
}
# FILE TENANT 4|6|8: present, distinct, zero-page pages of the tenant
field() { awk -v t="$2" -v f="$3" '$1 == "group" && $2 == t { print $f }' "$1"; }
cross() { awk '$1 == "cross" { print $2 }' "$1"; }
counters() { ksmctl -j partition show "$1" | jq -r "[$2] | map(tostring) | join(\" \")"; }

# the table of one step: census of guest RAM before ($1) and now
table() { # BEFORE-FILE SECONDS-FILE
	local t before after kmap kdist secs
	census ram "$W/ram.now"
	census kernel "$W/kernel.now"
	census file "$W/file.now"
	printf '%-8s %3s %10s %9s %14s %15s %14s %12s %13s %5s\n' tenant VMs "MiB before" "MiB after" "zero page MiB" "kernel text MiB" "busybox pages" pages_shared pages_sharing secs
	printf '%-8s %3s %10s %9s %14s %15s %14s %12s %13s %5s\n' -------- --- ---------- --------- -------------- --------------- -------------- ------------ ------------- -----
	for t in $TENANTS; do
		before=$(field "$1" "$t" 6)
		after=$(field "$W/ram.now" "$t" 6)
		kmap=$(field "$W/kernel.now" "$t" 4)
		kdist=$(field "$W/kernel.now" "$t" 6)
		set -- "$1" "$2" $(counters "$t" '.pages_shared, .pages_sharing')
		secs=$(awk -v t="$t" '$1 == t { print $2 }' "$2")
		printf '%-8s %3s %10s %9s %14s %15s %14s %12s %13s %5s\n' "$t" "$VMS" "$(mib "$before")" "$(mib "$after")" \
			"$(mib "$(field "$1" "$t" 8)") -> $(mib "$(field "$W/ram.now" "$t" 8)")" \
			"$(mib "$kmap") -> $(mib "$kdist")" \
			"$(awk -v t="$t" '$2 == t { print $4 " -> " $6 }' "$W/file.now")" "$3" "$4" "$secs"
		[ "$4" -gt 0 ] || bad "tenant $t: nothing merged"
		[ "$after" -lt "$before" ] || bad "tenant $t: guest RAM not smaller after merging ($before -> $after pages)"
		[ "$kdist" -lt "$kmap" ] || bad "tenant $t: the inner kernel's text did not merge"
		set -- "$1" "$2" $(awk -v t="$t" '$2 == t { print $4, $6 }' "$W/file.now")
		[ "$VMS" -lt 2 ] || [ "$4" -lt "$3" ] || bad "tenant $t: the guests' copies of busybox did not merge ($3 -> $4)"
	done
	echo "   (MiB: distinct physical pages QEMU maps for the tenant's guest RAM, from pagemap, the shared zero page left out;"
	echo "    zero page: guest RAM mapping the kernel's shared zero page (zero-filled 4 KiB parts of a huge page that"
	echo "    KSM split are mapped to it by the kernel: not KSM's doing, hence shown apart);"
	echo "    kernel text: the inner kernel's code and rodata in the guests' RAM, mapped -> distinct pages: one copy"
	echo "    per tenant or less, the image's own padding pages being identical too;"
	echo "    busybox pages: guest pages holding a page of /bin/busybox (the guests' page cache of it, found by"
	echo "    content), copies -> distinct physical pages)"
}

isolation() { # WHEN
	local c pages
	census anon "$W/anon.now"
	c=$(cross "$W/anon.now")
	pages=$(awk '$1 == "total" { print $3 }' "$W/anon.now")
	if [ "$c" = 0 ]; then
		say "-- isolation $1: 0 physical pages shared across tenants ($pages anonymous pages of the $(echo $vms | wc -w) QEMU processes checked)"
	else
		bad "isolation $1: $c physical pages shared across tenants"
	fi
}

# ---------------------------------------------------------------- main
[ -d $S/partition ] || { echo "ksm-qemu-demo: this kernel has no Selective KSM" >&2; exit 4; }
[ -x "$QEMU" ] || { echo "ksm-qemu-demo: no QEMU at $QEMU (make demo-qemu builds an initramfs with it)" >&2; exit 4; }
for f in "$KERNEL" "$INITRD"; do [ -r "$f" ] || { echo "ksm-qemu-demo: cannot read $f" >&2; exit 1; }; done
rm -rf "$W" && mkdir -p "$W" || exit 1
set -- $(sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : Kernel code$/\1 \2/p' /proc/iomem)
[ $# = 2 ] || { echo "ksm-qemu-demo: no 'Kernel code' in /proc/iomem" >&2; exit 1; }
KSTART=$((0x$1))
set -- $(sed -n 's/^ *\([0-9a-f]*\)-\([0-9a-f]*\) : Kernel rodata$/\1 \2/p' /proc/iomem)
[ $# = 2 ] || { echo "ksm-qemu-demo: no 'Kernel rodata' in /proc/iomem" >&2; exit 1; }
KPAGES=$(((0x$2 + 1 - KSTART) / PAGE))

ntenants=$(echo $TENANTS | wc -w)
say "== Selective KSM with real QEMU guests: $ntenants tenants x $VMS guests, $MEM MiB each"
say "   host: $(cut -d' ' -f1-3 /proc/version), $(nproc) CPUs, no KVM (nested TCG)"
say "   every guest: $("$QEMU" --version | head -n 1), -machine $MACHINE,mem-merge=off -accel tcg -m $MEM,"
say "   kernel $(basename "$KERNEL") ($(($(wc -c <"$KERNEL") / 1024)) KiB, not relocatable: its code and rodata at the same guest"
say "   addresses in every guest, $(mib $KPAGES) MiB), busybox initramfs $(basename "$INITRD") ($(($(wc -c <"$INITRD") / 1024)) KiB)"

ksmd_run0=$(cat $S/run)
echo 1 >$S/run || die "cannot start ksmd"
scans0=$(cat $S/full_scans) scanned0=$(cat $S/pages_scanned)
say "   ksmd: run=1 (pages_to_scan $(cat $S/pages_to_scan), sleep $(cat $S/sleep_millisecs) ms), full_scans $scans0, pages_scanned $scanned0"
for t in $TENANTS; do
	ksmctl partition add "$t" >/dev/null || die "ksmctl partition add $t failed"
done
echo

t0=$(now)
for t in $TENANTS; do
	v=1
	while [ "$v" -le "$VMS" ]; do start_vm "$t" "$v"; v=$((v + 1)); done
done
say "-- started $(echo $vms | wc -w) QEMUs through ksm-exec --partition TENANT; waiting for their shell prompts"
wait_all "@# " "$BOOT_TIMEOUT" || die "not every guest booted"
for n in $vms; do
	p=$(pid_of "$n")
	grep -qx "ksm_partition $(tenant_of "$n")" "/proc/$p/ksm_stat" || bad "$n: pid $p not in partition $(tenant_of "$n")"
	say "   $n: pid $p, at its prompt after $(awk -v n="$n" '$1 == n { print $2 }' "$W/waited") s, $(grep -E '^ksm_partition ' "/proc/$p/ksm_stat")"
done
say "   all at their prompts after $(since "$t0") s"
consoles "after boot" || die "consoles do not answer"
echo

census ram "$W/ram.before"
say "-- step 1: on demand, ksmctl merge TENANT --pid PID for each guest"
: >"$W/secs"
for t in $TENANTS; do
	s0=$(now)
	for n in $vms; do
		[ "$(tenant_of "$n")" = "$t" ] || continue
		ksmctl -j merge "$t" --pid "$(pid_of "$n")" >"$W/merge.json" || die "ksmctl merge $t failed: $(cat "$W/merge.json")"
	done
	echo "$t $(since "$s0")" >>"$W/secs"
done
table "$W/ram.before" "$W/secs"
isolation "after ksmctl merge"
consoles "after the merge" || status=1
echo

if [ "$SCAN" = 1 ]; then
	say "-- step 2: ksmctl unmerge, then the partitions' background scans (ksmctl partition scan TENANT on --pages-to-scan $SCAN_PAGES --sleep-ms $SCAN_SLEEP)"
	# Unmerge the whole address space as a range: a whole-process unmerge
	# (no --range) would also end the joined membership, and the scan
	# only scans joined members (doc/interface.md).
	for n in $vms; do
		p=$(pid_of "$n")
		ksmctl -j unmerge "$(tenant_of "$n")" --pid "$p" --range "$(span_of "$p")" >"$W/unmerge.json" ||
			die "ksmctl unmerge $n failed: $(cat "$W/unmerge.json")"
		grep -qx "ksm_partition_joined yes" "/proc/$p/ksm_stat" || bad "$n: no longer a joined member after a range unmerge"
	done
	census ram "$W/ram.unmerged"
	for t in $TENANTS; do
		say "   $t unmerged (ksmctl unmerge $t --pid PID --range START-END): $(mib "$(field "$W/ram.unmerged" "$t" 6)") MiB of guest RAM, pages_sharing $(counters "$t" .pages_sharing), still $(counters "$t" .members) joined members"
	done
	: >"$W/secs"
	for t in $TENANTS; do
		ksmctl partition scan "$t" on --pages-to-scan "$SCAN_PAGES" --sleep-ms "$SCAN_SLEEP" >/dev/null ||
			die "ksmctl partition scan $t on failed"
	done
	s0=$(now)
	# two whole passes of each partition's scan
	left=$TENANTS
	ticks=0
	while [ -n "$left" ]; do
		ticks=$((ticks + 1))
		if [ $((ticks % 20)) = 0 ]; then
			for t in $left; do
				say "   ... $(since "$s0") s: $t: $(counters "$t" '"full_scans", .full_scans, "pages_scanned", .pages_scanned, "pages_sharing", .pages_sharing')"
			done
		fi
		still=""
		for t in $left; do
			if [ "$(counters "$t" .full_scans)" -ge 2 ]; then
				echo "$t $(since "$s0")" >>"$W/secs"
			else
				still="$still $t"
			fi
		done
		left=$still
		[ -z "$left" ] && break
		[ "$(since "$s0" | cut -d. -f1)" -lt "$SCAN_TIMEOUT" ] || die "background scans of$left did not finish 2 passes in $SCAN_TIMEOUT s"
		sleep 1
	done
	table "$W/ram.unmerged" "$W/secs"
	for t in $TENANTS; do
		set -- $(counters "$t" '.full_scans, .pages_scanned')
		say "   $t: $1 full scans, $2 pages scanned by its own scan"
		ksmctl partition scan "$t" off >/dev/null || bad "ksmctl partition scan $t off failed"
	done
	isolation "after the background scans"
	consoles "after the background scans" || status=1
	echo
fi

scans1=$(cat $S/full_scans) scanned1=$(cat $S/pages_scanned)
if [ "$scans1" = "$scans0" ] && [ "$scanned1" = "$scanned0" ]; then
	say "-- ksmd: running (run=1) the whole time and idle: full_scans $scans0 -> $scans1, pages_scanned $scanned0 -> $scanned1 (no QEMU in the global domain)"
else
	bad "ksmd scanned: full_scans $scans0 -> $scans1, pages_scanned $scanned0 -> $scanned1"
fi
if [ "$status" = 0 ]; then
	say "== $(echo $vms | wc -w) real QEMU guests merged within their tenants' partitions only, still answering on their consoles; ksmd idle"
else
	say "== FAILED (see above)"
fi
cleanup
exit $status
