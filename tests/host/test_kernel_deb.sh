#!/bin/sh
# make kernel-deb, configuration step only (scripts/kernel-deb --config-only):
# Debian's own config of each flavour plus CONFIG_SELECTIVE_KSM=y must keep
# every option Debian sets through olddefconfig, and a config whose options
# do not survive must be refused. Seconds: no kernel is built.
. "$(dirname "$0")/lib.sh"

KDEB=$TOP/scripts/kernel-deb
TREE=${KSM_KERNEL_TREE:-$TOP/build/linux}
DEBCONF=/usr/src/linux-config-6.12
[ -f "$TREE/Makefile" ] || skip_all "no kernel tree at $TREE (make kernel-tree)"
[ -f "$DEBCONF/config.amd64_none_cloud-amd64.xz" ] || skip_all "linux-config-6.12 not installed (make deps)"
command -v pahole >/dev/null || skip_all "pahole not installed (dwarves, make deps)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_kernel_deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tap_plan 4

for fl in cloud-amd64 amd64; do
	out=$tmp/$fl
	if "$KDEB" --config-only --out "$out" "$fl" >"$tmp/$fl.log" 2>&1; then rc=0; else rc=1; fi
	sed 's/^/# /' "$tmp/$fl.log"
	# Independently of the script's own check: every CONFIG_ line of
	# Debian's config is in the final .config, word for word.
	lost=$(xzcat "$DEBCONF/config.amd64_none_$fl.xz" | grep 'CONFIG_' |
		grep -vxF -f "$out/.config" || true)
	[ -z "$lost" ] || diag "$fl: lines of Debian's config not in .config: $lost"
	rel=$(sed -n 's/^CONFIG_BUILD_SALT="\(.*\)"$/\1/p' "$out/.config")
	diag "$fl: kernel release $rel"
	[ "$rc" = 0 ] && [ -z "$lost" ] && grep -qx 'CONFIG_SELECTIVE_KSM=y' "$out/.config" &&
		case "$rel" in *-sksm-"$fl") true ;; *) false ;; esac
	ok $? "$fl: Debian's config + CONFIG_SELECTIVE_KSM=y survives olddefconfig"
done

# A Debian config with an option this tree does not know: olddefconfig
# drops it, kernel-deb must say which and fail.
mkdir -p "$tmp/conf"
{ xzcat "$DEBCONF/config.amd64_none_cloud-amd64.xz"; echo "CONFIG_KSM_TEST_NO_SUCH_OPTION=y"; } |
	xz -T1 -0 >"$tmp/conf/config.amd64_none_cloud-amd64.xz"
KSM_DEBIAN_CONFIG_DIR=$tmp/conf "$KDEB" --config-only --out "$tmp/bad" cloud-amd64 >"$tmp/bad.log" 2>&1
rc=$?
sed 's/^/# /' "$tmp/bad.log" | tail -n 3
[ "$rc" != 0 ] && grep -q 'KSM_TEST_NO_SUCH_OPTION: y -> (absent)' "$tmp/bad.log"
ok $? "an option lost by olddefconfig is reported and fails the build"

"$KDEB" --config-only --out "$tmp/x" i386 >"$tmp/fl.log" 2>&1
rc=$?
sed 's/^/# /' "$tmp/fl.log"
[ "$rc" != 0 ] && grep -q "unknown FLAVOUR 'i386'" "$tmp/fl.log" && [ ! -e "$tmp/x" ]
ok $? "an unknown flavour is refused before anything is written"
tap_done
