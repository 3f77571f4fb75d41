#!/bin/bash
# `toro run` and `toro build` on bad input: one clear line on stderr and exit status 2, never a
# crash or a hang.
set -u
: "${TORO:?}" "${BUILD:?}"
tmp=$(mktemp -d /tmp/toro-e2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect STATUS PATTERN -- command...: the status, one line of stderr matching PATTERN.
expect() {
	local want=$1 pattern=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$want" ] || [ "$lines" != 1 ] || ! grep -Eq -- "$pattern" "$tmp/err"; then
		echo "FAIL: $*: status $rc (want $want), stderr ($lines lines):"
		sed 's/^/  | /' "$tmp/err"
		fails=$((fails + 1))
	else
		echo "ok: $* -> $rc: $(cat "$tmp/err")"
	fi
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

expect 2 "missing.elf: No such file" -- "$TORO" run "$tmp/missing.elf"
expect 2 "text.elf: not an ELF file" -- "$TORO" run "$tmp/text.elf"
expect 2 "empty.elf: empty file" -- "$TORO" run "$tmp/empty.elf"
expect 2 "truncated.elf: .*(truncated|outside)" -- "$TORO" run "$tmp/truncated.elf"
expect 2 "nopvh.elf: no PVH entry note" -- "$TORO" run "$tmp/nopvh.elf"
expect 2 "elf32.elf: not a 64-bit ELF" -- "$TORO" run "$tmp/elf32.elf"
expect 2 "$tmp: not a regular file" -- "$TORO" run "$tmp"
expect 2 "--mem 0: must be between 2M and 512G" -- "$TORO" run "$hello" --mem 0
expect 2 "--mem 1K: must be between 2M and 512G" -- "$TORO" run "$hello" --mem 1K
expect 2 "--mem 600G: must be between" -- "$TORO" run "$hello" --mem 600G
expect 2 "--mem: bad size 'lots'" -- "$TORO" run "$hello" --mem lots
expect 2 "--cpus 0: must be a number from 1" -- "$TORO" run "$hello" --cpus 0
expect 2 "unknown option '--bogus'" -- "$TORO" run "$hello" --bogus
expect 2 "--accel applies to QEMU only" -- "$TORO" run "$hello" --vmm toro --accel tcg
expect 2 "no image given" -- "$TORO" run
expect 2 "unknown command 'frob'" -- sh -c "'$TORO' frob 2>&1 >/dev/null | head -1 >&2; exit 2"
expect 2 "build: no output image" -- "$TORO" build "$tmp/nopvh.c"
expect 2 "build: .*missing.c: No such file" -- "$TORO" build "$tmp/missing.c" -o "$tmp/x.elf"
expect 2 "build: unknown option '--frob'" -- "$TORO" build --frob "$tmp/nopvh.c" -o "$tmp/x.elf"
expect 2 "build: .*notes.txt: not a source" -- "$TORO" build "$tmp/notes.txt" -o "$tmp/x.elf"

[ "$fails" = 0 ] && echo "all bad-input cases behave" || exit 1
