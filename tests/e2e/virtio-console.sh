#!/bin/bash
# The virtio console end to end under QEMU (tests/guest/native_virtio_console.c): a 200 KB burst
# in one write, 1000 one-line writes and a line just before exit arrive byte for byte and in
# order on stdout (the virtio console's port 1); COM1 and the console port (stderr) carry none of
# it; and a legacy (version 1) device is reported and skipped, leaving COM1 (stderr) as the
# console.
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

# The same output, through the stdout port alone: COM1 and the console port (both our stderr)
# must carry none of it.
if check virtio-only@qemu qemu; then
	run "$TORO" run "$IMAGE" --vmm qemu --console virtio --timeout 60 "${ARGS[@]}"
	want_status 7
	want_same out "$tmp/want"
	[ -s "$ERR" ] && problem "stderr (COM1, the console port) carried output"
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
	want_line err '^virtio-mmio: device at 0xfeb00000 is version 1 \(legacy\); only version 2 is supported; skipped$'
	want_line err '^console=serial$'
	report
fi
e2e_exit
