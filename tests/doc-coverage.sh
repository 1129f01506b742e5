#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every exported symbol is documented (kmod's doc-coverage test): for each
# function the built library exports or lib/libsealbuf.sym lists, docs/man
# has NAME.3, a page or a ".so" link to one, whose NAME section names it and
# whose SYNOPSIS declares it. Every page is installed by docs/meson.build,
# and groff reads each one without a warning. Every failure reason in
# sealbuf.h is explained in sealbuf_last_error(3) and in the guide's
# troubleshooting section.
# usage: doc-coverage.sh LIBSEALBUF.so LIBSEALBUF.sym MANDIR DOCS_MESON_BUILD SEALBUF_H GUIDE_MD
set -eu
export LC_ALL=C
lib=$1
sym=$2
mandir=$3
docs_meson=$4
header=$5
guide=$6
nm=${NM:-nm}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

: >"$tmp/symbols"
if command -v "$nm" >/dev/null 2>&1; then
	"$nm" -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' >>"$tmp/symbols"
else
	echo "note: $nm is not installed; checking the names in $sym only"
fi
sed -e 's,/\*.*\*/,,g' "$sym" | grep -E '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;[[:space:]]*$' |
	tr -d ' \t;' >>"$tmp/symbols"
sort -u "$tmp/symbols" -o "$tmp/symbols"

# The text of one section (.SH NAME up to the next .SH) of a page.
section() {
	awk -v want="$2" '
		/^\.SH/ { on = ($0 ~ ("^\\.SH \"?" want "\"?$")); next }
		on { print }
	' "$1"
}

# A page, or the page its ".so man3/X.3" line points at.
resolve() {
	so=$(sed -n 's,^\.so  *man[0-9]/\(.*\)$,\1,p' "$1" | head -n 1)
	if [ -n "$so" ]; then
		echo "$mandir/$so"
	else
		echo "$1"
	fi
}

status=0
count=0
while read -r s; do
	count=$((count + 1))
	page="$mandir/$s.3"
	if [ ! -f "$page" ]; then
		echo "undocumented: $s (no docs/man/$s.3)"
		status=1
		continue
	fi
	target=$(resolve "$page")
	if [ ! -f "$target" ]; then
		echo "broken link: docs/man/$s.3 points at $(basename "$target"), which does not exist"
		status=1
		continue
	fi
	if ! section "$target" NAME | grep -qw -- "$s"; then
		echo "$(basename "$target"): its NAME section does not name $s"
		status=1
	fi
	if ! section "$target" SYNOPSIS | grep -qE "(^|[^A-Za-z0-9_])$s *\\("; then
		echo "$(basename "$target"): its SYNOPSIS does not declare $s()"
		status=1
	fi
done <"$tmp/symbols"

# Every page in the tree is installed.
for page in "$mandir"/*.[0-9]; do
	name=$(basename "$page")
	if ! grep -q "'man/$name'" "$docs_meson"; then
		echo "not installed: docs/man/$name is not listed in docs/meson.build"
		status=1
	fi
done

# groff reads every real page without a warning (when groff is there).
if command -v groff >/dev/null 2>&1; then
	for page in "$mandir"/*.[0-9]; do
		grep -q '^\.so ' "$page" && continue
		warnings=$(groff -man -ww -z -t "$page" 2>&1 || true)
		if [ -n "$warnings" ]; then
			echo "groff warns about $(basename "$page"):"
			echo "$warnings" | sed 's/^/  /'
			status=1
		fi
	done
fi

# Every reason a caller can get is explained, by its name.
reasons=$(sed -n '/^enum sealbuf_reason {/,/^};/p' "$header" | grep -oE 'SEALBUF_R_[A-Z0-9_]+' |
	grep -v '^SEALBUF_R_COUNT$' | sort -u)
troubleshooting=$(sed -n '/^## Troubleshooting/,$p' "$guide")
for r in $reasons; do
	if ! grep -q "^\.B $r\$" "$mandir/sealbuf_last_error.3"; then
		echo "sealbuf_last_error.3 does not list $r in REASONS"
		status=1
	fi
	if ! echo "$troubleshooting" | grep -q "\b$r\b"; then
		echo "$(basename "$guide"): the troubleshooting section does not explain $r"
		status=1
	fi
done

if [ $status -eq 0 ]; then
	echo "$count exported symbols, each documented in docs/man; $(echo "$reasons" | wc -w) reasons explained"
fi
exit $status
