#!/bin/bash
# The virtio console end to end under QEMU (tests/guest/native_virtio_console.c): a 200 KB burst
# in one write, 1000 one-line writes and a line just before exit arrive byte for byte and in
# order; they travel through the virtio console, not COM1; and a legacy (version 1) device is
# reported and skipped, leaving COM1 as the console.
set -u
: "${TORO:?}" "${BUILD:?}"
IMAGE=$BUILD/tests/guest/native_virtio_console.elf
tmp=$(mktemp -d /tmp/toro-e2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# What the guest prints for "burst 2500 lines 1000 tail" (exit status 7).
awk 'BEGIN {
	x = sprintf("%66s", ""); gsub(/ /, "x", x)
	print "console=virtio"
	for (i = 0; i < 2500; i++) printf "burst %05d %s.\n", i, x
	for (i = 0; i < 1000; i++) printf "burst %05d %s.\n", i, x
	print "last line before exit"
}' >"$tmp/want"
ARGS=(-- burst 2500 lines 1000 tail)

# 1. Everything arrives, in order, nothing else on stdout.
"$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60 "${ARGS[@]}" \
	>"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
[ $rc = 7 ] || fail "exit status $rc, want 7"
cmp -s "$tmp/want" "$tmp/out" || fail "output differs from what was written: $(cmp "$tmp/want" "$tmp/out" 2>&1 | head -1)"

# 2. The same output, through the virtconsole alone: QEMU (behind a wrapper) gives the virtio
# console its own file, so COM1 (stdout) must carry none of it. The wrapper keys on the
# device argument tools/qemu.c passes.
cat >"$tmp/qemu" <<WRAP
#!/bin/bash
args=()
for a in "\$@"; do
	[ "\$a" = "virtconsole,chardev=toroconsole" ] && a="virtconsole,chardev=virtiofile"
	args+=("\$a")
done
exec ${TORO_QEMU:-qemu-system-x86_64} "\${args[@]}" -chardev file,id=virtiofile,path=$tmp/virtio
WRAP
chmod +x "$tmp/qemu"
TORO_QEMU=$tmp/qemu "$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60 "${ARGS[@]}" \
	>"$tmp/out2" 2>"$tmp/err2" </dev/null
rc=$?
[ $rc = 7 ] || fail "separate virtio file: exit status $rc, want 7"
cmp -s "$tmp/want" "$tmp/virtio" || fail "virtio console file differs: $(cmp "$tmp/want" "$tmp/virtio" 2>&1 | head -1)"
[ -s "$tmp/out2" ] && fail "COM1 carried output while the virtio console was live: $(head -c 200 "$tmp/out2")"

# 3. A legacy device (QEMU's default for microvm) is reported and skipped; COM1 stays.
cat >"$tmp/qemu-legacy" <<WRAP
#!/bin/bash
args=()
for a in "\$@"; do
	[ "\$a" = "virtio-mmio.force-legacy=false" ] && a="virtio-mmio.force-legacy=true"
	args+=("\$a")
done
exec ${TORO_QEMU:-qemu-system-x86_64} "\${args[@]}"
WRAP
chmod +x "$tmp/qemu-legacy"
TORO_QEMU=$tmp/qemu-legacy "$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60 \
	>"$tmp/out3" 2>"$tmp/err3" </dev/null
rc=$?
[ $rc = 0 ] || fail "legacy device: exit status $rc, want 0"
grep -q '^virtio-mmio: device at 0xfeb00000 is version 1 (legacy); only version 2 is supported; skipped$' "$tmp/out3" ||
	fail "legacy device not reported: $(head -3 "$tmp/out3")"
grep -q '^console=serial$' "$tmp/out3" || fail "legacy device: console is not COM1"

if [ $fails != 0 ]; then
	for f in err err2 err3; do [ -s "$tmp/$f" ] && sed "s/^/  $f| /" "$tmp/$f"; done
	exit 1
fi
echo "virtio console: burst, order, exit flush, virtio-only path and legacy skip ok"
