#!/bin/bash
# `toro run --exec PROGRAM`: unmodified static Linux executables in the generic image
# (kernel/app/exec.c), in both monitors: Debian's busybox-static (sha256sum of a shared file
# against the host's, ls -l of a shared directory, sort of stdin, echo, exit statuses), and
# programs built by the system's compilers (tests/e2e/exec-program.c: musl-gcc -static, gcc
# -static and -static-pie) with their arguments, environment, a shared file, a thread, the
# auxiliary vector, the heap and the break. On the host: a dynamically linked program and
# malformed files are refused before boot with one line and exit status 2; in the guest, the
# image booted without a program, or given a bad one directly, says so and exits 125.
# PARTS: host qemu toro
. "$(dirname "$0")/lib.sh"
BUSYBOX=/bin/busybox
tmp=$E2E_TMP

# run, with stdin from a file.
run_with_input() {
	local input=$1
	shift
	timeout -k 5 120 "$@" <"$input" >"$OUT" 2>"$ERR"
	ran $?
}

# No line of stderr says a system call is missing (glibc's rseq and clone3 are declined quietly).
want_quiet() {
	want_count err 'not implemented' 0
}

share=$tmp/share
mkdir -p "$share/dir/sub"
printf 'line one\nline two\n' >"$share/in.txt"
head -c 100000 /dev/urandom >"$share/dir/random.bin"
printf 'hello' >"$share/dir/five.txt"
chmod 644 "$share/dir/random.bin" "$share/dir/five.txt"
printf 'pear\napple\nfig\n' >"$tmp/fruit"
printf 'apple\nfig\npear\n' >"$tmp/fruit.sorted"
want_sum=$(sha256sum "$share/dir/random.bin" | cut -d' ' -f1)

for vmm in qemu toro; do
	opts=(--vmm "$vmm" --timeout 60)
	if check busybox-sha256sum@$vmm $vmm; then
		if [ -x "$BUSYBOX" ]; then
			run "$TORO" run "${opts[@]}" -d "$share" --exec "$BUSYBOX" -- sha256sum /dir/random.bin
			want_status 0
			want_line out "^$want_sum  /dir/random.bin\$"
			want_quiet
		else
			problem "$BUSYBOX is missing: install busybox-static"
		fi
		report
	fi
	if check busybox-ls@$vmm $vmm; then
		run "$TORO" run "${opts[@]}" -d "$share" --exec "$BUSYBOX" -- ls -l /dir
		want_status 0
		want_line out '^-rw-r--r-- +1 +[0-9]+ +[0-9]+ +5 .* five\.txt$'
		want_line out '^-rw-r--r-- +1 +[0-9]+ +[0-9]+ +100000 .* random\.bin$'
		want_line out '^d[rwx-]{9} +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ .* sub$'
		want_count out '^total ' 1
		want_quiet
		report
	fi
	if check busybox-sort-stdin@$vmm $vmm; then
		run_with_input "$tmp/fruit" "$TORO" run "${opts[@]}" --exec "$BUSYBOX" -- sort
		want_status 0
		want_same out "$tmp/fruit.sorted"
		report
	fi
	if check busybox-echo@$vmm $vmm; then
		run "$TORO" run "${opts[@]}" --exec "$BUSYBOX" -- echo hello "two  words"
		want_status 0
		want_line out '^hello two  words$'
		want_count out . 1
		report
	fi
	if check busybox-exit-status@$vmm $vmm; then
		run "$TORO" run "${opts[@]}" --exec "$BUSYBOX" -- false
		want_status 1
		run "$TORO" run "${opts[@]}" --exec "$BUSYBOX" -- sh -c 'exit 42'
		want_status 42
		report
	fi
	for prog in musl glibc glibc-pie; do
		if check program-$prog@$vmm $vmm; then
			run "$TORO" run "${opts[@]}" -d "$share" -e "EXEC_TEST=hello world" \
				--exec "$BUILD/tests/guest/exec-$prog" -- /in.txt "two  words" exit=7
			want_status 7
			want_line out "^libc=${prog%-pie}\$"
			want_line out '^argc=4$'
			want_line out "^argv\\[0\\]=exec-$prog\$"
			want_line out '^argv\[1\]=/in.txt$'
			want_line out '^argv\[2\]=two  words$'
			want_line out '^argv\[3\]=exit=7$'
			want_line out '^env EXEC_TEST=hello world$'
			want_line out '^file: line one$'
			want_line out '^file: line two$'
			want_line out '^thread: 42 tls 1$'
			want_line out "^auxv: pagesz 4096 execfn exec-$prog random yes\$"
			want_line out '^heap: ok$'
			want_line out '^brk: grows$'
			want_quiet
			report
		fi
	done
	if check no-program@$vmm $vmm; then
		run "$TORO" run "${opts[@]}" "$BUILD/toro-exec.elf"
		want_status 125
		want_line err 'no program in the boot module'
		report
	fi
done

# The kernel's own checks, on programs the tool would refuse, handed to it directly as QEMU's
# -initrd in the boot module's format (include/toro/abi/start_info.h): an empty text, its NUL,
# zeros to 4 KiB, the program, a last NUL. QEMU's exit status is (code << 1) | 1.
kernel_refuses() {
	local module=$tmp/module
	{ printf 'toroargs\0'; head -c $((4096 - 9)) /dev/zero; cat "$1"; printf '\0'; } >"$module"
	run "${TORO_QEMU:-qemu-system-x86_64}" -M microvm,pic=off,pit=off,rtc=off,acpi=off,auto-kernel-cmdline=off \
		-m 64M -accel tcg -cpu max -nodefaults -no-user-config -no-reboot -display none \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$BUILD/toro-exec.elf" -append "toro.argv0=prog" -initrd "$module"
	want_status $(((125 << 1) | 1))
	want_line out "^toro: prog: $2"
}
if check kernel-refuses@qemu qemu; then
	head -c 3000 "$BUSYBOX" >"$tmp/truncated"
	kernel_refuses "$tmp/truncated" 'truncated: a segment lies past the end of the file'
	kernel_refuses /bin/true 'dynamically linked'
	kernel_refuses "$BUILD/examples/hello.elf" 'its segments overlap the kernel'
	report
fi

# Refused by the tool before anything boots: one line and exit status 2. (The files are made
# where the host part runs: the nested VM has no dd.)
case $E2E_PARTS in *" host "*)
	head -c 3000 "$BUSYBOX" >"$tmp/truncated"
	head -c 40 "$BUSYBOX" >"$tmp/short"
	cp "$BUILD/tests/guest/exec-musl" "$tmp/class32"
	printf '\001' | dd of="$tmp/class32" bs=1 seek=4 conv=notrunc status=none
	printf 'echo not a program\n' >"$tmp/script"
	: >"$tmp/empty"
	;;
esac
bad_input refuse-dynamic '^toro: run: --exec /bin/true: dynamically linked \(it names an interpreter' \
	-- "$TORO" run --exec /bin/true
bad_input refuse-truncated 'truncated: a segment lies past the end of the file' \
	-- "$TORO" run --exec "$tmp/truncated"
bad_input refuse-short 'truncated: shorter than an ELF header' -- "$TORO" run --exec "$tmp/short"
bad_input refuse-32-bit 'not a 64-bit ELF file' -- "$TORO" run --exec "$tmp/class32"
bad_input refuse-script 'script: not an ELF file' -- "$TORO" run --exec "$tmp/script"
bad_input refuse-empty 'empty: not an ELF file' -- "$TORO" run --exec "$tmp/empty"
bad_input refuse-directory 'not a regular file' -- "$TORO" run --exec "$tmp"
bad_input refuse-missing 'No such file or directory' -- "$TORO" run --exec "$tmp/missing"
# A Toro image is linked at 1 MiB, where the kernel is.
bad_input refuse-overlap 'its segments overlap the kernel' \
	-- "$TORO" run --exec "$BUILD/examples/hello.elf"
bad_input refuse-too-big 'more than a quarter of the guest.s 2 MiB of RAM' \
	-- "$TORO" run --exec "$BUILD/tests/guest/exec-glibc" --mem 2M
bad_input refuse-image-too "runs in the tool's own image: give no image" \
	-- "$TORO" run --exec "$BUSYBOX" "$BUILD/examples/hello.elf"
bad_input refuse-no-program '^toro: run: --exec: no program given$' -- "$TORO" run --exec
e2e_exit
