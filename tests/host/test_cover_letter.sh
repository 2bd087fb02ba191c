#!/bin/sh
# The cover letter of the kernel series (kernel/patches/0000-cover-letter.patch)
# against the series itself, so that the two cannot drift: its Subject counts
# the patches, every patch carries its subject prefix and number, its shortlog
# lists exactly the patches' subjects (per author, in series order, as
# git shortlog groups them), its diffstat counts the files the series
# touches and creates, and its text keeps to 72 columns.  Reads files only:
# well under a second.  `scripts/kernel-tree export` regenerates the parts
# checked here; KSM_PATCHES points the test at another copy of the series.
. "$(dirname "$0")/lib.sh"

P=${KSM_PATCHES:-$TOP/kernel/patches}
COVER=$P/0000-cover-letter.patch
ls "$P"/[0-9][0-9][0-9][0-9]-*.patch >/dev/null 2>&1 || skip_all "no series in $P"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_cover_letter.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tap_plan 6

# The patches in order, the cover letter left out.
for p in "$P"/*.patch; do
	[ "$p" = "$COVER" ] || echo "$p"
done >"$tmp/files"
n=$(wc -l <"$tmp/files")
diag "$n patches in $P"

# One header of a mail (unfolded), e.g. hdr Subject FILE.
hdr() {
	awk -v h="$1:" '
		/^$/ { exit }
		got && /^[ \t]/ { sub(/^[ \t]+/, " "); v = v $0; next }
		got { exit }
		$1 == h { got = 1; v = $0; sub(/^[^:]*: */, "", v) }
		END { if (got) print v }' "$2"
}

# 1: the cover letter exists, in git format-patch --cover-letter form.
if [ -f "$COVER" ]; then
	csubj=$(hdr Subject "$COVER")
	prefix=$(printf '%s\n' "$csubj" | sed -n 's/^\[\(.*\) 0*\/[0-9]*\] .*/\1/p')
	cnum=$(printf '%s\n' "$csubj" | sed -n 's/^\[.* \(0*\)\/\([0-9]*\)\] .*/\1 \2/p')
	diag "cover letter: $csubj"
	[ "$(head -n 1 "$COVER")" = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001" ] &&
		[ -n "$(hdr From "$COVER")" ] && [ -n "$(hdr Date "$COVER")" ] &&
		[ -n "$prefix" ] && [ "$cnum" = "$(printf '%0*d' ${#n} 0) $n" ] &&
		! grep -q -e '\*\*\* SUBJECT HERE \*\*\*' -e '\*\*\* BLURB HERE \*\*\*' "$COVER"
	ok $? "cover letter: From line, From/Date headers, Subject [PREFIX $(printf '%0*d' ${#n} 0)/$n], no template left"
else
	prefix=PATCH
	ok 1 "cover letter: $COVER exists"
fi

# 2: every patch is [PREFIX i/n] in file order.
i=0 bad=0
while read -r p; do
	i=$((i + 1))
	want="[$prefix $(printf '%0*d' ${#n} $i)/$n] "
	s=$(hdr Subject "$p")
	case $s in
	"$want"*) printf '%s\t%s\n' "$(hdr From "$p" | sed 's/ *<[^>]*>$//; s/^"\(.*\)"$/\1/')" "${s#"$want"}" ;;
	*) diag "$(basename "$p"): Subject '$s', expected '$want...'"; bad=1 ;;
	esac
	case $(basename "$p") in
	"$(printf '%04d' $i)"-*) ;;
	*) diag "$(basename "$p"): file $i of the series"; bad=1 ;;
	esac
done <"$tmp/files" >"$tmp/series"
ok $bad "every patch is numbered [$prefix i/$n] in file order"

# The cover letter's tail: shortlog ("Author (k):" groups of subjects, long
# ones wrapped with a deeper indent), then the diffstat.
[ -f "$COVER" ] && awk '
	!body && /^$/ { body = 1; next }
	body && !tail && /^[^ \t].* \([0-9]+\):$/ { tail = 1 }
	tail { print }' "$COVER" >"$tmp/tail"
[ -f "$tmp/tail" ] || : >"$tmp/tail"

# 3: the shortlog lists exactly the series' subjects: the group of each
# author holds that author's patches in series order, each one once.
awk -F'\t' '
	NR == FNR { want[$1] = want[$1] "\n  " $2; cnt[$1]++; next }
	/^[^ \t].* \([0-9]+\):$/ {
		a = $0; sub(/ \([0-9]+\):$/, "", a)
		k = $0; sub(/.* \(/, "", k); sub(/\):$/, "", k)
		if (a in seen) { print "# author listed twice: " a; bad = 1 }
		seen[a] = 1; decl[a] = k + 0; order[++na] = a; cur = a; next
	}
	cur != "" && /^    +[^ ]/ { sub(/^ +/, " "); got[cur] = got[cur] $0; next }
	cur != "" && /^  [^ ]/ { got[cur] = got[cur] "\n" $0; num[cur]++; next }
	/^$/ { cur = ""; next }
	END {
		if (!na) { print "# no shortlog in the cover letter"; bad = 1 }
		for (i = 1; i <= na; i++) {
			a = order[i]
			if (!(a in want)) { print "# shortlog lists an author with no patch: " a; bad = 1; continue }
			if (got[a] != want[a]) {
				print "# " a ": the shortlog lists" got[a]
				print "# but the series is" want[a]
				bad = 1
			}
			if (decl[a] != cnt[a] || num[a] != cnt[a])
				{ print "# " a " (" decl[a] "): " num[a] " entries for " cnt[a] " patches"; bad = 1 }
		}
		for (a in want) if (!(a in seen)) { print "# author missing from the shortlog: " a; bad = 1 }
		exit bad
	}' "$tmp/series" "$tmp/tail" >"$tmp/out3"
st=$?
sed 's/^\([^#]\)/#   \1/' "$tmp/out3"
ok $st "shortlog lists exactly the $n patch subjects, per author in series order"

# What the series does to files, from its diffs: every path it touches, and
# the net "create mode"/"delete mode" lines git puts under the diffstat.
# (Patch file names, from format-patch, have no spaces.)
# shellcheck disable=SC2046
awk '
	/^diff --git a\// { path = $NF; sub(/^b\//, "", path); touched[path] = 1; next }
	/^new file mode / { if (state[path] == "deleted") state[path] = "changed"; else state[path] = "created"; m[path] = $4; next }
	/^deleted file mode / { if (state[path] == "created") state[path] = "gone"; else state[path] = "deleted"; m[path] = $4; next }
	END {
		for (p in touched) if (state[p] != "gone") print "touched " p
		for (p in state) {
			if (state[p] == "created") print "create mode " m[p] " " p
			if (state[p] == "deleted") print "delete mode " m[p] " " p
		}
	}' $(cat "$tmp/files") | LC_ALL=C sort >"$tmp/effect"
grep -c '^touched ' "$tmp/effect" >"$tmp/ntouched" || true

# 4: the diffstat's "N files changed" is the number of files the series touches.
stat_n=$(sed -n 's/^ \([0-9]*\) files\{0,1\} changed.*/\1/p' "$tmp/tail")
diag "diffstat: $(grep -E '^ [0-9]+ files? changed' "$tmp/tail" | sed 's/^ //'); the series touches $(cat "$tmp/ntouched") files"
[ -n "$stat_n" ] && [ "$stat_n" = "$(cat "$tmp/ntouched")" ]
ok $? "diffstat counts the $(cat "$tmp/ntouched") files the series touches"

# 5: its create/delete mode lines are the files the series creates and deletes.
sed -n 's/^ \(create\|delete\) mode /\1 mode /p' "$tmp/tail" | LC_ALL=C sort >"$tmp/modes"
grep -v '^touched ' "$tmp/effect" >"$tmp/wantmodes" || true
if cmp -s "$tmp/modes" "$tmp/wantmodes"; then st=0; else
	st=1; diff "$tmp/wantmodes" "$tmp/modes" | sed 's/^/# /'
fi
ok $st "diffstat's create/delete mode lines match the files the series creates and deletes"

# 6: plain text in 72 columns (a line holding a URL may be longer).
awk '
	!body && /^$/ { body = 1; next }
	body && /^[^ \t].* \([0-9]+\):$/ { exit }
	body && length($0) > 72 && !/:\/\// { print "# line " NR " has " length($0) " columns: " $0; bad = 1 }
	body && /\t/ { print "# line " NR " has a tab"; bad = 1 }
	END { exit bad }' "$COVER" >"$tmp/out6" 2>/dev/null
st=$?
[ -f "$COVER" ] || st=1
cat "$tmp/out6"
[ -f "$COVER" ] && diag "$(grep -c 'XXX' "$COVER") XXX marks left for the lead to resolve"
ok $st "cover letter text keeps to 72 columns, no tabs"

tap_done
