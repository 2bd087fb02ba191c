#!/bin/sh
# ksm-oci on the host's stock kernel, in front of a fake OCI runtime (a
# script that records its argv, environment, fds and KSM state): argv passed
# through exactly for every command, global options before the command, the
# bundle found the way runc and crun find it, the org.selective-ksm.*
# annotations parsed (global enable -> the runtime runs with ksm_merge_any),
# bad config.json and a partition on a kernel without partitions refused
# with exit 125 and the runtime never run, exit statuses documented.
. "$(dirname "$0")/lib.sh"

KSM_OCI=$BIN/ksm-oci
[ -x "$KSM_OCI" ] || { echo "Bail out! $KSM_OCI not built"; exit 1; }
[ -r /proc/self/ksm_stat ] || skip_all "no /proc/PID/ksm_stat"
grep -q '^ksm_merge_any' /proc/self/ksm_stat || skip_all "kernel without PR_SET_MEMORY_MERGE"
command -v jq > /dev/null || skip_all "no jq"

T=$(mktemp -d /tmp/ksm-oci-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP
tap_plan 28

# The fake runtime: its argv as <ARG> lines, ksm_merge_any, environment and
# open fds in $FAKE_OUT.*, then exit with $FAKE_RC (default 0).
cat > "$T/fakert" <<'EOF'
#!/bin/sh
: > "$FAKE_OUT.argv"
for a in "$0" "$@"; do printf '<%s>\n' "$a" >> "$FAKE_OUT.argv"; done
sed -n 's/^ksm_merge_any:\{0,1\} //p' /proc/self/ksm_stat > "$FAKE_OUT.any"
env | grep -Ev '^(PWD|SHLVL|_)=' | sort > "$FAKE_OUT.env"
ls /proc/$$/fd > "$FAKE_OUT.fd"
exit "${FAKE_RC:-0}"
EOF
chmod +x "$T/fakert"
export FAKE_OUT="$T/out"
RT="$T/fakert"
ran() { [ -s "$T/out.argv" ]; }
any() { cat "$T/out.any"; }
# expect_argv ARG...: the runtime saw exactly RT ARG...
expect_argv() {
	: > "$T/want"
	for a in "$RT" "$@"; do printf '<%s>\n' "$a" >> "$T/want"; done
	cmp -s "$T/want" "$T/out.argv"
}
# oci ARG...: run ksm-oci --runtime $RT ARG..., status in $rc, stderr in $T/err
oci() {
	rm -f "$T/out.argv" "$T/out.any"
	"$KSM_OCI" --runtime "$RT" "$@" 2> "$T/err"
	rc=$?
}
bundle() { # bundle DIR JSON
	mkdir -p "$1"
	printf '%s\n' "$2" > "$1/config.json"
}
spec() { # spec ANNOTATIONS-OBJECT: a minimal OCI config with these annotations
	printf '{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"annotations":%s}' "$1"
}
bundle "$T/plain" "$(spec '{"io.kubernetes.cri.sandbox-id":"x"}')"
bundle "$T/on" "$(spec '{"org.selective-ksm.enable":"true"}')"
bundle "$T/off" "$(spec '{"org.selective-ksm.enable":"false"}')"
bundle "$T/part" "$(spec '{"org.selective-ksm.partition":"tenant-a"}')"
S=/sys/kernel/mm/ksm

# 1-4 argv passthrough, exactly
oci --root "$T/state dir" --log "$T/log" --log-format json --systemd-cgroup create --bundle "$T/plain" \
	--pid-file "$T/pid" --console-socket "$T/sock" --no-pivot -- "c 1"
ok $([ $rc = 0 ] && expect_argv --root "$T/state dir" --log "$T/log" --log-format json --systemd-cgroup create \
	--bundle "$T/plain" --pid-file "$T/pid" --console-socket "$T/sock" --no-pivot -- "c 1" && [ "$(any)" = no ] &&
	[ ! -s "$T/err" ]; echo $?) "create without our annotations: global and create options passed untouched, merge_any no"
oci state "" "-x" "a b" --runtime
ok $([ $rc = 0 ] && expect_argv state "" "-x" "a b" --runtime; echo $?) \
	"other commands: argv untouched (empty, spaced, option-like words, even --runtime after the first runtime word)"
oci --root /nonexistent delete --force -b /nonexistent c1
ok $([ $rc = 0 ] && expect_argv --root /nonexistent delete --force -b /nonexistent c1; echo $?) \
	"delete with a bundle that does not exist: nothing read, passed through"
FAKE_RC=42 oci --debug kill c1 KILL
rc1=$rc
FAKE_RC=3 oci create -b "$T/on" c1
ok $([ "$rc1 $rc" = "42 3" ] && expect_argv create -b "$T/on" c1; echo $?) \
	"the runtime's exit status is ksm-oci's (kill 42, create 3)"

# 5-8 the global domain: org.selective-ksm.enable
oci create --bundle "$T/on" c1
ok $([ $rc = 0 ] && [ "$(any)" = yes ] && expect_argv create --bundle "$T/on" c1; echo $?) \
	"enable \"true\": the exec'd runtime has ksm_merge_any $(any) in /proc/self/ksm_stat, argv untouched"
oci run --bundle "$T/off" c1; a=$(any)
oci start c1; b=$(any)
ok $([ "$a$b" = nono ]; echo $?) "enable \"false\": off; start (not create/run) is never touched ($a $b)"
oci --root "$T/r" --log "$T/l" --rootless false --cgroup-manager disabled run -d --bundle="$T/on" c1; a=$(any)
oci --platform=kvm --network none create "-b$T/on" c1; b=$(any)
oci --some-unknown-option value create -bundle "$T/on" c1; c=$(any)
ok $([ "$a$b$c" = yesyesyes ]; echo $?) \
	"global options with values (runc/crun, runsc --platform --network, an unknown one) before run/create ($a $b $c)"
(cd "$T/on" && "$KSM_OCI" --runtime "$RT" create c1 2> "$T/err"); a=$(any)
bundle "$T/cfgdir" "$(spec '{}')"
cp "$T/on/config.json" "$T/other.json"
(cd "$T" && "$KSM_OCI" --runtime "$RT" create --config other.json --bundle "$T/cfgdir" c1); b=$(any)
"$KSM_OCI" --runtime "$RT" create -f "$T/off/config.json" -b "$T/on" c1; c=$(any)
ok $([ "$a$b$c" = yesyesno ]; echo $?) \
	"bundle = the current directory without -b; crun's --config FILE (relative to the cwd) wins ($a $b $c)"

# 9-11 a partition on a kernel without partition membership
if [ -d $S/partition ]; then
	want="create it first"
else
	want="this kernel has no Selective KSM partitions: Function not implemented"
fi
oci --log "$T/rt.log" --log-format json create --bundle "$T/part" c1
ok $([ $rc = 125 ] && ! ran && grep -q "ksm-oci: cannot run container 'c1' in KSM partition 'tenant-a'.*$want" "$T/err" &&
	[ "$(wc -l < "$T/err")" = 1 ]; echo $?) \
	"org.selective-ksm.partition here: exit 125, the runtime never runs ($(cat "$T/err"))"
ok $([ "$(jq -r .level "$T/rt.log")" = error ] && jq -r .msg "$T/rt.log" | grep -q "partition 'tenant-a'" &&
	jq -r .time "$T/rt.log" | grep -q '^20..-..-..T'; echo $?) \
	"the error is also appended to the runtime's --log file in its --log-format (json: $(cat "$T/rt.log"))"
oci --log "$T/rt.txt" run -b "$T/part" c2
ok $([ $rc = 125 ] && ! ran && grep -q "ksm-oci: cannot run container 'c2'" "$T/rt.txt"; echo $?) \
	"run too; text log format"

# 12-21 bad config.json: exit 125, nothing run, one line naming the file
badcfg() { # badcfg NAME CONTENT PATTERN
	mkdir -p "$T/$1"
	printf '%s' "$2" > "$T/$1/config.json"
	oci create --bundle "$T/$1" c1
	ok $([ $rc = 125 ] && ! ran && grep -q -- "$3" "$T/err" && grep -q "$T/$1/config.json" "$T/err" &&
		[ "$(wc -l < "$T/err")" = 1 ]; echo $?) "$1: exit 125, runtime not run ($(cat "$T/err"))"
}
badcfg syntax '{"annotations":{"org.selective-ksm.enable":"true",}}' "config.json:1:.*not a valid OCI configuration"
badcfg empty '' "not a valid OCI configuration"
badcfg not-object '["annotations"]' "not a JSON object"
badcfg ann-array "$(spec '["org.selective-ksm.enable"]')" '"annotations" is not an object'
badcfg not-string "$(spec '{"org.selective-ksm.enable":true}')" "annotation org.selective-ksm.enable is not a string"
badcfg typo "$(spec '{"org.selective-ksm.partiton":"a"}')" "unknown annotation 'org.selective-ksm.partiton'"
badcfg bad-name "$(spec '{"org.selective-ksm.partition":"a/b"}')" "bad partition name 'a/b'"
badcfg maybe "$(spec '{"org.selective-ksm.enable":"maybe"}')" "'maybe' is not a boolean"
badcfg both "$(spec '{"org.selective-ksm.enable":"true","org.selective-ksm.partition":"a"}')" "both org.selective-ksm.partition and org.selective-ksm.enable"
badcfg duplicate '{"annotations":{"org.selective-ksm.enable":"false","org.selective-ksm.enable":"true"}}' "duplicate"
oci create --bundle "$T/nonexistent" c1
ok $([ $rc = 125 ] && ! ran && grep -q "cannot read the OCI configuration $T/nonexistent/config.json: No such file" "$T/err"; echo $?) \
	"missing config.json: exit 125 with errno ($(cat "$T/err"))"

# 23-26 finding the runtime; exit statuses
mkdir -p "$T/bin"
ln -s "$KSM_OCI" "$T/bin/ksm-oci-fakert"
cp "$RT" "$T/bin/fakert"
rm -f "$T/out.argv"
PATH="$T/bin:$PATH" ksm-oci-fakert --root /r create -b "$T/on" c1
ok $([ "$(head -n1 "$T/out.argv")" = "<$T/bin/fakert>" ] && [ "$(sed -n 3p "$T/out.argv")" = "</r>" ] && [ "$(any)" = yes ]; echo $?) \
	"run as ksm-oci-fakert (a symlink): runtime fakert from PATH, annotations applied"
rm -f "$T/out.argv"
KSM_OCI_RUNTIME="$RT" "$KSM_OCI" state c1
a=$(sed -n 2p "$T/out.argv")
env -u KSM_OCI_RUNTIME "$KSM_OCI" state c1 2> "$T/err"
rc1=$?
ok $([ "$a" = "<state>" ] && [ $rc1 = 125 ] && grep -q "no OCI runtime" "$T/err"; echo $?) \
	"\$KSM_OCI_RUNTIME; no runtime at all: exit 125 ($(cat "$T/err"))"
"$KSM_OCI" --runtime "$T/nonexistent" state c1 2>/dev/null; rc1=$?
"$KSM_OCI" --runtime "$T/on/config.json" state c1 2>/dev/null; rc2=$?
"$KSM_OCI" --runtime "$T/bin/ksm-oci-fakert" state c1 2>/dev/null; rc3=$?
ok $([ "$rc1 $rc2 $rc3" = "127 126 125" ]; echo $?) \
	"runtime not found 127, not executable 126, ksm-oci as its own runtime 125 ($rc1 $rc2 $rc3)"
fdset() { sort -n "$T/out.fd" | tr '\n' ' '; }
env -i A=1 'B=2 3' FAKE_OUT="$T/out" "$RT" create -b "$T/on" c1 7< "$T/on/config.json"
e1=$(cat "$T/out.env"); f1=$(fdset)
env -i A=1 'B=2 3' FAKE_OUT="$T/out" "$KSM_OCI" --runtime "$RT" create -b "$T/on" c1 7< "$T/on/config.json"
e2=$(cat "$T/out.env"); f2=$(fdset)
ok $([ "$e1" = "$e2" ] && echo "$e2" | grep -qx 'B=2 3' && [ "$f1" = "$f2" ] && echo "$f2" | grep -q ' 7 '; echo $?) \
	"environment and file descriptors untouched (env -i A=1 B='2 3'; fds direct: $f1, via ksm-oci: $f2)"

# 27-28 help and version
"$KSM_OCI" --help > "$T/help"
ok $([ $? = 0 ] && grep -q "org.selective-ksm.partition" "$T/help" && grep -q "Exit status: 125" "$T/help"; echo $?) "--help"
v=$("$KSM_OCI" --runtime "$RT" --version)
ok $(echo "$v" | head -n1 | grep -q '^ksm-oci [0-9]' && [ "$(sed -n 2p "$T/out.argv")" = "<--version>" ]; echo $?) \
	"--version: ksm-oci's, then the runtime's --version"
tap_done
