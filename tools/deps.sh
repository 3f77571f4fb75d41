#!/bin/sh
# Checks the Debian packages the build and the tests need. As root, installs what is missing;
# otherwise prints the apt-get line to run and fails. Called by `make` before anything else.
set -u
missing=""
need() { # package, then a file or command that proves it is installed
	case $2 in
	/*) [ -e "$2" ] || missing="$missing $1" ;;
	*) command -v "$2" >/dev/null 2>&1 || missing="$missing $1" ;;
	esac
}
need gcc gcc
need make make
need binutils ld
need libc6-dev /usr/include/x86_64-linux-gnu/sys/types.h
need linux-libc-dev /usr/include/linux/vm_sockets.h
need musl-dev /usr/lib/x86_64-linux-musl/libc.a
need qemu-system-x86 qemu-system-x86_64
# Debian's own static busybox: tests/e2e/exec.sh runs it unmodified with `toro run --exec`.
need busybox-static /bin/busybox
[ -z "$missing" ] && exit 0
line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "toro: missing Debian packages:$missing" >&2
	echo "toro: install them with: sudo $line" >&2
	exit 1
fi
echo "toro: installing missing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 && $line >&2 || { echo "toro: could not install:$missing" >&2; exit 1; }
