#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install the build into a scratch root, then build and run a consumer, as C
# and as C++, using nothing but the installed header and sealbuf.pc.
set -euo pipefail
builddir=$1 srcdir=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$builddir" --destdir "$root" --quiet >/dev/null
pc=$(dirname "$(find "$root" -name sealbuf.pc | head -n1)")
[ -n "$pc" ] || { echo "sealbuf.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$pc PKG_CONFIG_SYSROOT_DIR=$root
flags=$(pkg-config --cflags --libs sealbuf)
libdir=$(pkg-config --variable=libdir sealbuf)  # sysroot already applied
for lang in c cc; do
    compiler=cc; [ $lang = cc ] && compiler=c++
    if ! command -v $compiler >/dev/null; then
        echo "SKIP: no $compiler to build the $lang consumer"; exit 77
    fi
    # Sanitized builds need their runtime in a consumer too.
    $compiler -Wall -Werror -o "$root/consumer-$lang" "$srcdir/consumer.$lang" $flags ${SEALBUF_CONSUMER_FLAGS:-}
    LD_LIBRARY_PATH="$libdir" "$root/consumer-$lang"
done
