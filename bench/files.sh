#!/bin/bash
# File benchmarks in the guest (bench/files_bench.c, one POSIX program): a MIB MiB file read in
# 4 KiB reads cold (every byte through virtio-fs) and hot (from the page cache, toro.pagecache=
# big enough), FILES stats of names not seen before and FILES stats of names in the cache; the
# same program on the host, on the same directory, in the same run, as the reference. Phases are
# timed by the program's own clock; medians of RUNS runs, interleaved. The built-in monitor
# gets a smaller share (PVM_MIB, PVM_FILES): with this host's software KVM (kvm_pvm) every guest
# instruction is emulated. Then guest instructions per 4 KiB read and per stat under QEMU TCG
# (bench/icount/, between the program's marker functions; deterministic), the reads also with each
# REP string instruction counted once, as hardware counts it (bench/icount/rep.py). --profile
# adds where a hot and a cold read's instructions go, per function (bench/icount/profile.py).
# Usage: bench/files.sh [--profile] BUILD_DIR [MIB] [FILES] [RUNS] [PVM_MIB] [PVM_FILES]
set -u
PROFILE=0
[ "${1:-}" = --profile ] && { PROFILE=1; shift; }
BUILD=$(cd "${1:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
MIB=${2:-64}
FILES=${3:-10000}
RUNS=${4:-3}
PVM_MIB=${5:-4}
PVM_FILES=${6:-1000}
TORO=$BUILD/toro
TMP=$(mktemp -d /tmp/toro-files-bench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

make_share() { # DIR MIB FILES
	mkdir -p "$1/many"
	head -c $(($2 << 20)) /dev/urandom >"$1/big"
	(cd "$1/many" && seq -f 'f%05g' 0 $(($3 - 1)) | xargs touch)
}
make_share "$TMP/share" "$MIB" "$FILES"
make_share "$TMP/small" "$PVM_MIB" "$PVM_FILES"
"$TORO" build -q --no-fpu "$HERE/files_bench.c" -o "$TMP/files.elf" &&
	cc -O2 -o "$TMP/files-host" "$HERE/files_bench.c" ||
	{ echo "bench/files.sh: cannot build bench/files_bench.c"; exit 1; }

# timed CMD...: runs CMD, prints "PHASE SECONDS" for each of its phases (the program's own
# clock); nothing, and what went wrong on stderr, if it failed.
timed() {
	"$@" >"$TMP/lines" 2>"$TMP/err"
	if [ $? != 0 ] || ! grep -q '^stat-cached:' "$TMP/lines"; then
		echo "  failed: $*: $(tail -2 "$TMP/err" "$TMP/lines" | tr '\n' ' ')" >&2
		return 1
	fi
	awk '$1 ~ /:$/ && $3 == "ns," { sub(/:$/, "", $1); printf "%s %.6f\n", $1, $2 / 1e9 }' "$TMP/lines"
}

# The runs, interleaved: host, QEMU, built-in monitor (the last on the small share).
qemu_mem=$((8 * (MIB + 16) + 128))M # the page cache may use an eighth of RAM
for ((i = 0; i < RUNS; i++)); do
	timed "$TMP/files-host" "$TMP/share" 4096 "$FILES" | sed 's/^/host /'
	timed env TORO_KERNEL_OPTIONS="toro.pagecache=$((MIB + 16))M" "$TORO" run --vmm qemu \
		--mem "$qemu_mem" --share "$TMP/share" --timeout 600 "$TMP/files.elf" -- / 4096 "$FILES" |
		sed 's/^/qemu /'
	timed "$TMP/files-host" "$TMP/small" 4096 "$PVM_FILES" | sed 's/^/host-small /'
	if [ "$i" = 0 ]; then # one run: minutes each
		timed env TORO_KERNEL_OPTIONS="toro.pagecache=$((PVM_MIB + 16))M" "$TORO" run --vmm toro \
			--mem 512M --share "$TMP/small" --timeout 1800 "$TMP/files.elf" -- / 4096 "$PVM_FILES" |
			sed 's/^/toro /'
	fi
done >"$TMP/results"

median_of() { # WHO PHASE
	awk -v w="$1" -v p="$2" '$1 == w && $2 == p { print $3 }' "$TMP/results" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
rate() { # WHO PHASE MIB|FILES unit
	local s
	s=$(median_of "$1" "$2")
	[ -n "$s" ] || { echo "-"; return; }
	awk -v s="$s" -v n="$3" -v u="$4" 'BEGIN { printf "%.1f %s (%.3f s)", n / s, u, s }'
}
ratio() { # WHO BASE PHASE
	local a b
	a=$(median_of "$1" "$3") b=$(median_of "$2" "$3")
	[ -n "$a" ] && [ -n "$b" ] || { echo "-"; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { printf "x%.2f", b / a }'
}
KVM=/dev/kvm
[ -d /sys/module/kvm_pvm ] && KVM="/dev/kvm is kvm_pvm"
echo "== Files: $MIB MiB read in 4 KiB reads, $FILES stats; host and QEMU TCG medians of $RUNS runs"
for p in read-cold read-hot; do
	printf '  %-12s host %-28s QEMU %-28s %s of the host\n' "$p" "$(rate host $p "$MIB" MiB/s)" \
		"$(rate qemu $p "$MIB" MiB/s)" "$(ratio qemu host $p)"
done
for p in stat-new stat-cached; do
	printf '  %-12s host %-28s QEMU %-28s %s of the host\n' "$p" "$(rate host $p "$FILES" stats/s)" \
		"$(rate qemu $p "$FILES" stats/s)" "$(ratio qemu host $p)"
done
echo "== Built-in monitor ($KVM), one run: $PVM_MIB MiB, $PVM_FILES stats (host: medians of $RUNS)"
for p in read-cold read-hot; do
	printf '  %-12s host %-28s built-in %-28s %s of the host\n' "$p" \
		"$(rate host-small $p "$PVM_MIB" MiB/s)" "$(rate toro $p "$PVM_MIB" MiB/s)" \
		"$(ratio toro host-small $p)"
done
for p in stat-new stat-cached; do
	printf '  %-12s host %-28s built-in %-28s %s of the host\n' "$p" \
		"$(rate host-small $p "$PVM_FILES" stats/s)" "$(rate toro $p "$PVM_FILES" stats/s)" \
		"$(ratio toro host-small $p)"
done

echo "== Guest instructions (QEMU TCG plugin, between files_bench.c's markers)"
if ! bash "$HERE/icount/icount.sh" -B >/dev/null 2>"$TMP/plugin.err"; then
	echo "  skipped: the QEMU plugin cannot be built: $(tail -1 "$TMP/plugin.err")"
	exit 0
fi
stops= names=()
for m in cold_begin cold_end hot_begin hot_end stat_new_begin stat_new_end stat_cached_begin \
	stat_cached_end; do
	a=$(nm "$TMP/files.elf" | awk -v s="bench_files_$m" '$3 == s { print $1 }')
	stops+=",stop=0x$a" names+=("$(printf '0x%x' "0x$a")")
done
# counted TAG PLUGIN_OPTIONS: one run under the plugin; its counts in $TMP/counts-TAG.
counted() {
	: >"$TMP/counts-$1"
	ICOUNT_ARGS="out=$TMP/counts-$1$2" TORO_QEMU="$HERE/icount/qemu-icount" \
		TORO_KERNEL_OPTIONS="toro.pagecache=$((MIB + 16))M" "$TORO" run --vmm qemu \
		--mem "$qemu_mem" --share "$TMP/share" --timeout 900 "$TMP/files.elf" -- / 4096 "$FILES" \
		>"$TMP/icount-$1.out" 2>&1
}
# Every phase, with the histogram of the hot reads; then the cold reads alone, with theirs
# (one histogram a run), QEMU stopped at their end.
counted all "$stops,hist=$TMP/hist-hot,hfrom=${names[2]},hto=${names[3]}"
counted cold ",hist=$TMP/hist-cold,hfrom=${names[0]},hto=${names[1]},exit=on"
at() { awk -v a="$2" '$2 == "reached" && $3 == a { print $5 }' "$TMP/counts-$1"; }
# per TAG BEGIN END OPS LABEL [HIST]: instructions per operation between two markers; with the
# phase's histogram, also with every REP string instruction counted once (bench/icount/rep.py),
# as a CPU's instructions-retired counter counts it, where the plugin counts each iteration.
per() {
	local b e reps=
	b=$(at "$1" "$2") e=$(at "$1" "$3")
	if ! [[ "$b" =~ ^[0-9]+$ && "$e" =~ ^[0-9]+$ ]]; then
		echo "  $5: not counted: $(cat "$TMP/counts-$1" "$TMP/icount-$1.out" | tail -2 | tr '\n' ' ')"
		return
	fi
	if [ -n "${6:-}" ]; then
		reps=$(python3 "$HERE/icount/rep.py" "$TMP/files.elf" "$6" | awk '{ print $2 }')
		[[ "$reps" =~ ^[0-9]+$ ]] || reps=
	fi
	printf '  %-36s %8d instructions' "$5" $(((e - b) / $4))
	[ -n "$reps" ] && printf ' (%d with a REP counted once: %d iterations of REP string instructions)' \
		$(((e - b - reps) / $4)) $((reps / $4))
	echo
}
pages=$((MIB * 256))
per cold "${names[0]}" "${names[1]}" "$pages" "per 4 KiB read, cold" "$TMP/hist-cold"
per all "${names[2]}" "${names[3]}" "$pages" "per 4 KiB read, hot (page cache)" "$TMP/hist-hot"
per all "${names[4]}" "${names[5]}" "$FILES" "per stat, name not seen before"
per all "${names[6]}" "${names[7]}" "$FILES" "per stat, name in the cache"
if [ "$PROFILE" = 1 ]; then
	echo "== Where a hot 4 KiB read's instructions go (bench/icount/profile.py, per read)"
	python3 "$HERE/icount/profile.py" --per "$pages" --top 40 "$TMP/files.elf" "$TMP/hist-hot"
	echo "== Where a cold 4 KiB read's instructions go (per read)"
	python3 "$HERE/icount/profile.py" --per "$pages" --top 40 "$TMP/files.elf" "$TMP/hist-cold"
fi
exit 0
