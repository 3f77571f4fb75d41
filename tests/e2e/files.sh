#!/bin/bash
# Files in shared host directories end to end, in the built-in monitor: the guest tests
# tests/guest/native_files.c and posix_files.c ("share", "cache") on three shares made here
# (read-write at /, read-only at /ro, read-write at /mnt/data): a 10 MiB file's checksum against
# the host's cksum, four threads reading at once on two cores, writes seen on the host
# afterwards, the page cache (and, far smaller than the file, evicting), and symbolic links
# planted in a share that must reach nothing outside the shares.
# PARTS: toro
. "$(dirname "$0")/lib.sh"
tmp=$E2E_TMP
CHECKS=(native@toro posix@toro page-cache-evicts@toro host-sees-writes@toro nothing-outside@toro)

# Shares are served by the monitor's virtio-fs device (vmm/virtio/fs.c); a tool without it
# cannot run these.
if ! "$TORO" run --help 2>&1 | grep -q -- '--share'; then
	for c in "${CHECKS[@]}"; do
		echo "SKIP $c: this toro has no --share option (the monitor's virtio-fs device)"
	done
	exit 0
fi

make_shares "$tmp" $((10 << 20)) $((1 << 20)) || { echo "FAIL setup: cksum gave nothing"; exit 1; }
mkdir -p "$tmp/outside"
echo "secret beside the shares" >"$tmp/outside/secret"

if check native@toro toro; then
	run "$TORO" run --vmm toro --cpus 2 --timeout 100 "${SHARES[@]}" \
		"$BUILD/tests/guest/native_files.elf" -- share "$big_size" "read-only text"
	want_status 0
	want_line out '^page-cache-second-read-from-memory: ok$'
	want_line out '^threads-read: ok$'
	want_line out '^stat-until-ro: ok$'
	want_line out '^checks: [0-9]+ passed, 0 failed$'
	report
fi

if check posix@toro toro; then
	run "$TORO" run --vmm toro --cpus 2 --timeout 100 "${SHARES[@]}" \
		"$BUILD/tests/guest/posix_files.elf" -- share "$big_crc" "$big_size" "${crcs[@]}" \
		"read-only text"
	want_status 0
	want_line out "^big: $big_size bytes, cksum $big_crc\$"
	want_line out '^threads-two-cores: ok$'
	want_line out '^symlink-climbs-in-guest: ok$'
	want_line out '^chown-other: ok$'
	want_line out '^setlk-share: ok$'
	want_line out '^checks: [0-9]+ passed, 0 failed$'
	report
fi

# The read-only share's big file through a page cache of 64 pages (the file has 2,560): reads,
# preads and readv, checked against the read-write share's copy, while pages come and go.
if check page-cache-evicts@toro toro; then
	run env TORO_KERNEL_OPTIONS="${TORO_KERNEL_OPTIONS:-} toro.pagecache=256K" "$TORO" run \
		--vmm toro --timeout 100 "${SHARES[@]}" "$BUILD/tests/guest/posix_files.elf" -- cache \
		"$big_crc" "$big_size"
	want_status 0
	want_line out '^small-cache-third: ok$'
	want_line out '^cache-readv: ok$'
	want_line out '^checks: [0-9]+ passed, 0 failed$'
	report
fi

# What the POSIX run wrote is on the host, where it said.
if check host-sees-writes@toro toro; then
	after posix@toro
	[ "$(cat "$tmp/data/from-guest" 2>/dev/null)" = "written by the guest" ] ||
		problem "data/from-guest is not what the guest wrote"
	[ "$(stat -c %s "$tmp/root/work/f.txt" 2>/dev/null)" = 4097 ] ||
		problem "root/work/f.txt is not 4097 bytes"
	[ -f "$tmp/root/work/renamed" ] || problem "root/work/renamed is missing"
	[ ! -e "$tmp/root/work/many" ] || problem "root/work/many was not removed"
	report
fi

# Nothing was made or changed outside the three directories.
if check nothing-outside@toro toro; then
	after posix@toro
	[ "$(cat "$tmp/outside/secret")" = "secret beside the shares" ] || problem "outside/secret changed"
	extra=$(ls -A "$tmp" | grep -Ev '^(root|ro|data|outside|out|err)$')
	[ -z "$extra" ] || problem "made outside the shares: $extra"
	[ "$(cat "$tmp/ro/a.txt")" = "read-only text" ] || problem "the read-only share changed"
	[ "$(ls -A "$tmp/ro" | tr '\n' ' ')" = "a.txt abs big.bin escape sub " ] ||
		problem "the read-only share's entries changed: $(ls -A "$tmp/ro")"
	report
fi
e2e_exit
