#!/bin/bash
# The virtio console end to end under QEMU (tests/guest/native_virtio_console.c): a 200 KB burst
# in one write, 1000 one-line writes and a line just before exit arrive byte for byte and in
# order; they travel through the virtio console, not COM1; and a legacy (version 1) device is
# reported and skipped, leaving COM1 as the console.
# PARTS: qemu
. "$(dirname "$0")/lib.sh"
IMAGE=$BUILD/tests/guest/native_virtio_console.elf
tmp=$E2E_TMP

# What the guest prints for "burst 2500 lines 1000 tail" (exit status 7).
awk 'BEGIN {
	x = sprintf("%66s", ""); gsub(/ /, "x", x)
	print "console=virtio"
	for (i = 0; i < 2500; i++) printf "burst %05d %s.\n", i, x
	for (i = 0; i < 1000; i++) printf "burst %05d %s.\n", i, x
	print "last line before exit"
}' >"$tmp/want"
ARGS=(-- burst 2500 lines 1000 tail)

if check in-order@qemu qemu; then
	run "$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60 "${ARGS[@]}"
	want_status 7
	want_same out "$tmp/want"
	report
fi

# The same output, through the virtconsole alone: QEMU (behind a wrapper) gives the virtio
# console its own file, so COM1 (stdout) must carry none of it. The wrapper keys on the device
# argument tools/qemu.c passes.
if check virtio-only@qemu qemu; then
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
	run env TORO_QEMU="$tmp/qemu" "$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60 "${ARGS[@]}"
	want_status 7
	cmp -s "$tmp/want" "$tmp/virtio" ||
		problem "virtio console file differs: $(cmp "$tmp/want" "$tmp/virtio" 2>&1 | head -1)"
	[ -s "$OUT" ] && problem "COM1 carried output while the virtio console was live"
	report
fi

# A legacy device (QEMU's default for microvm) is reported and skipped; COM1 stays.
if check legacy-skipped@qemu qemu; then
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
	run env TORO_QEMU="$tmp/qemu-legacy" "$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60
	want_status 0
	want_line out '^virtio-mmio: device at 0xfeb00000 is version 1 \(legacy\); only version 2 is supported; skipped$'
	want_line out '^console=serial$'
	report
fi
e2e_exit
