# Sourced by the benchmark scripts: guest instructions between marker functions of an image
# (noinline functions the benchmark calls around its loops), under QEMU TCG with icount.sh.
#   icount_markers IMAGE SYM...   runs IMAGE to the last marker (1 CPU, deterministic) and keeps
#                                 icount.sh's report in $ICOUNT_OUT; 1 if it failed
#   icount_per BEGIN END OPS [BASE_BEGIN BASE_END]
#                                 prints (END - BEGIN) / OPS, less the same for the baseline
#                                 loop between BASE_BEGIN and BASE_END; 1 if a marker is missing
ICOUNT=${ICOUNT:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/icount.sh}
ICOUNT_OUT=

icount_markers() { # image sym...
	ICOUNT_OUT=$(bash "$ICOUNT" -e -t 300 "$@" 2>&1)
}

icount_at() { # sym
	echo "$ICOUNT_OUT" | awk -v s="$1" '$1 == s && $3 ~ /^[0-9]+$/ { print $3 }'
}

icount_per() { # begin end ops [base_begin base_end]
	local b e bb=0 be=0
	b=$(icount_at "$1") e=$(icount_at "$2")
	[ $# -ge 5 ] && { bb=$(icount_at "$4") be=$(icount_at "$5"); }
	[[ "$b" =~ ^[0-9]+$ && "$e" =~ ^[0-9]+$ && "$bb" =~ ^[0-9]+$ && "$be" =~ ^[0-9]+$ ]] ||
		return 1
	echo "$e $b $be $bb $3" | awk '{ printf "%.1f", ($1 - $2 - ($3 - $4)) / $5 }'
}
