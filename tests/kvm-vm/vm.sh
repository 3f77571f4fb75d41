#!/bin/bash
# A real KVM on any machine: Debian's cloud kernel with kvm_amd, booted under QEMU TCG (which
# emulates AMD SVM with nested paging), runs a command of the test suite with /dev/kvm inside.
# tests/run.sh uses it for the built-in monitor's tests where the host has no hardware KVM.
#
#   vm.sh prepare CACHE          fetch the kernel and busybox into CACHE (once per kernel version),
#                                and gdb (once)
#   vm.sh run CACHE OUT LOG -- COMMAND...
#                                boot, run COMMAND in /toro (this repository, with build/ holding
#                                the tool and the images), its stdout and stderr to OUT, the
#                                VM's console to LOG; exits with COMMAND's status
#
# Everything comes from Debian packages (apt-get download; no network beyond the package mirror):
# the kernel from the one linux-image-cloud-amd64 depends on, its kvm modules, and busybox-static
# for the init, and gdb-minimal's gdb (the full gdb needs Python's library at start) for
# tests/e2e/gdb.sh. The initramfs also carries the host's bash and the GNU tools the test scripts
# use, with their shared libraries, so the scripts behave inside as they do outside. Environment:
# TEST_VM_TIMEOUT (seconds for the whole VM, default 1200), TEST_VM_MEM (default 3G),
# TEST_VM_SILENCE (seconds without output before the VM counts as stuck, default 150),
# TEST_VM_MONITOR (a Unix socket path for QEMU's monitor, to look into a VM that hangs).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
KERNEL_META=linux-image-cloud-amd64
# kvm-amd and what it needs (read from each module's .modinfo), loaded in this order.
MODULE=kvm-amd
# What the test scripts run, copied from the host with their libraries.
TOOLS="bash awk basename cat chmod cksum cmp cp cut date dirname env find grep head ln ls mkdir mktemp mv \
nl printf rm sed seq sha256sum sleep sort stat tail tee timeout touch tr uname wc xargs"

die() {
	echo "kvm-vm: $*" >&2
	exit 1
}

# The kernel version linux-image-cloud-amd64 depends on, e.g. 6.1.0-57. Updates the package
# lists once if they do not know it (a fresh machine).
kernel_version() {
	local v
	v=$(apt-cache depends "$KERNEL_META" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\(.*\)-cloud-amd64$/\1/p' | head -1)
	if [ -z "$v" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -q >/dev/null 2>&1
		v=$(apt-cache depends "$KERNEL_META" 2>/dev/null |
			sed -n 's/^ *Depends: linux-image-\(.*\)-cloud-amd64$/\1/p' | head -1)
	fi
	printf '%s' "$v"
}

# The dependencies of module file $1, from its .modinfo section.
module_depends() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}

# Writes the load order of module $1 (dependencies first) under module tree $2 to stdout.
module_order() {
	local name=$1 tree=$2 file dep
	file=$(find "$tree" -name "$name.ko" -o -name "${name//_/-}.ko" | head -1)
	[ -n "$file" ] || return 1
	for dep in $(module_depends "$file"); do
		module_order "$dep" "$tree" || return 1
	done
	echo "$file"
}

# gdb for the gdb tests, from gdb-minimal: best effort, once (without it those checks say so).
prepare_gdb() {
	local cache=$1 tmp
	[ -x "$cache/gdb" ] && return 0
	tmp=$(mktemp -d /tmp/toro-kvm-vm-XXXXXX)
	(cd "$tmp" && apt-get download -q gdb-minimal >/dev/null 2>&1) &&
		dpkg-deb -x "$tmp"/gdb-minimal_*.deb "$tmp/gdb" && cp "$tmp/gdb/usr/bin/gdb" "$cache/gdb" ||
		echo "kvm-vm: no gdb-minimal package: the nested VM has no gdb" >&2
	rm -rf "$tmp"
}

prepare() {
	local cache=$1 version tmp
	mkdir -p "$cache" || die "cannot create $cache"
	version=$(kernel_version) # updates the package lists where they are empty
	prepare_gdb "$cache"
	if [ -z "$version" ]; then
		# Offline: a kernel fetched earlier still serves.
		[ -s "$cache/version" ] && return 0
		die "cannot find the $KERNEL_META package (no package lists or no mirror)"
	fi
	[ "$(cat "$cache/version" 2>/dev/null)" = "$version" ] && return 0
	tmp=$(mktemp -d /tmp/toro-kvm-vm-XXXXXX)
	trap 'rm -rf "$tmp"' RETURN
	(cd "$tmp" && apt-get download -q "linux-image-$version-cloud-amd64-unsigned" busybox-static \
		>download.log 2>&1) || die "apt-get download failed: $(grep -m1 '^E:' "$tmp/download.log")"
	dpkg-deb -x "$tmp"/linux-image-*.deb "$tmp/kernel" && dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/busybox" ||
		die "cannot unpack the downloaded packages"
	rm -rf "$cache/modules" && mkdir -p "$cache/modules"
	local order
	order=$(module_order "$MODULE" "$tmp/kernel/lib/modules") || die "no $MODULE module in the kernel package"
	: >"$cache/modules/order"
	for file in $order; do
		cp "$file" "$cache/modules/" && basename "$file" >>"$cache/modules/order"
	done
	cp "$tmp"/kernel/boot/vmlinuz-* "$cache/vmlinuz" && cp "$tmp/busybox/bin/busybox" "$cache/busybox" ||
		die "the packages lack vmlinuz or busybox"
	echo "$version" >"$cache/version"
}

# Copies the shared libraries host program $1 loads into root $2, at the same paths.
copy_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		[ -e "$2$lib" ] && continue
		mkdir -p "$2$(dirname "$lib")" && cp -L "$lib" "$2$lib" || return 1
	done
}

# The initramfs: busybox and the init (also what tests/e2e/exec.sh runs with --exec), the kvm
# modules, the host's tools, the repository's tests and the built tool and images under /toro.
make_initramfs() {
	local cache=$1 root=$2 command=$3 tool path
	mkdir -p "$root"/{bin,usr/bin,proc,sys,dev,tmp,lib/modules,toro/build/tests} || return 1
	cp "$cache/busybox" "$root/bin/busybox" && cp "$cache"/modules/*.ko "$cache/modules/order" "$root/lib/modules/" || return 1
	for tool in $TOOLS; do
		path=$(type -P "$tool") || { echo "kvm-vm: $tool not found on the host" >&2; return 1; }
		cp -L "$path" "$root/usr/bin/$tool" && copy_libs "$path" "$root" || return 1
	done
	if [ -x "$cache/gdb" ]; then
		cp "$cache/gdb" "$root/usr/bin/gdb" && copy_libs "$cache/gdb" "$root" || return 1
	fi
	ln -s /usr/bin/bash "$root/bin/bash" && ln -s /usr/bin/bash "$root/bin/sh" || return 1
	cp -r "$ROOT/tests" "$root/toro/tests" || return 1
	cp "$BUILD/toro" "$BUILD/toro-exec.elf" "$root/toro/build/" && cp -r "$BUILD/examples" "$root/toro/build/" &&
		cp -r "$BUILD/tests/guest" "$root/toro/build/tests/" || return 1
	printf '%s\n' "$command" >"$root/toro/vm-command"
	cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# The VM's init: mount, bring up lo, load kvm_amd, run the command with its output on the second serial port.
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
$B mount -t tmpfs tmp /tmp
$B ln -s /proc/self/fd /dev/fd
# The loopback interface: tests reach the monitor's --forward listeners on 127.0.0.1.
$B ifconfig lo 127.0.0.1 up || echo "kvm-vm: ifconfig lo failed" >/dev/ttyS1
$B stty -F /dev/ttyS1 raw -echo
for m in $($B cat /lib/modules/order); do
	$B insmod /lib/modules/$m || echo "kvm-vm: insmod $m failed" >/dev/ttyS1
done
# Guests use the memory-mapped xAPIC here: with x2APIC, a wake-up IPI is now and then never
# delivered to a halted vCPU under this stack (kvm_amd inside QEMU 7.2's TCG SVM): in 12 runs of
# native_threads "many" on 2 cores, 5 hung with both cores idle under x2APIC, none under xAPIC.
export TORO_KERNEL_OPTIONS=toro.xapic
# A heartbeat while the tests run, so that the host's watchdog tells a stuck VM (whose kernel
# cannot run this loop either) from a slow test, which prints nothing until it ends.
( while $B sleep 30; do echo "@@kvm-vm alive" >/dev/ttyS1; done ) &
if [ -c /dev/kvm ]; then
	cd /toro && PATH=/usr/bin:/bin HOME=/tmp TMPDIR=/tmp /usr/bin/bash /toro/vm-command >/dev/ttyS1 2>&1
	echo "@@kvm-vm exit $?" >/dev/ttyS1
else
	echo "kvm-vm: no /dev/kvm after loading kvm_amd (svm in the CPU flags: $($B grep -c -w svm /proc/cpuinfo))" >/dev/ttyS1
	echo "@@kvm-vm exit 1" >/dev/ttyS1
fi
$B poweroff -f
INIT
	chmod +x "$root/init"
	(cd "$root" && find . | "$cache/busybox" cpio -o -H newc 2>/dev/null) >"$root.cpio"
}

run() {
	local cache out log tmp status
	cache=$(realpath -m "$1") out=$(realpath -m "$2") log=$(realpath -m "$3")
	shift 4
	[ -s "$cache/version" ] || die "not prepared: run 'vm.sh prepare $cache' first"
	tmp=$(mktemp -d /tmp/toro-kvm-vm-XXXXXX)
	trap 'rm -rf "$tmp"' RETURN
	make_initramfs "$cache" "$tmp/root" "$(printf '%q ' "$@")" || die "cannot build the initramfs"
	: >"$out"
	# The CPU is pinned to an AMD model with SVM and nested paging whatever the host's vendor.
	timeout -k 5 "${TEST_VM_TIMEOUT:-1200}" qemu-system-x86_64 -M q35 -accel tcg \
		-cpu max,vendor=AuthenticAMD,+svm,+npt -smp 2 -m "${TEST_VM_MEM:-3G}" \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$cache/vmlinuz" -initrd "$tmp/root.cpio" \
		-append "console=ttyS0 quiet panic=-1" \
		-serial "file:$log" -serial "file:$out" ${TEST_VM_MONITOR:+-monitor "unix:$TEST_VM_MONITOR,server,nowait"} \
		</dev/null >>"$log" 2>&1 &
	local qemu=$! waited=0 size=0 silent=0 now
	# The command's status line is the end of the run: a VM that has not powered off 20 s after
	# it (its kernel stuck on the way down) is stopped. So is one that has printed nothing, not
	# even the heartbeat its init writes every 30 s, for TEST_VM_SILENCE seconds (default 150,
	# five heartbeats): the emulated SVM has been seen to keep both vCPUs in a nested guest for
	# good.
	while kill -0 "$qemu" 2>/dev/null; do
		if grep -q '^@@kvm-vm exit' "$out" 2>/dev/null && [ $((waited += 1)) -gt 20 ]; then
			echo "kvm-vm: the VM did not power off after the command ended; stopped" >>"$log"
			kill "$qemu"
			break
		fi
		now=$(stat -c %s "$out" 2>/dev/null || echo 0)
		if [ "$now" != "$size" ]; then
			size=$now silent=0
		elif [ $((silent += 1)) -gt "${TEST_VM_SILENCE:-150}" ]; then
			echo "kvm-vm: the command printed nothing for ${TEST_VM_SILENCE:-150} s: the VM is stuck; stopped" >>"$log"
			kill "$qemu"
			break
		fi
		sleep 1
	done
	wait "$qemu"
	status=$?
	[ $status = 124 ] && echo "kvm-vm: the VM ran past ${TEST_VM_TIMEOUT:-1200} s; stopped" >>"$log"
	status=$(tr -d '\r' <"$out" | sed -n 's/^@@kvm-vm exit \([0-9]*\)$/\1/p' | tail -1)
	[ -n "$status" ] || die "the VM ended without the command's status (console: $log)"
	return "$status"
}

BUILD=${BUILD:-$ROOT/build}
case ${1:-} in
prepare) [ $# = 2 ] || die "usage: vm.sh prepare CACHE"; prepare "$2" ;;
run) [ $# -ge 6 ] && [ "$5" = -- ] || die "usage: vm.sh run CACHE OUT LOG -- COMMAND..."; run "${@:2}" ;;
*) die "usage: vm.sh prepare CACHE | run CACHE OUT LOG -- COMMAND..." ;;
esac
