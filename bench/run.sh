#!/bin/bash
# `make bench`: every benchmark, one after the other. Usage: bench/run.sh BUILD_DIR
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
for b in "$HERE"/boot.sh "$HERE"/monitor.sh "$HERE"/sched.sh "$HERE"/syscalls.sh "$HERE"/channels.sh "$HERE"/fuse.sh \
	"$HERE"/vsock.sh "$HERE"/console.sh; do
	[ -f "$b" ] && bash "$b" "$@"
done
# Guest instructions per web request needs only python3 (wrk against nginx is run by hand).
bash "$HERE"/webserver.sh --icount "$@"
exit 0
