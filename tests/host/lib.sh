# Shared helpers for the host shell tests (POSIX sh + bash-isms avoided).
# TAP output, locating the build, saving/restoring /sys/kernel/mm/ksm.

KSM_SYSFS=/sys/kernel/mm/ksm
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=${KSM_TOP:-$(cd "$TESTS_DIR/../.." && pwd)}
B=${KSM_BUILD:-$TOP/build}
BIN=$B/bin
HBIN=$B/tests/host
KSMCTL=$BIN/ksmctl
KSM_EXEC=$BIN/ksm-exec

_tap_n=0
_tap_fail=0
_tap_pass=0

tap_plan() { echo "TAP version 13"; echo "1..$1"; }
ok() { # ok COND-STATUS NAME: "ok COND NAME" where COND is 0 for pass
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"; _tap_pass=$((_tap_pass + 1))
	else
		echo "not ok $_tap_n - $2"; _tap_fail=$((_tap_fail + 1))
	fi
}
check() { # check NAME CMD...: pass if CMD succeeds
	_name=$1; shift
	if "$@"; then ok 0 "$_name"; else ok 1 "$_name"; fi
}
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $1"; }
diag() { echo "# $*"; }
skip_all() { echo "TAP version 13"; echo "1..0 # SKIP $1"; exit 4; }
tap_done() {
	echo "# passed $_tap_pass failed $_tap_fail"
	[ "$_tap_fail" = 0 ]
}

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_ksm() { [ -w "$KSM_SYSFS/run" ] || skip_all "no writable $KSM_SYSFS (CONFIG_KSM)"; }

# every writable KSM knob and its current value ("advisor_mode" as the
# selected word); restore writes back only what changed, "run" first.
ksm_knobs() {
	for f in "$KSM_SYSFS"/*; do
		[ -f "$f" ] || continue
		case $(stat -c %A "$f") in
		?rw*) basename "$f" ;;
		esac
	done
}
ksm_value() {
	sed -e 's/.*\[\([^]]*\)\].*/\1/' "$KSM_SYSFS/$1"
}
ksm_snapshot() { # ksm_snapshot FILE
	: > "$1"
	for k in $(ksm_knobs); do
		echo "$k=$(ksm_value "$k")" >> "$1"
	done
}
ksm_restore() { # ksm_restore FILE
	_rc=0
	_run=$(sed -n 's/^run=//p' "$1")
	[ -n "$_run" ] && [ "$(ksm_value run)" != "$_run" ] && { echo "$_run" > "$KSM_SYSFS/run" || _rc=1; }
	while IFS='=' read -r k v; do
		[ "$k" = run ] && continue
		[ "$(ksm_value "$k")" = "$v" ] && continue
		echo "$v" > "$KSM_SYSFS/$k" || _rc=1
	done < "$1"
	return $_rc
}

# wait until FILE has a line, at most $2 tenths of a second
wait_line() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt "$2" ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -s "$1" ]
}
# field of a ksm-probe line: probe_field FILE NAME
probe_field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1" | head -n1; }
# ksm_stat field of a pid
stat_field() { sed -n "s/^$2:\\{0,1\\} //p" "/proc/$1/ksm_stat"; }
