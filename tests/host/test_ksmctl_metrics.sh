#!/bin/sh
# ksmctl metrics on the host: the Prometheus text format checked by promtool
# (Debian's prometheus package), global values equal to /sys/kernel/mm/ksm,
# no partition series on a kernel without partitions, the partition series
# from a copy of sysfs with partitions (LIBKSM_SYSFS, libksm's test hook:
# values, labels, scan state, seconds), and --output FILE replaced atomically
# (mode 0644, no temporary file left, never a half file for a reader, the old
# file kept on error). Changes nothing in /sys.
. "$(dirname "$0")/lib.sh"

[ -x "$KSMCTL" ] || { echo "Bail out! $KSMCTL not built"; exit 1; }
command -v jq > /dev/null || skip_all "jq not installed"
command -v promtool > /dev/null || skip_all "promtool not installed (Debian package prometheus; make deps)"
[ -d "$KSM_SYSFS" ] || skip_all "no KSM in this kernel"

T=$(mktemp -d /tmp/ksmctl-metrics.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

tap_plan 16

k() { "$KSMCTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
# the value of sample $1 (exact name and labels) in file $2
val() { awk -v s="$1" '$1 == s { print $2 }' "$2"; }
prom_ok() { promtool check metrics < "$1" > "$T/lint" 2>&1; }

# 1-2 the stock kernel: valid exposition, global series only
k metrics
ok $([ $rc = 0 ] && [ ! -s "$T/err" ] && prom_ok "$T/out"; echo $?) "metrics: valid by promtool check metrics ($(head -c 300 "$T/lint"))"
cp "$T/out" "$T/host.prom"
fams=$(grep -c '^# TYPE ' "$T/out"); helps=$(grep -c '^# HELP ' "$T/out")
ok $([ "$fams" -ge 15 ] && [ "$fams" = "$helps" ] && \
	[ "$(grep -v '^#' "$T/out" | awk '{print $1}' | sort | uniq -d)" = "" ]; echo $?) \
	"a # HELP and a # TYPE line for each of the $fams families, no duplicate sample"

# 3 values are those of /sys/kernel/mm/ksm (settings other tests might change: read twice)
same=1
for try in 1 2 3; do
	k metrics
	same=0
	for f in max_page_sharing pages_to_scan run use_zero_pages; do
		[ -f $KSM_SYSFS/$f ] || continue
		[ "$(val ksm_$f "$T/out")" = "$(cat $KSM_SYSFS/$f)" ] || { same=1; diag "try $try: ksm_$f $(val ksm_$f "$T/out") != $(cat $KSM_SYSFS/$f)"; }
	done
	s=$(val ksm_sleep_seconds "$T/out"); ms=$(cat $KSM_SYSFS/sleep_millisecs)
	[ "$(awk -v s="$s" 'BEGIN { printf "%d", s * 1000 + 0.5 }')" = "$ms" ] || { same=1; diag "sleep $s s != $ms ms"; }
	[ "$(val ksm_page_size_bytes "$T/out")" = "$(getconf PAGESIZE)" ] || same=1
	if [ -f $KSM_SYSFS/general_profit ]; then
		grep -q '^ksm_general_profit_bytes -\{0,1\}[0-9][0-9]*$' "$T/out" || same=1
	fi
	[ $same = 0 ] && break
done
ok $same "global settings equal sysfs (max_page_sharing, pages_to_scan, run, sleep in seconds, page size), general_profit present"

# 4 no partitions in this kernel: no partition series, no error
if [ -d $KSM_SYSFS/partition ]; then
	skip "this kernel has Selective KSM partitions (the guest test covers them)"
else
	ok $([ "$(val ksm_partitions_supported "$T/host.prom")" = 0 ] && \
		! grep -q '^ksm_partition_\|^ksm_partitions \|^# TYPE ksm_partition_' "$T/host.prom"; echo $?) \
		"kernel without partitions: ksm_partitions_supported 0 and no partition series"
fi

# 5 promtool does fail on a broken exposition (the check above can fail)
{ cat "$T/host.prom"; echo "# TYPE ksm_run gauge"; echo 'ksm_run{a="b} 1'; } > "$T/bad.prom"
ok $(! prom_ok "$T/bad.prom"; echo $?) "promtool rejects a broken copy (duplicate TYPE, bad label)"

# 6-9 partitions, from a copy of sysfs (libksm reads LIBKSM_SYSFS)
F=$T/sysfs
mkdir -p $F/partition $F/control
for f in $KSM_SYSFS/*; do [ -f "$f" ] && [ -r "$f" ] && cat "$f" > "$F/${f##*/}" 2> /dev/null; done
: > $F/control/add_partition
part() { # NAME FILE=VALUE...
	d=$F/partition/$1; shift; mkdir -p "$d"
	for kv in "$@"; do echo "${kv#*=}" > "$d/${kv%%=*}"; done
}
part tenant-a pages_shared=10 pages_sharing=300 pages_unshared=5 pages_scanned=1234 merge_calls=3 members=2 \
	mode=0640 uid=1000 gid=1001 run=1 pages_to_scan=100 sleep_millisecs=20 full_scans=7
part b.2 pages_shared=0 pages_sharing=0 pages_unshared=9 pages_scanned=0 merge_calls=0 members=0 \
	mode=0600 uid=0 gid=0 run=0 pages_to_scan=5000 sleep_millisecs=1500 full_scans=0
LIBKSM_SYSFS=$F "$KSMCTL" metrics > "$T/p.prom" 2> "$T/err"; rc=$?
ok $([ $rc = 0 ] && prom_ok "$T/p.prom" && [ "$(val ksm_partitions_supported "$T/p.prom")" = 1 ] && \
	[ "$(val ksm_partitions "$T/p.prom")" = 2 ]; echo $?) "with partitions: valid by promtool, ksm_partitions 2 ($(cat "$T/err" "$T/lint"))"
bad=0
for kv in members=2 pages_shared=10 pages_sharing=300 pages_unshared=5 pages_scanned_total=1234 merge_calls_total=3 \
	saved_bytes=$((300 * $(getconf PAGESIZE))) scan_running=1 scan_pages_to_scan=100 scan_sleep_seconds=0.020 full_scans_total=7; do
	got=$(val "ksm_partition_${kv%%=*}{partition=\"tenant-a\"}" "$T/p.prom")
	[ "$got" = "${kv#*=}" ] || { bad=1; diag "ksm_partition_${kv%%=*}: '$got', expected ${kv#*=}"; }
done
[ "$(val 'ksm_partition_scan_sleep_seconds{partition="b.2"}' "$T/p.prom")" = 1.500 ] || bad=1
[ "$(val 'ksm_partition_pages_unshared{partition="b.2"}' "$T/p.prom")" = 9 ] || bad=1
ok $bad "every partition counter and scan setting equals its file (pages_sharing x page size in saved_bytes, ms as seconds)"
ok $(grep -qx 'ksm_partition_info{partition="tenant-a",uid="1000",gid="1001",mode="0640"} 1' "$T/p.prom" && \
	[ "$(grep -c '^ksm_partition_info{' "$T/p.prom")" = 2 ]; echo $?) "ksm_partition_info labels: owner and mode"
# a partition of a kernel without background scanning (no pages_to_scan file) and one removed
rm -f $F/partition/b.2/run $F/partition/b.2/pages_to_scan $F/partition/b.2/sleep_millisecs $F/partition/b.2/full_scans
mkdir $F/partition/not/
LIBKSM_SYSFS=$F "$KSMCTL" metrics > "$T/p2.prom" 2> "$T/err"; rc=$?
ok $([ $rc = 0 ] && prom_ok "$T/p2.prom" && [ "$(val 'ksm_partition_members{partition="b.2"}' "$T/p2.prom")" = 0 ] && \
	! grep -q '^ksm_partition_scan_.*b\.2' "$T/p2.prom" && grep -q '^ksm_partition_scan_running{partition="tenant-a"} 1' "$T/p2.prom"; echo $?) \
	"a partition without background scanning has no scan series; the others keep theirs"
rmdir $F/partition/not

# 10-13 --output FILE
D=$T/textfile; mkdir $D
(umask 077; LIBKSM_SYSFS=$F "$KSMCTL" metrics --output $D/ksm.prom > "$T/out" 2> "$T/err"); rc=$?
ok $([ $rc = 0 ] && [ ! -s "$T/out" ] && [ ! -s "$T/err" ] && cmp -s $D/ksm.prom "$T/p2.prom" && \
	[ "$(stat -c %a $D/ksm.prom)" = 644 ] && [ "$(ls -A $D)" = ksm.prom ]; echo $?) \
	"--output: same text as stdout, mode 0644 under umask 077, nothing printed, no temporary file left"
ino1=$(stat -c %i $D/ksm.prom)
LIBKSM_SYSFS=$F "$KSMCTL" -j metrics --output $D/ksm.prom > "$T/out" 2> "$T/err"; rc=$?
ok $([ $rc = 0 ] && jq -e . "$T/out" > /dev/null && [ "$(jq -r .output "$T/out")" = $D/ksm.prom ] && \
	[ "$(jq -r .families "$T/out")" = "$(grep -c '^# TYPE' $D/ksm.prom)" ] && \
	[ "$(jq -r .samples "$T/out")" = "$(grep -vc '^#' $D/ksm.prom)" ] && [ "$(stat -c %i $D/ksm.prom)" != "$ino1" ]; echo $?) \
	"-j --output: JSON summary (families, samples); the file is replaced by rename (new inode)"
# a reader never sees a partial file while it is rewritten
( for i in $(seq 40); do LIBKSM_SYSFS=$F "$KSMCTL" metrics --output $D/ksm.prom || echo fail > $T/wfail; done ) &
W=$!
n=0; torn=0
while kill -0 $W 2> /dev/null; do
	cmp -s $D/ksm.prom "$T/p2.prom" || torn=$((torn + 1)); n=$((n + 1))
done
wait $W
ok $([ $torn = 0 ] && [ ! -e $T/wfail ] && [ "$(ls -A $D)" = ksm.prom ]; echo $?) \
	"40 rewrites while reading it $n times: never a partial file ($torn torn reads)"
cp $D/ksm.prom "$T/before"
k metrics --output $T/no-such-dir/ksm.prom; r1=$rc; e1=$(cat "$T/err")
mkdir $D/sub.prom; k metrics --output $D/sub.prom; r2=$rc
ok $([ $r1 = 1 ] && echo "$e1" | grep -q "ENOENT" && [ $r2 = 1 ] && grep -q "^ksmctl: cannot write '$D/sub.prom'" "$T/err" && \
	[ -d $D/sub.prom ] && [ "$(ls -A $D | tr '\n' ' ')" = "ksm.prom sub.prom " ] && cmp -s $D/ksm.prom "$T/before"; echo $?) \
	"--output errors (no directory, a directory): one-line error, exit 1, nothing left behind ($e1)"
rmdir $D/sub.prom

# 14-16 usage
k -j metrics
ok $([ $rc = 2 ] && jq -e . "$T/out" > /dev/null && [ "$(jq -r .errno_name "$T/out")" = EINVAL ] && \
	jq -r .hint "$T/out" | grep -q "status"; echo $?) "-j metrics without --output: JSON usage error pointing at status"
k metrics extra; a=$rc; k -j metrics --output; b=$rc; k metrics --bogus; c=$rc
ok $([ "$a$b$c" = 222 ]; echo $?) "unexpected argument, --output without FILE, unknown option: exit 2"
k metrics help
ok $([ $rc = 0 ] && grep -q "^Usage: ksmctl metrics \[--output FILE\]" "$T/out"; echo $?) "metrics help"
tap_done
