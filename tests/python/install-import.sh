#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# After `meson install`, the interpreter the module was built for imports it:
# the module lands in a directory that interpreter searches, with its stubs,
# and finds the installed libsealbuf (no RUNPATH into the build tree).
# Usage: install-import.sh BUILDDIR PYTHON (SEALBUF_PY_PRELOAD: a sanitizer runtime for python)
set -euo pipefail
builddir=$1 py=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$builddir" --destdir "$root" --quiet >/dev/null
so=$(find "$root" -name 'sealbuf.cpython-*.so' | head -n1)
[ -n "$so" ] || { echo "the Python module was not installed"; exit 1; }
sitedir=$(dirname "$so")
[ -f "$sitedir/sealbuf.pyi" ] || { echo "sealbuf.pyi is not beside the module"; exit 1; }
real=${sitedir#"$root"}
"$py" -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$real" ||
    { echo "$real is not on $py's sys.path"; exit 1; }
if readelf -d "$so" | grep -q 'R.*PATH'; then
    echo "the installed module keeps a RUNPATH:"; readelf -d "$so" | grep PATH; exit 1
fi
libdir=$(dirname "$(find "$root" -name 'libsealbuf.so.*' | head -n1)")
cd "$root"
PYTHONPATH=$sitedir LD_LIBRARY_PATH=$libdir LD_PRELOAD=${SEALBUF_PY_PRELOAD-} "$py" -c '
import sys, sealbuf
assert sealbuf.__file__.startswith(sys.argv[1]), sealbuf.__file__
with sealbuf.create(4096) as r:
    memoryview(r)[:2] = b"ok"
print("installed module imports from", sealbuf.__file__)' "$sitedir"
