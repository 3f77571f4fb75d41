#!/bin/bash
# `toro run` and `toro build` on bad input: one clear line on stderr and exit status 2, never a
# crash or a hang.
# PARTS: host
. "$(dirname "$0")/lib.sh"
tmp=$E2E_TMP

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

bad_input missing-image "missing.elf: No such file" -- "$TORO" run "$tmp/missing.elf"
bad_input not-elf "text.elf: not an ELF file" -- "$TORO" run "$tmp/text.elf"
bad_input empty-image "empty.elf: empty file" -- "$TORO" run "$tmp/empty.elf"
bad_input truncated-image "truncated.elf: .*(truncated|outside)" -- "$TORO" run "$tmp/truncated.elf"
bad_input no-pvh-note "nopvh.elf: no PVH entry note" -- "$TORO" run "$tmp/nopvh.elf"
bad_input elf32 "elf32.elf: not a 64-bit ELF" -- "$TORO" run "$tmp/elf32.elf"
bad_input directory "$tmp: not a regular file" -- "$TORO" run "$tmp"
bad_input mem-0 "--mem 0: must be between 2M and 512G" -- "$TORO" run "$hello" --mem 0
bad_input mem-1K "--mem 1K: must be between 2M and 512G" -- "$TORO" run "$hello" --mem 1K
bad_input mem-600G "--mem 600G: must be between" -- "$TORO" run "$hello" --mem 600G
bad_input mem-word "--mem: bad size 'lots'" -- "$TORO" run "$hello" --mem lots
bad_input cpus-0 "--cpus 0: must be a number from 1" -- "$TORO" run "$hello" --cpus 0
bad_input unknown-option "unknown option '--bogus'" -- "$TORO" run "$hello" --bogus
bad_input accel-with-toro "--accel applies to QEMU only" -- "$TORO" run "$hello" --vmm toro --accel tcg
bad_input no-image "no image given" -- "$TORO" run
bad_input env-bad-name "-e '1A=x': not a valid environment variable name" -- "$TORO" run "$hello" -e 1A=x
bad_input env-no-value "--env 'HOME': expected NAME=VALUE" -- "$TORO" run "$hello" --env HOME
bad_input env-missing "-e '': expected NAME=VALUE" -- "$TORO" run "$hello" -e
bad_input env-word-bad-name "environment 'A-B=1': not a valid environment variable name" -- "$TORO" run "$hello" A-B=1
bad_input env-word-kernel-option "'toro.madt=1': not an environment variable name \(kernel options go in TORO_KERNEL_OPTIONS\)" -- "$TORO" run "$hello" toro.madt=1
printf '# settings\n\nGOOD=1\nnot an assignment\n' >"$tmp/bad.env"
bad_input env-file-bad-line "--env-file $tmp/bad.env:4: expected NAME=VALUE" -- "$TORO" run "$hello" --env-file "$tmp/bad.env"
bad_input env-file-missing "--env-file $tmp/missing.env: No such file" -- "$TORO" run "$hello" --env-file "$tmp/missing.env"
# Kernel options the command line (4095 bytes) cannot hold: refused before anything boots, by
# either monitor, never cut. (Long arguments and environment travel in the argument module:
# tests/e2e/big-args.sh.)
long=$(printf '%5000s' '' | tr ' ' x)
# --quiet: with --vmm auto on a host without a usable /dev/kvm, the notice that QEMU runs
# instead comes first; the error must still be the one line left.
for vmm in toro qemu auto; do
	bad_input "too-long-options-$vmm" "hello.elf: kernel command line too long: .* at most 4095" -- env TORO_KERNEL_OPTIONS="toro.x=$long" "$TORO" run "$hello" --vmm "$vmm" --quiet
done
# Shares (--share DIR[:rw][:/MOUNT], -d DIR): refused before anything boots.
mkdir -p "$tmp/share"
bad_input share-missing "--share $tmp/nodir: No such file" -- "$TORO" run "$hello" --share "$tmp/nodir"
bad_input share-not-dir "-d $tmp/text.elf: not a directory" -- "$TORO" run "$hello" -d "$tmp/text.elf"
bad_input share-rw-not-dir "--share $tmp/text.elf:rw: $tmp/text.elf: not a directory" -- "$TORO" run "$hello" --share "$tmp/text.elf:rw"
bad_input share-same-mount "--share $tmp/share:/data: /data is already the mount point of" -- "$TORO" run "$hello" -d "$tmp/share:rw:/data" --share "$tmp/share:/data"
bad_input share-second-at-root "/ is already the mount point of $tmp/share" -- "$TORO" run "$hello" -d "$tmp/share" --share "$tmp"
bad_input share-relative-mount "mount point 'data' must be absolute" -- "$TORO" run "$hello" --share "$tmp/share:rw:data"
bad_input share-comma-mount "mount point '/a,b' contains ',' or ':'" -- "$TORO" run "$hello" --share "$tmp/share:/a,b"
# Runs as services (--name, --log, --detach; toro ps, stop, logs): refused with one line.
export XDG_RUNTIME_DIR=$tmp/run
mkdir -p "$XDG_RUNTIME_DIR"
bad_input name-empty "--name '': 1 to 64 letters" -- "$TORO" run "$hello" --name ""
bad_input name-digits "--name '123': .*not all digits" -- "$TORO" run "$hello" --name 123
bad_input name-slash "--name 'a/b': 1 to 64 letters" -- "$TORO" run "$hello" --name a/b
bad_input name-dot-first "--name '.x': .*starting with a letter or digit" -- "$TORO" run "$hello" --name=.x
bad_input name-too-long "--name 'n{65}': 1 to 64" -- "$TORO" run "$hello" --name "$(printf '%65s' '' | tr ' ' n)"
bad_input log-empty "--log: no file given" -- "$TORO" run "$hello" --log ""
bad_input log-no-value "-l: no file given" -- "$TORO" run "$hello" -l
bad_input log-no-dir "--log $tmp/nodir/x.log: No such file" -- "$TORO" run "$hello" --log "$tmp/nodir/x.log"
bad_input detach-log-no-dir "--log $tmp/nodir/x.log: No such file" -- "$TORO" run "$hello" --detach --log "$tmp/nodir/x.log"
bad_input detach-missing-image "missing.elf: No such file" -- "$TORO" run "$tmp/missing.elf" --detach
bad_input stop-nothing "stop: no run given" -- "$TORO" stop
bad_input stop-unknown "stop: no run named 'ghost'" -- "$TORO" stop ghost
bad_input stop-two "stop: expected one NAME or PID" -- "$TORO" stop a b
bad_input logs-unknown "logs: no log for 'ghost'" -- "$TORO" logs ghost
bad_input logs-bad-name "logs: not a run name" -- "$TORO" logs ../etc/passwd
bad_input ps-argument "ps: unexpected argument 'x'" -- "$TORO" ps x
if check no-state-left host; then
	[ -z "$(ls -A "$XDG_RUNTIME_DIR/toro" 2>/dev/null)" ] ||
		problem "left in the state directory: $(ls "$XDG_RUNTIME_DIR/toro")"
	report
fi
# --pin CPU[,CPU...]: one host CPU per vCPU, each one this process may run on.
bad_input pin-word "--pin 'x': expected host CPU numbers" -- "$TORO" run "$hello" --pin x
bad_input pin-empty "--pin '': expected host CPU numbers" -- "$TORO" run "$hello" -p ""
bad_input pin-trailing-comma "--pin '0,': expected host CPU numbers" -- "$TORO" run "$hello" --pin 0,
bad_input pin-backwards-range "--pin '1-0': expected host CPU numbers" -- "$TORO" run "$hello" --cpus 2 --pin 1-0
bad_input pin-not-online "--pin 4095: host CPU 4095 is not online" -- "$TORO" run "$hello" --pin 4095
bad_input pin-too-many "--pin: 2 host CPUs for 1 vCPU \(--cpus\): give one per vCPU" -- "$TORO" run "$hello" --pin 0,0
bad_input pin-too-few "--pin: 1 host CPU for 3 vCPUs" -- "$TORO" run "$hello" --cpus 3 --pin 0
bad_input unknown-command "unknown command 'frob'" -- sh -c "'$TORO' frob 2>&1 >/dev/null | head -1 >&2; exit 2"
bad_input build-no-output "build: no output image" -- "$TORO" build "$tmp/nopvh.c"
bad_input build-missing-source "build: .*missing.c: No such file" -- "$TORO" build "$tmp/missing.c" -o "$tmp/x.elf"
bad_input build-unknown-option "build: unknown option '--frob'" -- "$TORO" build --frob "$tmp/nopvh.c" -o "$tmp/x.elf"
bad_input build-not-source "build: .*notes.txt: not a source" -- "$TORO" build "$tmp/notes.txt" -o "$tmp/x.elf"
mkdir -p "$tmp/emptydir"
bad_input build-empty-dir "build: $tmp/emptydir: no source files \(.c .S .s\) in it" -- "$TORO" build "$tmp/emptydir"
bad_input build-two-dirs "build: no output image" -- "$TORO" build "$tmp" "$tmp/emptydir/.."
# toro new NAME [--posix|--native] [--web]
mkdir -p "$tmp/new"
bad_input new-no-name "new: no project name given" -- "$TORO" new
bad_input new-exists "new: $tmp/share: File exists" -- "$TORO" new "$tmp/share"
bad_input new-bad-name "new: '$tmp/new/a b': the name must be" -- "$TORO" new "$tmp/new/a b"
bad_input new-digits "new: '$tmp/new/42': the name must be" -- "$TORO" new "$tmp/new/42"
bad_input new-native-web "new: --web makes a POSIX program" -- "$TORO" new "$tmp/new/w" --native --web
bad_input new-native-posix "new: --native or --posix, not both" -- "$TORO" new "$tmp/new/w" --native --posix
bad_input new-unknown-option "new: unknown option '--rust'" -- "$TORO" new "$tmp/new/w" --rust
bad_input new-two-names "new: one project at a time" -- "$TORO" new "$tmp/new/a" "$tmp/new/b"
e2e_exit
