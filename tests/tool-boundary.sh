#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The library/tool boundary: no file under tools/ includes a private header
# of the library (every header in lib/ but sealbuf.h; lib/shared/'s are
# shared on purpose). Tools are plain users of the public API.
# usage: tool-boundary.sh SOURCE_ROOT
set -eu
root=$1
status=0
private=$(cd "$root/lib" && ls -- *.h | grep -vx 'sealbuf.h')
for h in $private; do
	hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]([^\">]*/)?$h[\">]" \
		--include='*.c' --include='*.h' --include='*.cc' "$root/tools" || true)
	if [ -n "$hits" ]; then
		echo "tools/ includes the library's private header $h:"
		echo "$hits" | sed "s,^$root/,  ,"
		status=1
	fi
done
[ $status -eq 0 ] && echo "no file under tools/ includes a private header ($(echo $private | wc -w) checked)"
exit $status
