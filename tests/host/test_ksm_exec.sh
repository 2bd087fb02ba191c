#!/bin/sh
# ksm-exec on the host's stock kernel: configuration (urunc [ksm] section via
# libinih), merge-any for the exec'd program, argv/env/fds/exit status
# untouched, one warning (or --strict failure) without PR_SET_MEMORY_MERGE,
# --partition never falling back to global merging, and merge-any surviving
# a seccomp filter the program installs: its pages really get merged.
. "$(dirname "$0")/lib.sh"

[ -x "$KSM_EXEC" ] || { echo "Bail out! $KSM_EXEC not built"; exit 1; }
[ -r /proc/self/ksm_stat ] || skip_all "no /proc/PID/ksm_stat"
grep -q '^ksm_merge_any' /proc/self/ksm_stat || skip_all "kernel without PR_SET_MEMORY_MERGE"

T=$(mktemp -d /tmp/ksm-exec-test.XXXXXX)
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

tap_plan 27
: > "$T/empty.conf"
anyof() { grep '^ksm_merge_any' "$1" | sed 's/.*: //'; }

# 1-2
"$KSM_EXEC" --config "$T/empty.conf" --enable -- cat /proc/self/ksm_stat > "$T/o" 2> "$T/e"
ok $([ $? = 0 ] && [ "$(anyof "$T/o")" = yes ] && [ ! -s "$T/e" ]; echo $?) "--enable: the program's ksm_stat says ksm_merge_any: yes, nothing on stderr"
"$KSM_EXEC" --config "$T/empty.conf" -- cat /proc/self/ksm_stat > "$T/o"
ok $([ "$(anyof "$T/o")" = no ]; echo $?) "no configuration, no --enable: off (ksm_merge_any: no)"

# 3-7 configuration
printf '[ksm]\nenable = true\n' > "$T/on.conf"
"$KSM_EXEC" --config "$T/on.conf" cat /proc/self/ksm_stat > "$T/o"
ok $([ "$(anyof "$T/o")" = yes ]; echo $?) "[ksm] enable = true turns it on"
cat > "$T/urunc.toml" <<'TOML'
# urunc configuration with a [ksm] section
[log]
level = "info"
syslog = false

[timestamps]
enabled = false
destination = "/var/log/urunc/timestamps.log"

[monitors.qemu]
default_memory_mb = 256
extra_args = ["-no-reboot", "-nographic"]

[ksm]
enable = true   # opt in
TOML
"$KSM_EXEC" --config "$T/urunc.toml" cat /proc/self/ksm_stat > "$T/o"
ok $([ "$(anyof "$T/o")" = yes ]; echo $?) "urunc config.toml with other sections and a TOML comment: on"
printf '[ksm]\nenable = false\n' > "$T/off.conf"
a=$("$KSM_EXEC" --config "$T/off.conf" cat /proc/self/ksm_stat | anyof /dev/stdin)
b=$("$KSM_EXEC" --config "$T/off.conf" --enable cat /proc/self/ksm_stat | anyof /dev/stdin)
c=$("$KSM_EXEC" --config "$T/on.conf" --disable cat /proc/self/ksm_stat | anyof /dev/stdin)
ok $([ "$a$b$c" = noyesno ]; echo $?) "enable = false is off; --enable and --disable override the file ($a $b $c)"
printf '[log]\nlevel = "x"\n[ksm]\nenable = maybe\n' > "$T/bad.conf"
"$KSM_EXEC" --config "$T/bad.conf" touch "$T/ran-bad" 2> "$T/e"
rc=$?
ok $([ $rc = 125 ] && [ ! -e "$T/ran-bad" ] && grep -q "bad.conf:4:.*boolean" "$T/e" && [ "$(wc -l < "$T/e")" = 1 ]; echo $?) \
	"enable = maybe: exit 125 with FILE:LINE and one line, command not run (rc $rc: $(cat "$T/e"))"
printf '[ksm]\nthis is not ini\n' > "$T/syntax.conf"
"$KSM_EXEC" --config "$T/syntax.conf" touch "$T/ran-syn" 2> "$T/e"
rc=$?
ok $([ $rc = 125 ] && [ ! -e "$T/ran-syn" ] && grep -q "syntax.conf:2" "$T/e"; echo $?) "syntax error: exit 125 naming the line"

# 8-9
"$KSM_EXEC" --config "$T/missing.conf" --enable true 2> "$T/e"
ok $([ $? = 125 ] && grep -q "missing.conf" "$T/e"; echo $?) "--config of a missing file: exit 125"
printf '[ksm]\nenable = true\ncolour = "red"\n' > "$T/unk.conf"
"$KSM_EXEC" --config "$T/unk.conf" true 2> "$T/e"
ok $([ $? = 125 ] && grep -q "unknown key 'colour'" "$T/e"; echo $?) "unknown key in [ksm]: exit 125"

# 10-12 --partition: never a fallback to global merging
"$KSM_EXEC" --config "$T/empty.conf" --partition tenant-a -- sh -c "cat /proc/self/ksm_stat > $T/part-ran" 2> "$T/e"
rc=$?
ok $([ $rc = 125 ] && [ ! -e "$T/part-ran" ] && grep -q "partition 'tenant-a'" "$T/e"; echo $?) \
	"--partition without kernel membership support: exit 125, command not run ($(cat "$T/e"))"
printf '[ksm]\nenable = true\npartition = "tenant-b"\n' > "$T/part.conf"
"$KSM_EXEC" --config "$T/part.conf" -- touch "$T/part2-ran" 2> "$T/e"
ok $([ $? = 125 ] && [ ! -e "$T/part2-ran" ]; echo $?) "partition = \"NAME\" in the config: same refusal"
"$KSM_EXEC" --config "$T/empty.conf" --partition 'a/b' true 2> "$T/e"
ok $([ $? = 125 ] && grep -q "bad partition name" "$T/e"; echo $?) "--partition with an invalid name: exit 125"

# 13-17 argv, environment, fds, exit status untouched
out=$("$KSM_EXEC" --config "$T/empty.conf" --enable -- sh -c 'printf "%s|" "$@"' sh "a b" "" "-x" "--enable" "--")
ok $([ "$out" = "a b||-x|--enable|--|" ]; echo $?) "argv passed untouched, options after COMMAND are COMMAND's ($out)"
out=$(env -i A=1 'B=2 3' "$KSM_EXEC" --config "$T/empty.conf" --enable /usr/bin/env)
ok $([ "$out" = "A=1
B=2 3" ]; echo $?) "environment passed untouched (env -i A=1 B='2 3')"
echo secret > "$T/fdfile"
# ls writes to a file, not a pipe: while the shell builds a pipeline it
# holds the pipe's fds itself, and ls may list them (a race, seen in CI).
# shellcheck disable=SC2016
fdlist='ls /proc/$$/fd > "$1"; cat <&7'
direct=$(sh -c "$fdlist" sh "$T/fd-direct" 7< "$T/fdfile" 9> /dev/null)
direct="$(sort "$T/fd-direct" | tr '\n' ' ')$direct"
via=$("$KSM_EXEC" --config "$T/empty.conf" --enable -- sh -c "$fdlist" sh "$T/fd-via" 7< "$T/fdfile" 9> /dev/null)
via="$(sort "$T/fd-via" | tr '\n' ' ')$via"
ok $([ "$direct" = "$via" ] && [ -n "$via" ]; echo $?) "file descriptors untouched: same fd set, fd 7 readable (direct: $direct; via ksm-exec: $via)"
"$KSM_EXEC" --config "$T/empty.conf" --enable -- sh -c 'exit 42'
rc1=$?
"$KSM_EXEC" --config "$T/empty.conf" --enable -- /nonexistent/cmd 2>/dev/null
rc2=$?
"$KSM_EXEC" --config "$T/empty.conf" --enable -- "$T/fdfile" 2>/dev/null
rc3=$?
ok $([ "$rc1 $rc2 $rc3" = "42 127 126" ]; echo $?) "exit status: the command's (42), 127 not found, 126 not executable ($rc1 $rc2 $rc3)"
"$KSM_EXEC" --version | grep -q '^ksm-exec [0-9]' && "$KSM_EXEC" --help | grep -q -- '--partition'
ok $? "--version and --help"

# 18-20 kernel without PR_SET_MEMORY_MERGE (emulated with seccomp: prctl -> EINVAL)
"$HBIN/seccomp-run" --prctl-einval -- "$KSM_EXEC" --config "$T/empty.conf" --enable -- cat /proc/self/ksm_stat > "$T/o" 2> "$T/e"
rc=$?
ok $([ $rc = 0 ] && [ "$(wc -l < "$T/e")" = 1 ] && grep -q "warning" "$T/e" && [ "$(anyof "$T/o")" = no ]; echo $?) \
	"no PR_SET_MEMORY_MERGE: exactly one warning line, command runs without KSM ($(cat "$T/e"))"
"$HBIN/seccomp-run" --prctl-einval -- "$KSM_EXEC" --config "$T/empty.conf" --enable --strict -- touch "$T/strict-ran" 2> "$T/e"
rc=$?
ok $([ $rc = 125 ] && [ ! -e "$T/strict-ran" ]; echo $?) "same with --strict: exit 125, command not run ($(cat "$T/e"))"
"$KSM_EXEC" --config "$T/empty.conf" --enable --strict cat /proc/self/ksm_stat > "$T/o"
ok $([ "$(anyof "$T/o")" = yes ]; echo $?) "--strict on a kernel with PR_SET_MEMORY_MERGE: on"

# 21-23 seccomp filter installed by the program after start
"$KSM_EXEC" --config "$T/empty.conf" --enable -- "$HBIN/ksm-probe" --seccomp --same 256 --unique 64 > "$T/probe1" &
P1=$!
PIDS="$PIDS $P1"
"$HBIN/ksm-probe" --seccomp --same 256 --unique 64 > "$T/probe2" &
P2=$!
PIDS="$PIDS $P2"
wait_line "$T/probe1" 50 && wait_line "$T/probe2" 50
ok $([ "$(probe_field "$T/probe1" pid)" = "$P1" ] && [ "$(probe_field "$T/probe1" prctl_denied)" = 1 ] && \
	[ "$(probe_field "$T/probe1" mg)" = 1 ] && [ "$(stat_field "$P1" ksm_merge_any)" = yes ]; echo $?) \
	"through ksm-exec: after the program's seccomp filter (prctl denied) new memory is VM_MERGEABLE, ksm_merge_any: yes"
ok $([ "$(probe_field "$T/probe2" prctl_denied)" = 1 ] && [ "$(probe_field "$T/probe2" mg)" = 0 ] && \
	[ "$(stat_field "$P2" ksm_merge_any)" = no ]; echo $?) \
	"control, same program without ksm-exec: cannot opt in under its filter, not mergeable"

if [ "$(id -u)" != 0 ] || [ ! -w "$KSM_SYSFS/run" ]; then
	skip "merging needs root and a writable $KSM_SYSFS"
	skip "merging needs root"
	skip "merging needs root"
	skip "merging needs root"
	skip "merging needs root"
else
	SNAP=$T/ksm.before
	ksm_snapshot "$SNAP"
	"$KSMCTL" -j merge --global --pid "$P1" --wait --timeout 120 > "$T/merge.json" 2> "$T/e"
	rc=$?
	m1=$(stat_field "$P1" ksm_merging_pages)
	ok $([ $rc = 0 ] && [ "${m1:-0}" -ge 256 ]; echo $?) \
		"ksmctl merge --global --wait: ksm_merging_pages of the filtered program >= 256 (got $m1, rc $rc)"
	same=$(probe_field "$T/probe1" same)
	uniq=$(probe_field "$T/probe1" unique)
	pc=$("$HBIN/pfn-count" "$P1" "$same" 256 | cut -d" " -f1,2)
	ok $([ "$pc" = "present=256 distinct=1" ]; echo $?) "pagemap: the 256 identical pages share one physical page ($pc)"
	pc=$("$HBIN/pfn-count" "$P1" "$uniq" 64 | cut -d" " -f1,2)
	ok $([ "$pc" = "present=64 distinct=64" ]; echo $?) "pagemap: the 64 distinct pages stay distinct ($pc)"
	m2=$(stat_field "$P2" ksm_merging_pages)
	pc=$("$HBIN/pfn-count" "$P2" "$(probe_field "$T/probe2" same)" 256 | cut -d" " -f1,2)
	ok $([ "$m2" = 0 ] && [ "$pc" = "present=256 distinct=256" ]; echo $?) \
		"control without ksm-exec: nothing merged (ksm_merging_pages $m2, $pc)"
	ksm_snapshot "$T/ksm.after"
	ok $(cmp -s "$SNAP" "$T/ksm.after"; echo $?) "every ksmd setting is as before ($(diff "$SNAP" "$T/ksm.after" | tr '\n' ' '))"
fi
tap_done
