#!/bin/bash
# The built-in monitor keeps the vCPUs running while its stdout is full
# (tests/guest/native_vmm_console_block.c): the reader takes the first line, stops reading for
# 3 s, then reads the rest. Every line must arrive, in order, with a gap of at least a second
# between two of them (core 0 waited for the console); core 1's count, one VM exit per count,
# must have grown across that gap at no less than a quarter of its rate before it, so its vCPU
# was served while the console's output waited. A monitor that blocks in write() with a device
# lock held counts almost nothing across the gap.
# PARTS: toro
. "$(dirname "$0")/lib.sh"
IMAGE=$BUILD/tests/guest/native_vmm_console_block.elf
LINES=400

# Prints "ok", or what is wrong with the output.
judge() {
	awk -v lines="$LINES" '
	/^counting from t=/ { t0 = substr($3, 3) + 0 }
	/^line [0-9]+ t=[0-9]+ count=[0-9]+ / {
		n = $2 + 0; t = substr($3, 3) + 0; c = substr($4, 7) + 0
		if (n != seen) { print "line " n " where line " seen " was due"; bad = 1; exit }
		seen++
		if (n > 0 && t - pt > gap) {
			gap = t - pt; grew = c - pc; at = n
			rate = pt > t0 ? pc / (pt - t0) : 0
		}
		pt = t; pc = c
	}
	END {
		if (bad) exit
		if (seen != lines) { print seen " lines of " lines " arrived"; exit }
		if (gap < 1000) { print "longest gap between lines " gap " ms: stdout never filled"; exit }
		if (rate <= 0) { print "no count before the gap (line " at ")"; exit }
		want = int(rate * gap / 4)
		if (grew < want) {
			print "core 1 counted " grew " in the " gap " ms before line " at \
			      ", want at least " want " (a quarter of its earlier rate): its vCPU stalled"
			exit
		}
		print "ok"
	}' "$OUT"
}

if check stdout-full@toro toro; then
	timeout -k 5 120 "$TORO" run "$IMAGE" --vmm toro --cpus 2 --console virtio --timeout 100 \
		-- "$LINES" </dev/null 2>"$ERR" |
		{ IFS= read -r first; printf '%s\n' "$first"; sleep 3; cat; } >"$OUT"
	ran "${PIPESTATUS[0]}"
	want_status 0
	want_line out "^done lines=$LINES count=[0-9]+$"
	verdict=$(judge)
	[ "$verdict" = ok ] || problem "$verdict"
	report
fi
e2e_exit
