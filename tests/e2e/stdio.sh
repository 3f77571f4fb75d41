#!/bin/bash
# The application's stdio through `toro run` (tests/guest/posix_stdio.c): stdout to our stdout,
# stderr and kernel notices to our stderr; stdin from a pipe, a file or /dev/null, byte for byte
# (1 MiB too) and then its end; O_NONBLOCK and poll on stdin; isatty false for pipes and files,
# true with the size on a terminal (script(1), where installed). Under both monitors.
# PARTS: qemu toro
. "$(dirname "$0")/lib.sh"
IMAGE=$BUILD/tests/guest/posix_stdio.elf
tmp=$E2E_TMP

# Runs the image under monitor $1 with stdin from file $2 and the rest as its arguments.
run_in() {
	local vmm=$1 input=$2
	shift 2
	timeout -k 5 120 "$TORO" run "$IMAGE" --vmm "$vmm" --console virtio --timeout 60 -- "$@" \
		<"$input" >"$OUT" 2>"$ERR"
	ran $?
}

# Pipes file $2 into the echo command under monitor $1 and checks that all $3 bytes come back.
echo_piped() {
	local vmm=$1 input=$2 bytes=$3
	timeout -k 5 120 bash -c 'cat "$1" | "$2" run "$3" --vmm "$4" --console virtio --timeout 60 -- echo' \
		_ "$input" "$TORO" "$IMAGE" "$vmm" >"$OUT" 2>"$ERR"
	ran $?
	want_status 0
	want_same out "$input"
	want_line err "^echo: $bytes bytes, then end of input\$"
	report
}

head -c 1048576 /dev/urandom >"$tmp/random"
printf 'first line\nsecond line, no newline at the end' >"$tmp/text"

for vmm in qemu toro; do
	if check "separate@$vmm" "$vmm"; then
		run_in "$vmm" /dev/null split notice
		want_status 0
		printf 'stdout line\n' >"$tmp/want"
		want_same out "$tmp/want"
		want_line err '^stderr line$'
		want_line err 'io_uring_setup'
		report
	fi
	check "echo-pipe@$vmm" "$vmm" && echo_piped "$vmm" "$tmp/text" 45
	check "echo-1mib@$vmm" "$vmm" && echo_piped "$vmm" "$tmp/random" 1048576
	if check "echo-file@$vmm" "$vmm"; then
		run_in "$vmm" "$tmp/text" echo
		want_status 0
		want_same out "$tmp/text"
		report
	fi
	if check "devnull@$vmm" "$vmm"; then
		run_in "$vmm" /dev/null echo tty
		want_status 0
		[ -s "$OUT" ] && problem "stdout not empty"
		want_line err '^echo: 0 bytes, then end of input$'
		want_line err '^tty: 0=0 1=0 2=0$'
		report
	fi
	if check "nonblock@$vmm" "$vmm"; then
		# stdin a pipe that stays open, empty, for 3 s: EAGAIN at once, then poll sees its end.
		timeout -k 5 120 bash -c 'sleep 3 | "$1" run "$2" --vmm "$3" --console virtio --timeout 60 -- nonblock echo' \
			_ "$TORO" "$IMAGE" "$vmm" >"$OUT" 2>"$ERR"
		ran $?
		want_status 0
		want_line err '^nonblock: EAGAIN$'
		want_line err '^poll: 1 readable$'
		want_line err '^echo: 0 bytes, then end of input$'
		report
	fi
	if check "terminal@$vmm" "$vmm"; then
		if ! command -v script >/dev/null; then
			echo "SKIP terminal@$vmm: script(1) is not installed"
			continue
		fi
		# script gives the command a terminal (stdin, stdout and stderr) of 30 rows, 100 columns.
		timeout -k 5 120 script -qec "stty rows 30 cols 100; $TORO run $IMAGE --vmm $vmm --console virtio --timeout 60 -- tty" /dev/null \
			</dev/null >"$OUT" 2>"$ERR"
		ran $?
		want_status 0
		want_line out 'tty: 0=1 1=1 2=1'
		want_line out 'winsize 1: 30x100'
		report
	fi
done
e2e_exit
