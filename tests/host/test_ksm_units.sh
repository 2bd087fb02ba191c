#!/bin/sh
# The systemd units of systemd/ (boot-time partitions, metrics timer), as
# 'make install' generates them (BINDIR substituted, here the build's
# ksmctl), checked by systemd-analyze verify: syntax, every key known, the
# ExecStart binaries executable, the Documentation= man pages found (MANPATH
# is the source's man/). Any warning fails. Skip (4) without systemd-analyze.
. "$(dirname "$0")/lib.sh"

[ -x "$KSMCTL" ] || { echo "Bail out! $KSMCTL not built"; exit 1; }
command -v systemd-analyze > /dev/null || skip_all "systemd-analyze not installed (package systemd)"
command -v man > /dev/null || skip_all "man not installed (systemd-analyze checks Documentation= with it)"

T=$(mktemp -d /tmp/ksm-units.XXXXXX)
trap 'rm -rf "$T"' EXIT

units=$(cd "$TOP/systemd" && ls)
tap_plan $(($(echo "$units" | wc -l) + 1))
for u in $units; do
	sed "s|@BINDIR@|$BIN|g" "$TOP/systemd/$u" > "$T/${u%.in}"
done
for u in $units; do
	u=${u%.in}
	# a timer is verified with its service, as systemd loads them
	extra=; case $u in *.timer) extra=$T/${u%.timer}.service ;; esac
	MANPATH=$TOP/man systemd-analyze verify "$T/$u" $extra > "$T/log" 2>&1; rc=$?
	ok $([ $rc = 0 ] && [ ! -s "$T/log" ]; echo $?) "systemd-analyze verify $u: no error, no warning $(head -c 400 "$T/log" | tr '\n' ' ')"
done
# the check can fail: a misspelt key is reported
sed 's/^Type=/Typo=/' "$T/ksm-metrics.service" > "$T/bad.service"
MANPATH=$TOP/man systemd-analyze verify "$T/bad.service" > "$T/log" 2>&1
ok $(grep -q "Unknown key 'Typo'" "$T/log"; echo $?) "a misspelt key is reported ($(head -c 200 "$T/log" | tr '\n' ' '))"
tap_done
