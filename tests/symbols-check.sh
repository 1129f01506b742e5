#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The built library exports exactly what lib/libsealbuf.sym lists (libdrm's
# symbols-check), each under the version node SEALBUF_1.0, its soname is
# libsealbuf.so.1, and each section of the script keeps its names sorted.
# usage: symbols-check.sh LIBSEALBUF.so LIBSEALBUF.sym [NODE SONAME]
# (NODE and SONAME: another library's, e.g. SEALBUF_RDMA_1.0 libsealbuf-rdma.so.1)
set -eu
export LC_ALL=C
lib=$1
sym=$2
node=${3:-SEALBUF_1.0}
want_soname=${4:-libsealbuf.so.1}
nm=${NM:-nm}

if ! command -v "$nm" >/dev/null 2>&1; then
	echo "SKIP: $nm is not installed: cannot read the library's exports"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols, without their version suffix; version nodes (type A) are not functions.
"$nm" -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$tmp/exported"

# Names in the script: "name;" lines, comments and the global:/local: labels stripped.
sed -e 's,/\*.*\*/,,g' "$sym" | grep -E '^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;[[:space:]]*$' |
	tr -d ' \t;' >"$tmp/listed-in-order"
sort -u "$tmp/listed-in-order" >"$tmp/listed"

status=0
missing=$(comm -13 "$tmp/exported" "$tmp/listed")
extra=$(comm -23 "$tmp/exported" "$tmp/listed")
if [ -n "$missing" ]; then
	echo "listed in $sym but not exported by $lib (SEALBUF_EXPORT missing, or not built?):"
	echo "$missing" | sed 's/^/  /'
	status=1
fi
if [ -n "$extra" ]; then
	echo "exported by $lib but not listed in $sym:"
	echo "$extra" | sed 's/^/  /'
	status=1
fi

# Within a section (a run of name lines between comments or blank lines), names are sorted.
awk '
	/^[[:space:]]*[A-Za-z_][A-Za-z0-9_]*;[[:space:]]*$/ {
		n = $1; sub(/;.*/, "", n)
		if (prev != "" && n < prev) { printf "%s: %s is listed after %s: keep each section sorted\n", FILENAME, n, prev; bad = 1 }
		prev = n; next
	}
	{ prev = "" }
	END { exit bad }
' "$sym" || status=1

# 1.0 is the first stable ABI: one node, SEALBUF_1.0, and soname 1.
unversioned=$("$nm" -D --defined-only "$lib" | awk -v node="$node" '$2 != "A" { v = $3; sub(/^[^@]*@@?/, "", v); if (v != node) print $3 }')
if [ -n "$unversioned" ]; then
	echo "exported outside the version node $node:"
	echo "$unversioned" | sed 's/^/  /'
	status=1
fi
if command -v objdump >/dev/null 2>&1; then
	soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
	if [ "$soname" != "$want_soname" ]; then
		echo "soname is '$soname', $want_soname expected"
		status=1
	fi
fi

if [ $status -eq 0 ]; then
	echo "$(wc -l <"$tmp/exported") symbols exported, all listed in $(basename "$sym"), all in $node"
fi
exit $status
