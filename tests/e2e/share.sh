#!/bin/bash
# Shared directories in the built-in monitor, end to end: a guest (tests/guest/native_vmm_share.c,
# a polled virtio-fs request queue and FUSE requests built by hand) finds the virtio-fs device
# and the toro.mounts word the monitor added, reads a host file through a read-only share,
# writes one through a writable share, gets EROFS on a read-only one, EINVAL for "..", and ELOOP
# for a symlink in the share that points at a secret outside it.
# PARTS: toro
. "$(dirname "$0")/lib.sh"
IMAGE=$BUILD/tests/guest/native_vmm_share.elf
tmp=$E2E_TMP
mkdir -p "$tmp/share" "$tmp/other" "$tmp/outside"
printf 'hello from the host' >"$tmp/share/hello.txt"
printf 'SECRET-%s' "$$" >"$tmp/outside/secret"
ln -s "$tmp/outside/secret" "$tmp/share/link"

if check read@toro toro; then
	run "$TORO" run "$IMAGE" --vmm toro --share "$tmp/share" --timeout 60 --stats -- read hello.txt
	want_status 0
	want_line out '^toro\.mounts=share0:/:ro$'
	want_line out '^tag share0, 1 request queue\(s\)$'
	want_line out '^init: 0$'
	want_line out '^lookup \.\.: -22$'
	want_line out '^read: 0, 19 bytes: hello from the host$'
	want_line out '^release: 0$'
	# INIT, two LOOKUPs, OPEN, READ, RELEASE; the root and hello.txt are held.
	want_line err '^  share0 +6 FUSE requests; 2 nodes and 0 handles held at the stop$'
	report
fi

if check write@toro toro; then
	run "$TORO" run "$IMAGE" --vmm toro --share "$tmp/share:rw:/data" --timeout 60 -- write new.txt "written by the guest"
	want_status 0
	want_line out '^toro\.mounts=share0:/data:rw$'
	want_line out '^create new\.txt: 0$'
	want_line out '^write: 0, 20 bytes$'
	[ "$(cat "$tmp/share/new.txt" 2>&1)" = "written by the guest" ] ||
		problem "the host's new.txt holds '$(cat "$tmp/share/new.txt" 2>&1)'"
	report
fi

if check read-only@toro toro; then
	run "$TORO" run "$IMAGE" --vmm toro -d "$tmp/share" --timeout 60 -- write ro.txt x
	want_status 0
	want_line out '^create ro\.txt: -30$'
	[ -e "$tmp/share/ro.txt" ] && problem "ro.txt was created in a read-only share"
	report
fi

if check two-shares@toro toro; then
	run "$TORO" run "$IMAGE" --vmm toro -d "$tmp/share" --share "$tmp/other:rw:/mnt/other" --timeout 60 -- read hello.txt
	want_status 0
	want_line out '^toro\.mounts=share0:/:ro,share1:/mnt/other:rw$'
	want_line out '^read: 0, 19 bytes: hello from the host$'
	report
fi

if check symlink-out@toro toro; then
	run "$TORO" run "$IMAGE" --vmm toro --share "$tmp/share" --timeout 60 -- read link
	want_status 0
	want_line out '^lookup link: 0$'
	want_line out '^open: -40$'
	grep -q SECRET "$OUT" && problem "the secret outside the share reached the guest"
	report
fi
e2e_exit
