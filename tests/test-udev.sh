#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The udev rule on Debian's real systemd-udevd, in the VM: group, mode, uaccess, and an export by a user it admits.
#
# test-udev.sh RULES_FILE [TEST_PROGRAM]
# Inside the VM (tools/vm/run sets SEALBUF_IN_VM=1) only: it starts udevd and changes /dev.
# TEST_PROGRAM (test-dmabuf) is then run as an unprivileged member of group video.
set -u
rules=$1 prog=${2:-}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "${SEALBUF_IN_VM:-}" = 1 ] || skip "runs only inside the VM (tools/vm/run): it starts systemd-udevd and changes /dev"
[ "$(id -u)" = 0 ] || skip "needs root in the VM"
[ -e /dev/udmabuf ] || skip "this kernel has no /dev/udmabuf"
udevd=
for f in /lib/systemd/systemd-udevd /usr/lib/systemd/systemd-udevd; do [ -x "$f" ] && udevd=$f && break; done
[ -n "$udevd" ] || skip "no systemd-udevd on this system (install udev)"
command -v udevadm >/dev/null || skip "no udevadm"
video=$(getent group video | cut -d: -f3)
[ -n "$video" ] || skip "no group video on this system"

# The VM runs us in a chroot of the host; udevadm would ignore every request there.
export SYSTEMD_IGNORE_CHROOT=1
echo "before: $(stat -c '%U:%G %a' /dev/udmabuf) (devtmpfs, no udev)"
# Only our rule among the local ones: the system's own rules (/lib/udev/rules.d) still apply,
# 50-udev-default.rules' GROUP="kvm" included, so the test proves ours wins.
mount -t tmpfs -o mode=755 sealbuf-rules /etc/udev/rules.d || fail "cannot mount a tmpfs on /etc/udev/rules.d"
trap 'udevadm control --exit 2>/dev/null; umount /etc/udev/rules.d' EXIT
mkdir -p /run/udev
"$udevd" --daemon --resolve-names=early || fail "$udevd did not start"
trigger() {
    udevadm trigger --action=add --settle /dev/udmabuf || fail "udevadm trigger failed"
    udevadm settle --timeout=60
}
trigger
system=$(stat -c '%U:%G %a' /dev/udmabuf)
echo "system rules alone: $system"
# The node must be ours because of our rule, not by chance.
[ "$system" != "root:video 660" ] || fail "the system rules alone already give root:video 660"
cp "$rules" /etc/udev/rules.d/ || fail "cannot copy $rules"
udevadm control --reload
trigger

got=$(stat -c '%U:%G %a' /dev/udmabuf)
echo "after:  $got (systemd-udevd $(udevadm --version) with $(basename "$rules"))"
[ "$got" = "root:video 660" ] || fail "want root:video 660, got $got"
tags=$(udevadm info --query=property --name=/dev/udmabuf | grep '^TAGS=')
echo "udev:   $tags"
case $tags in *:uaccess:*) ;; *) fail "no uaccess tag: $tags" ;; esac

# The rule's effect on real users: video gets in, others do not.
setpriv --reuid=65534 --regid=65534 --groups="$video" -- sh -c 'exec 3<>/dev/udmabuf' ||
    fail "a member of group video cannot open /dev/udmabuf"
setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c 'exec 3<>/dev/udmabuf' 2>/dev/null &&
    fail "a user outside group video opened /dev/udmabuf"
echo "access: group video opens it, other users do not"
if [ -n "$prog" ]; then
    echo "running $(basename "$prog") as nobody in group video:"
    setpriv --reuid=65534 --regid=65534 --groups="$video" -- "$prog" || fail "$prog failed as a member of group video"
fi
echo "PASS"
