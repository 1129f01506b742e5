#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/setup-deps installs what the build's optional parts and the tests
# need, so that a fresh machine loses nothing in silence: zlib1g-dev (doctor
# reads /proc/config.gz), mandoc (tests/man-lint.sh), and this build found zlib.
# usage: setup-deps-check.sh SETUP_DEPS zlib|no-zlib
set -eu
status=0
for p in zlib1g-dev mandoc libdrm-dev libcmocka-dev; do
	if ! grep -qw -- "$p" "$1"; then
		echo "tools/setup-deps does not install $p"
		status=1
	fi
done
if [ "$2" != zlib ]; then
	echo "this build has no zlib: doctor cannot read /proc/config.gz (run tools/setup-deps, then meson setup --wipe)"
	status=1
fi
[ $status -eq 0 ] && echo "tools/setup-deps installs every optional build and test dependency"
exit $status
