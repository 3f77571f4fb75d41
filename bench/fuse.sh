#!/bin/bash
# The FUSE server's own throughput on the host (bench/fuse_bench.c): a 64 MiB file read with
# 128 KiB READs and 10,000 files looked up, stat'ed and forgotten, beside pread and fstatat of
# the same files in the same run; the page cache is warm for both. Usage: bench/fuse.sh BUILD_DIR
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/toro-fuse-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$ROOT" || exit 1
gcc -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude -Ivmm -Icommon -o "$dir/fuse_bench" bench/fuse_bench.c \
	vmm/backend/fuse.c vmm/backend/fuse_nodes.c vmm/backend/fuse_ops.c common/error.c ||
	{ echo "bench: cannot build fuse_bench"; exit 1; }
mkdir -p "$dir/share/many"
head -c $((64 << 20)) /dev/urandom >"$dir/share/big"
(cd "$dir/share/many" && seq -f 'f%05g' 0 9999 | xargs touch)
cat "$dir/share/big" >/dev/null
echo "== FUSE server on the host (vmm/backend/fuse.c), warm page cache"
"$dir/fuse_bench" "$dir/share"
