#!/bin/bash
# profile.sh - sums a profile written by icount-plugin.c's hist=PATH per symbol of an ELF: the
# instructions each function ran (a block's length times its runs, the block charged to the
# symbol its first instruction is in), the largest first, with their share of the whole and the
# runs of the block at the symbol's own address (its calls, for a function that does not loop
# back to its first instruction).
# usage: profile.sh ELF HIST [DIVISOR] [TOP]
#   DIVISOR  divides every figure (the operations the profiled run did; default 1)
#   TOP      lines shown (default 25)
set -u -o pipefail
[ $# -ge 2 ] || { echo "usage: profile.sh ELF HIST [DIVISOR] [TOP]" >&2; exit 2; }
ELF=$1 HIST=$2 DIV=${3:-1} TOP=${4:-25}
[ -f "$ELF" ] && [ -f "$HIST" ] || { echo "profile.sh: no such file: $ELF or $HIST" >&2; exit 2; }
# Hexadecimal to a number (mawk has no strtonum); addresses stay well below 2^53.
HEX='function hex(s,  i, v) { sub(/^0x/, "", s); s = tolower(s); v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v }'
# Text symbols by address, then the profile's blocks by address, merged in one pass.
{
	nm -n "$ELF" | awk "$HEX"' $2 ~ /^[tTwW]$/ { print "S", hex($1), $3 }'
	awk "$HEX"' { print "B", hex($1), $2 * $3, $3 }' "$HIST"
} | sort -k2,2n -k1,1r | awk '
	$1 == "S" { sym = $3; at = $2; next }
	{ k = sym == "" ? "(before-the-first-symbol)" : sym; total += $3; per[k] += $3
	  if ($2 == at) calls[k] += $4 }
	END { print total, "(total)"; for (s in per) print per[s], s, calls[s] + 0 }' |
	sort -k1,1rn | awk -v div="$DIV" -v top="$TOP" '
	NR == 1 { tot = $1; printf "%12s %6s %10s  %s\n", "insns", "share", "entries", "symbol"; next }
	NR <= top + 1 { printf "%12.1f %5.1f%% %10.2f  %s\n", $1 / div, 100 * $1 / tot, $3 / div, $2 }
	END { printf "%12.1f %6s  total\n", tot / div, "" }'
