#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lint every man page: mandoc -Tlint at warning level (groff -ww where mandoc
# is missing), and a check mandoc does not make: the alternating-font macros
# (.BR, .IR, .RB, ...) join their arguments with no space, so an argument
# that starts a word right after one that ends a word or a clause
# (".BR \-\-reserve ), listens on" renders "--reserve),listensonthe") is an
# error.
# usage: man-lint.sh MANDIR
set -eu
mandir=$1
status=0
pages=0
for page in "$mandir"/*.[0-9]; do
	grep -q '^\.so ' "$page" && continue
	pages=$((pages + 1))
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -Tlint -W warning "$page" 2>&1 || true)
	else
		out=$(groff -man -ww -z -t "$page" 2>&1 || true)
	fi
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
	# Split each alternating-font line into its arguments ("quoted" or bare).
	awk -v f="$(basename "$page")" '
		/^\.(BR|RB|BI|IB|IR|RI)[ \t]/ {
			line = substr($0, 5); n = 0
			while (length(line)) {
				sub(/^[ \t]+/, "", line)
				if (line == "") break
				if (substr(line, 1, 1) == "\"") {
					rest = substr(line, 2); k = index(rest, "\"")
					if (!k) k = length(rest) + 1
					arg[++n] = substr(rest, 1, k - 1); line = substr(rest, k + 1)
				} else {
					k = match(line, /[ \t]/)
					if (!k) k = length(line) + 1
					arg[++n] = substr(line, 1, k - 1); line = substr(line, k)
				}
			}
			for (i = 2; i <= n; i++)
				if (arg[i] ~ /^[A-Za-z0-9]/ && arg[i - 1] ~ /[A-Za-z0-9,;.)]$/) {
					printf "%s:%d: \"%s\" joins \"%s\" with no space: %s\n", f, NR, arg[i - 1], arg[i], $0
					bad = 1
				}
		}
		END { exit bad }
	' "$page" || status=1
done
[ $status -eq 0 ] && echo "$pages man pages lint clean"
exit $status
