# Shared by the benchmark scripts (sourced, not run): the build directory, a scratch directory,
# the PVH floor image (an image that exits at its first instruction), a QEMU microvm launcher
# with the command line `toro run --vmm qemu` uses, and a median filter.
# Usage: BUILD=... RUNS=... come from the calling script's arguments: . "$HERE/common.sh" "$@"
BUILD=$(cd "${1:-build}" && pwd)
RUNS=${2:-21}
TMP=$(mktemp -d /tmp/toro-bench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
QEMU=${QEMU:-qemu-system-x86_64}

gcc -c -o "$TMP/floor.o" "$HERE/floor.S" && ld -T "$HERE/floor.ld" -o "$TMP/floor.elf" "$TMP/floor.o" ||
	{ echo "bench: cannot build the floor image"; exit 1; }

qemu_microvm() { # image [mem]
	"$QEMU" -M microvm,pic=off,pit=off,rtc=off,acpi=off -accel tcg -cpu max -m "${2:-128M}" \
		-nodefaults -no-user-config -no-reboot -display none -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$1" \
		-append "toro.argv0=hello --" </dev/null
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
