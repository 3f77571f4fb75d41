#!/bin/bash
# `toro run` and `toro build` on bad input: one clear line on stderr and exit status 2, never a
# crash or a hang.
# PARTS: host
. "$(dirname "$0")/lib.sh"
tmp=$E2E_TMP

# expect NAME PATTERN -- command...: status 2 and one line of stderr matching PATTERN.
expect() {
	local name=$1 pattern=$2
	shift 3
	check "$name" host || return 0
	run "$@"
	want_status 2
	want_count err . 1
	want_line err "$pattern"
	report
}

hello=$BUILD/examples/hello.elf
printf 'not an elf at all\n' >"$tmp/text.elf"
head -c 40 "$hello" >"$tmp/truncated.elf"
: >"$tmp/empty.elf"
# A valid static x86-64 executable without the PVH note.
printf 'void _start(void){for(;;);}\n' >"$tmp/nopvh.c"
gcc -static -nostdlib -no-pie -o "$tmp/nopvh.elf" "$tmp/nopvh.c"
# A 32-bit ELF.
gcc -m32 -static -nostdlib -no-pie -o "$tmp/elf32.elf" "$tmp/nopvh.c" 2>/dev/null ||
	{ cp "$hello" "$tmp/elf32.elf"; printf '\001' | dd of="$tmp/elf32.elf" bs=1 seek=4 conv=notrunc 2>/dev/null; }

expect missing-image "missing.elf: No such file" -- "$TORO" run "$tmp/missing.elf"
expect not-elf "text.elf: not an ELF file" -- "$TORO" run "$tmp/text.elf"
expect empty-image "empty.elf: empty file" -- "$TORO" run "$tmp/empty.elf"
expect truncated-image "truncated.elf: .*(truncated|outside)" -- "$TORO" run "$tmp/truncated.elf"
expect no-pvh-note "nopvh.elf: no PVH entry note" -- "$TORO" run "$tmp/nopvh.elf"
expect elf32 "elf32.elf: not a 64-bit ELF" -- "$TORO" run "$tmp/elf32.elf"
expect directory "$tmp: not a regular file" -- "$TORO" run "$tmp"
expect mem-0 "--mem 0: must be between 2M and 512G" -- "$TORO" run "$hello" --mem 0
expect mem-1K "--mem 1K: must be between 2M and 512G" -- "$TORO" run "$hello" --mem 1K
expect mem-600G "--mem 600G: must be between" -- "$TORO" run "$hello" --mem 600G
expect mem-word "--mem: bad size 'lots'" -- "$TORO" run "$hello" --mem lots
expect cpus-0 "--cpus 0: must be a number from 1" -- "$TORO" run "$hello" --cpus 0
expect unknown-option "unknown option '--bogus'" -- "$TORO" run "$hello" --bogus
expect accel-with-toro "--accel applies to QEMU only" -- "$TORO" run "$hello" --vmm toro --accel tcg
expect no-image "no image given" -- "$TORO" run
expect env-bad-name "-e '1A=x': not a valid environment variable name" -- "$TORO" run "$hello" -e 1A=x
expect env-no-value "--env 'HOME': expected NAME=VALUE" -- "$TORO" run "$hello" --env HOME
expect env-missing "-e '': expected NAME=VALUE" -- "$TORO" run "$hello" -e
expect env-word-bad-name "environment 'A-B=1': not a valid environment variable name" -- "$TORO" run "$hello" A-B=1
expect env-word-kernel-option "'toro.madt=1': not an environment variable name \(kernel options go in TORO_KERNEL_OPTIONS\)" -- "$TORO" run "$hello" toro.madt=1
printf '# settings\n\nGOOD=1\nnot an assignment\n' >"$tmp/bad.env"
expect env-file-bad-line "--env-file $tmp/bad.env:4: expected NAME=VALUE" -- "$TORO" run "$hello" --env-file "$tmp/bad.env"
expect env-file-missing "--env-file $tmp/missing.env: No such file" -- "$TORO" run "$hello" --env-file "$tmp/missing.env"
# Kernel options the command line (4095 bytes) cannot hold: refused before anything boots, by
# either monitor, never cut. (Long arguments and environment travel in the argument module:
# tests/e2e/big-args.sh.)
long=$(printf '%5000s' '' | tr ' ' x)
for vmm in toro qemu auto; do
	expect "too-long-options-$vmm" "hello.elf: kernel command line too long: .* at most 4095" -- env TORO_KERNEL_OPTIONS="toro.x=$long" "$TORO" run "$hello" --vmm "$vmm"
done
# Shares (--share DIR[:rw][:/MOUNT], -d DIR): refused before anything boots.
mkdir -p "$tmp/share"
expect share-missing "--share $tmp/nodir: No such file" -- "$TORO" run "$hello" --share "$tmp/nodir"
expect share-not-dir "-d $tmp/text.elf: not a directory" -- "$TORO" run "$hello" -d "$tmp/text.elf"
expect share-rw-not-dir "--share $tmp/text.elf:rw: $tmp/text.elf: not a directory" -- "$TORO" run "$hello" --share "$tmp/text.elf:rw"
expect share-same-mount "--share $tmp/share:/data: /data is already the mount point of" -- "$TORO" run "$hello" -d "$tmp/share:rw:/data" --share "$tmp/share:/data"
expect share-second-at-root "/ is already the mount point of $tmp/share" -- "$TORO" run "$hello" -d "$tmp/share" --share "$tmp"
expect share-relative-mount "mount point 'data' must be absolute" -- "$TORO" run "$hello" --share "$tmp/share:rw:data"
expect share-comma-mount "mount point '/a,b' contains ',' or ':'" -- "$TORO" run "$hello" --share "$tmp/share:/a,b"
expect unknown-command "unknown command 'frob'" -- sh -c "'$TORO' frob 2>&1 >/dev/null | head -1 >&2; exit 2"
expect build-no-output "build: no output image" -- "$TORO" build "$tmp/nopvh.c"
expect build-missing-source "build: .*missing.c: No such file" -- "$TORO" build "$tmp/missing.c" -o "$tmp/x.elf"
expect build-unknown-option "build: unknown option '--frob'" -- "$TORO" build --frob "$tmp/nopvh.c" -o "$tmp/x.elf"
expect build-not-source "build: .*notes.txt: not a source" -- "$TORO" build "$tmp/notes.txt" -o "$tmp/x.elf"
e2e_exit
