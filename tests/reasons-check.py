#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One table maps each reason to its errnos (lib/error.c); sealbuf.h's enum
comments say the same, and every sb_fail(-EXXX, SEALBUF_R_YYY) in lib/ (rb_fail in lib/rdma/) uses
one of its reason's errnos.
usage: reasons-check.py SEALBUF_H ERROR_C LIBDIR"""
import glob
import os
import re
import sys


def header_table(path):
    text = open(path).read()
    enum = text[text.index('enum sealbuf_reason {'):]
    enum = enum[:enum.index('};')]
    table = {}
    for m in re.finditer(r'SEALBUF_R_([A-Z0-9_]+)(?: = \d+)?,\s*/\*(.*?)\*/', enum):
        table[m.group(1)] = set(re.findall(r'-(E[A-Z0-9]+)', m.group(2)))
    names = re.findall(r'^\s*SEALBUF_R_([A-Z0-9_]+)', enum, re.M)
    return table, names


def error_c_table(path):
    text = open(path).read()
    table = {}
    for m in re.finditer(r'^\s*R\(([A-Z0-9_]+), ([^)]*)\),', text, re.M):
        table[m.group(1)] = {e.strip() for e in m.group(2).split(',') if e.strip() != '0'}
    return table


def main():
    header, names = header_table(sys.argv[1])
    table = error_c_table(sys.argv[2])
    bad = 0
    for name in names:
        if name not in table:
            print(f'SEALBUF_R_{name}: not in lib/error.c\'s table')
            bad += 1
        elif name not in ('NONE', 'SYSCALL') and header.get(name, set()) != table[name]:
            print(f'SEALBUF_R_{name}: sealbuf.h says {sorted(header.get(name, set()))}, '
                  f'lib/error.c says {sorted(table[name])}')
            bad += 1
    sites = 0
    for path in sorted(glob.glob(os.path.join(sys.argv[3], '**', '*.c'), recursive=True)):
        text = open(path).read()
        for m in re.finditer(r'(?:sb|rb)_fail\(\s*-(E[A-Z0-9]+)\s*,\s*SEALBUF_R_([A-Z0-9_]+)', text):
            sites += 1
            err, name = m.groups()
            if name != 'SYSCALL' and err not in table.get(name, set()):
                line = text[:m.start()].count('\n') + 1
                print(f'{path}:{line}: SEALBUF_R_{name} with -{err}; its table says {sorted(table.get(name, set()))}')
                bad += 1
    if not bad:
        print(f'{len(names)} reasons, one errno table; {sites} call sites agree with it')
    return 1 if bad else 0


sys.exit(main())
