#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# sealbuf.pc needs no other .pc file: sealbuf.h includes nothing of libdrm, so
# pkg-config --cflags and --libs must work where libdrm's .pc is not installed.
# usage: pkgconfig-check.sh BUILD_ROOT
set -eu
pc="$1/meson-private/sealbuf.pc"
command -v pkg-config >/dev/null 2>&1 || { echo "SKIP: pkg-config is not installed"; exit 77; }
[ -f "$pc" ] || { echo "no $pc"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$pc" "$dir/"
# Only sealbuf.pc on the search path: libdrm.pc cannot be found.
PKG_CONFIG_LIBDIR=$dir PKG_CONFIG_PATH= pkg-config --cflags sealbuf
PKG_CONFIG_LIBDIR=$dir PKG_CONFIG_PATH= pkg-config --libs sealbuf
if grep -E '^Requires' "$pc"; then
	echo "sealbuf.pc requires other packages: pkg-config fails without them"
	exit 1
fi
echo "pkg-config --cflags/--libs sealbuf work without any other .pc file"
