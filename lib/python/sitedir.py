# SPDX-License-Identifier: LGPL-2.1-or-later
# Where to install the module: meson's choice for this interpreter and prefix
# (argv[2]) when the interpreter searches it; otherwise the interpreter's own
# site directory under the prefix. Debian's python3 with prefix /usr/local is
# the case: meson picks /usr/local/lib/python3/dist-packages, which it does not
# search, while it searches /usr/local/lib/python3.X/dist-packages.
import os
import sys

prefix, default = os.path.normpath(sys.argv[1]), os.path.normpath(sys.argv[2])
path = [os.path.normpath(p) for p in sys.path if p]
if default in path:
    print(default)
else:
    own = [p for p in path if p.startswith(prefix + os.sep)
           and os.path.basename(p) in ("dist-packages", "site-packages")]
    print(own[0] if own else default)
