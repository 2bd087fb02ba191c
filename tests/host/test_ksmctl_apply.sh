#!/bin/sh
# ksmctl partition apply on the host's stock kernel: the whole file is
# checked before the kernel is asked, so every kind of bad file gives its
# FILE:LINE error (exit 1) here too; a good file (the example
# etc/ksm/partitions.conf) gets "this kernel has no Selective KSM" (ENOSYS,
# exit 3), also with --dry-run and -j; usage errors exit 2. The apply itself
# runs in the guest (tests/guest/ksmctl-ops/apply_guest.sh).
. "$(dirname "$0")/lib.sh"

[ -x "$KSMCTL" ] || { echo "Bail out! $KSMCTL not built"; exit 1; }
command -v jq > /dev/null || skip_all "jq not installed"

T=$(mktemp -d /tmp/ksmctl-apply.XXXXXX)
trap 'rm -rf "$T"' EXIT
tap_plan 9

k() { "$KSMCTL" "$@" > "$T/out" 2> "$T/err"; rc=$?; }
j() { jq -r "$1" "$T/out"; }
stock=1; [ -d $KSM_SYSFS/partition ] && stock=0

# 1-3 good files on a kernel without the series
if [ $stock = 1 ]; then
	k partition apply "$TOP/etc/ksm/partitions.conf"
	ok $([ $rc = 3 ] && [ ! -s "$T/out" ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q "no Selective KSM partitions.*(ENOSYS)" "$T/err"; echo $?) \
		"the example file is valid; this kernel has no partitions: one line, ENOSYS, exit 3 ($(cat "$T/err"))"
	k -j partition apply --dry-run "$TOP/etc/ksm/partitions.conf"
	ok $([ $rc = 3 ] && jq -e . "$T/out" > /dev/null && [ "$(j .errno_name)" = ENOSYS ] && [ "$(j .exit_code)" = 3 ]; echo $?) \
		"-j --dry-run: the same as a JSON error object"
	printf '# nothing yet\n\n[partition a]\n  owner = root # the host has root\n  group = root ; and its group\n[partition b]\n' > "$T/ok"
	k partition apply "$T/ok"
	ok $([ $rc = 3 ]; echo $?) "names resolved (root), indented keys, # and ; comments, a section without keys: valid (exit 3 here, $(cat "$T/err"))"
else
	for i in 1 2 3; do skip "this kernel has Selective KSM (the guest test applies files)"; done
fi

# 4-5 bad files: FILE:LINE, exit 1, before the kernel is asked
bad=0; n=0
printf '[partition a]\nmode = 0640\n' > "$T/head"
for case in "[partition bad/name]|3|bad partition name 'bad/name'" "[partition]|3|section \[partition\] without a NAME" \
	"[tenant a]|3|unknown section \[tenant a\]" "[partition a]|3|duplicate section \[partition a\] (first at line 1)" \
	"own = 1|3|unknown key 'own' in \[partition a\]" "mode = 0600|3|duplicate key 'mode' in \[partition a\] (first at line 2)" \
	"owner = no-such-user-here|3|unknown user 'no-such-user-here'" "group = no-such-group-here|3|unknown group 'no-such-group-here'" \
	"scan = maybe|3|bad scan 'maybe'" "pages_to_scan = 0|3|bad pages_to_scan '0'" "pages_to_scan = 4294967296|3|bad pages_to_scan" \
	"sleep_millisecs = 1.5|3|bad sleep_millisecs '1.5'" "owner =|3|empty value for 'owner'" "[partition a] junk|3|text after the section header" \
	"words without equals|3|syntax error" "[partition c|3|no ']'"; do
	line=${case%%|*}; rest=${case#*|}; at=${rest%%|*}; msg=${rest#*|}
	{ cat "$T/head"; echo "$line"; echo "[partition z]"; } > "$T/bad"
	k partition apply "$T/bad"; n=$((n + 1))
	[ $rc = 1 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q "^ksmctl: $T/bad:$at: $msg.*(EINVAL)" "$T/err" && [ ! -s "$T/out" ] ||
		{ bad=1; diag "'$line': rc $rc: $(cat "$T/err" "$T/out")"; }
done
printf 'mode = 0600\n[partition a]\n' > "$T/bad"; k partition apply "$T/bad"
grep -q "^ksmctl: $T/bad:1: 'mode' outside a section" "$T/err" || { bad=1; diag "outside: $(cat "$T/err")"; }
{ printf '[partition a]\n# long\nowner = '; head -c 300 /dev/zero | tr '\0' x; echo; } > "$T/bad"; k partition apply "$T/bad"
grep -q "^ksmctl: $T/bad:3: line longer than" "$T/err" || { bad=1; diag "long: $(cat "$T/err")"; }
printf '[partition a]\nmode = 0640\nmode = 9\nscan = maybe\n' > "$T/bad"; k partition apply "$T/bad"
grep -q "^ksmctl: $T/bad:3: duplicate key 'mode'" "$T/err" || { bad=1; diag "first: $(cat "$T/err")"; }
ok $bad "$((n + 3)) bad files (names, sections, keys, duplicates, values, users, groups, syntax, long line): the first error as FILE:LINE, exit 1"
printf '[partition a]\nscan = on\nmode = 8\n' > "$T/bad"; k -j partition apply "$T/bad"
ok $([ $rc = 1 ] && jq -e . "$T/out" > /dev/null && [ ! -s "$T/err" ] && [ "$(j .error)" = "$T/bad:3: bad mode '8'" ] && \
	[ "$(j .errno_name)" = EINVAL ] && j .hint | grep -q octal; echo $?) "-j: the file error as a JSON error object with a hint"

# 6-7 the file itself
chmod 0666 "$T/ok" 2> /dev/null || cp "$TOP/etc/ksm/partitions.conf" "$T/ok"; chmod 0666 "$T/ok"
k partition apply "$T/ok"
ok $([ $rc = 1 ] && grep -q "writable by everyone.*(EPERM)" "$T/err"; echo $?) "a world-writable file is refused (EPERM): it says who owns partitions"
k partition apply "$T/missing"; a=$rc; e1=$(cat "$T/err")
if [ -e /etc/ksm/partitions.conf ]; then
	ok $([ $a = 1 ] && echo "$e1" | grep -q ENOENT; echo $?) "a missing file: ENOENT (default file exists here: not run)"
else
	k partition apply
	ok $([ $a = 1 ] && echo "$e1" | grep -q ENOENT && [ $rc = 1 ] && grep -q "cannot read '/etc/ksm/partitions.conf'.*(ENOENT)" "$T/err"; echo $?) \
		"a missing file, and the default /etc/ksm/partitions.conf: ENOENT naming it"
fi

# 8-9 usage
k partition apply a b; a=$rc; k -j partition apply --bogus; b=$rc
ok $([ "$a$b" = 22 ]; echo $?) "two files, an unknown option: exit 2"
k partition help
ok $([ $rc = 0 ] && grep -q "ksmctl partition apply \[FILE\] \[--dry-run\]" "$T/out"; echo $?) "partition help lists apply"
tap_done
