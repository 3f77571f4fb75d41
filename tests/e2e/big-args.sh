#!/bin/bash
# Arguments and environment of any size (tests/guest/posix_args.c): 1 MiB of arguments and a
# 64 KiB environment variable reach main exactly, through the argument module, in both monitors;
# more than a quarter of the guest's RAM is refused with one line and exit status 2.
# PARTS: qemu toro
. "$(dirname "$0")/lib.sh"
IMAGE=$BUILD/tests/guest/posix_args.elf
tmp=$E2E_TMP

# 10,000 arguments of 100 bytes and more (some with spaces, quotes, backslashes, some empty).
args=()
for ((i = 0; i < 10000; i++)); do
	# printf -v, not $(...): a fork per argument takes minutes in the nested test VM.
	case $((i % 4)) in
	0) printf -v a 'arg %05d "quoted" \\ back %086d' "$i" 0 ;;
	1) printf -v a 'plain-%05d-%088d' "$i" 0 ;;
	2) a= ;;
	3) printf -v a '%0100d' "$i" ;;
	esac
	args+=("$a")
done
printf -v big '%065536d' 0
read -r crc bytes < <(printf '%s\n' "${args[@]}" | cksum)
want="argc=$((${#args[@]} + 1)) crc=$crc bytes=$bytes big=65536"

for vmm in qemu toro; do
	if check 1mib@$vmm $vmm; then
		run "$TORO" run "$IMAGE" --vmm "$vmm" --mem 64M --timeout 120 -e "BIG=$big" -- "${args[@]}"
		want_status 0
		want_line out "^$want\$"
		report
	fi
	# 1 MiB of arguments is more than a quarter of a 2 MiB guest.
	if check too-big@$vmm $vmm; then
		run "$TORO" run "$IMAGE" --vmm "$vmm" --mem 2M --timeout 60 -- "${args[@]}"
		want_status 2
		want_line err "more than a quarter of the guest's 2 MiB of RAM"
		report
	fi
done
e2e_exit
