#!/bin/bash
# Runs every test: host unit tests (build/tests/unit/*), guest tests (the CASE lines of
# tests/guest/*.c, each booted with `toro run` under every monitor it names) and end-to-end
# scripts (tests/e2e/*.sh, each check on its own line). Two at a time; each has a timeout. The
# last line is the summary, "N passed, N failed" (", N skipped" when some were skipped).
# Usage: tests/run.sh BUILD_DIR [FILTER]  (FILTER: a substring of test names)
#
# The built-in monitor needs KVM. Which KVM its tests (the "toro" part) use is decided once and
# printed first; TEST_KVM overrides it:
#   host  the host's /dev/kvm (the default where it is a hardware KVM)
#   vm    a Linux VM with kvm_amd under QEMU TCG (tests/kvm-vm/vm.sh), booted once for all of
#         them and run in parallel with the rest (the default without /dev/kvm or with the
#         software kvm_pvm, which cannot run every guest)
#   none  not run: reported as skipped (also when the VM cannot be built, e.g. no package mirror)
# Other knobs: TEST_JOBS (parallel tests, 2), TEST_GUEST_VMMS (monitors a guest test runs under
# unless it names its own, "qemu toro"), TEST_KINDS ("unit guest e2e"), TEST_GUEST_DIR (where
# the CASE files are) and TEST_E2E_DIR (where the e2e scripts are; tests/e2e/harness.sh points
# both at fixtures).
set -u
BUILD=${1:-build}
FILTER=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
export TORO="$BUILD/toro" BUILD ROOT
JOBS=${TEST_JOBS:-2}
GUEST_DIR=${TEST_GUEST_DIR:-$ROOT/tests/guest}
E2E_DIR=${TEST_E2E_DIR:-$ROOT/tests/e2e}
KINDS=" ${TEST_KINDS:-unit guest e2e} "
GUEST_VMMS=${TEST_GUEST_VMMS:-qemu toro}
RESULTS=$(mktemp -d /tmp/toro-tests-XXXXXX)
vm_pid=
trap '[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null; rm -rf "$RESULTS"' EXIT

# --- Which KVM the built-in monitor's tests use ---------------------------------------------------
# Parts: "host" needs no KVM (unit tests, the tool, --vmm auto), "qemu" QEMU TCG, "toro" KVM.
if [ -n "${TEST_IN_VM:-}" ]; then
	# tests/run.sh itself, inside the VM: only the part sent there.
	KVM=host KVM_WHY="inside the nested VM: kvm_amd"
else
	KVM=${TEST_KVM:-}
	if [ -n "$KVM" ]; then
		KVM_WHY="TEST_KVM=$KVM"
	elif [ ! -e /dev/kvm ]; then
		KVM=vm KVM_WHY="no /dev/kvm here"
	elif [ -e /sys/module/kvm_pvm ]; then
		KVM=vm KVM_WHY="/dev/kvm here is the software kvm_pvm"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		KVM=vm KVM_WHY="/dev/kvm cannot be opened"
	else
		KVM=host KVM_WHY="hardware KVM"
	fi
	case $KVM in
	host | vm | none) ;;
	*) echo "tests/run.sh: TEST_KVM must be host, vm or none, not '$KVM'" >&2; exit 2 ;;
	esac
fi
SKIP_REASON=
if [ "$KVM" = vm ] && ! why=$("$ROOT/tests/kvm-vm/vm.sh" prepare "$BUILD/kvm-vm" 2>&1); then
	KVM=none KVM_WHY="the nested VM cannot be built: ${why#kvm-vm: }"
fi
case $KVM in
host) LOCAL_PARTS="host qemu toro" VM_PARTS= SKIP_PARTS= ;;
vm) LOCAL_PARTS="host qemu" VM_PARTS=toro SKIP_PARTS= ;;
none)
	LOCAL_PARTS="host qemu" VM_PARTS= SKIP_PARTS=toro
	SKIP_REASON="no KVM for the built-in monitor ($KVM_WHY)"
	;;
esac
[ -n "${TEST_IN_VM:-}" ] && LOCAL_PARTS=toro
echo "kvm: $KVM ($KVM_WHY)"
# Runs of this script from tests (tests/e2e/harness.sh) make the same choice.
[ -z "${TEST_IN_VM:-}" ] && export TEST_KVM=$KVM
export LOCAL_PARTS SKIP_PARTS SKIP_REASON RESULTS

# Words of list $1 that are also in list $2.
common() {
	local w out=
	for w in $1; do
		case " $2 " in *" $w "*) out+="$w " ;; esac
	done
	printf '%s' "${out% }"
}
export -f common

# --- The tests ----------------------------------------------------------------------------------
# One per line: "name<TAB>kind<TAB>part<TAB>spec". An e2e script's part is "e2e": it runs in every
# place that runs one of the parts its "# PARTS:" line names.
list_guest_tests() {
	local src base cname spec vmms vmm line
	for src in "$GUEST_DIR"/*.c; do
		base=$(basename "$src" .c)
		local cases
		cases=$(sed -n 's|^// CASE: *||p' "$src" | awk -F' [|] ' '{print $1}')
		# A "// VMMS NAME:" line must name a case.
		sed -n 's|^// VMMS \([^ :]*\):.*|\1|p' "$src" | while read -r cname; do
			printf '%s\n' "$cases" | grep -qxF -- "$cname" ||
				printf '%s\terror\thost\t%s\n' "guest/$base/VMMS-$cname" \
					"tests/guest/$base.c: a '// VMMS $cname:' line names no case"
		done
		sed -n 's|^// CASE: *||p' "$src" | while IFS= read -r spec; do
			cname=$(printf '%s' "$spec" | awk -F' [|] ' '{print $1}')
			vmms=$(sed -n 's|^// VMMS: *||p' "$src" | tail -1 | grep . || echo "$GUEST_VMMS")
			line=$(sed -n "s|^// VMMS $cname: *||p" "$src" | tail -1)
			[ -n "$line" ] && vmms=$line
			for vmm in $vmms; do
				printf '%s\tguest\t%s\t%s|%s|%s\n' "guest/$base/$cname@$vmm" "$vmm" "$base" "$vmm" "$spec"
			done
		done
	done
}

list_tests() {
	local t
	if [[ $KINDS == *" unit "* ]]; then
		for t in "$BUILD"/tests/unit/*; do
			[ -x "$t" ] && printf '%s\tunit\thost\t%s\n' "unit/$(basename "$t")" "$t"
		done
	fi
	[[ $KINDS == *" guest "* ]] && list_guest_tests
	if [[ $KINDS == *" e2e "* ]]; then
		for t in "$E2E_DIR"/*.sh; do
			# Files they source (lib.sh, gdb_session.sh) have no PARTS line.
			grep -q '^# PARTS:' "$t" || continue
			printf '%s\te2e\te2e\t%s\n' "e2e/$(basename "$t" .sh)" "$t"
		done
	fi
}

# The parts an e2e script names on its "# PARTS:" line.
script_parts() {
	sed -n 's|^# PARTS: *||p' "$1" | head -1
}
export -f script_parts

# --- Running one test ---------------------------------------------------------------------------
# Writes RESULTS/<n>.<k>.pass, .fail or .skip (one per result; an e2e script has one per check)
# and prints them.
result() { # n k outcome text...
	local file=$RESULTS/$1.$2.$3
	shift 3
	printf '%s\n' "$*" >"$file"
	cat "$file"
}

# Turns PASS/FAIL/SKIP lines (FAIL followed by "    | " details) of file $2 into results $1.<k>,
# names prefixed with $3, up to a "Failures:" line (where a run of this script repeats them).
# Prints how many it found.
collect() {
	local n=$1 file=$2 prefix=$3 k=0 line last=
	while IFS= read -r line; do
		line=${line%$'\r'}
		case $line in
		"PASS "* | "SKIP "* | "FAIL "*)
			k=$((k + 1))
			last=$RESULTS/$n.$k.$(printf '%s' "${line%% *}" | tr 'A-Z' 'a-z')
			printf '%s %s%s\n' "${line%% *}" "$prefix" "${line#* }" >"$last"
			;;
		"    | "*) [[ $last == *.fail ]] && printf '%s\n' "$line" >>"$last" ;;
		Failures:) break ;;
		esac
	done <"$file"
	echo $k
}
export -f collect

# Inside the nested VM, a guest case or e2e check that fails with a signature of one of its
# known flaws (tests/kvm-vm/flakes.sh) failed for the emulator, not for the test: it is run
# again, up to twice, and its result says so. Any other failure, or a third one, stands.
. "$ROOT/tests/kvm-vm/flakes.sh"
export -f vm_flake

run_guest() { # n name spec; sets ok and why (and note, for a rerun)
	local n=$1 name=$2 out=$RESULTS/$1.out image vmm cname opts want pats args=()
	IFS='|' read -r image vmm cname opts want pats <<<"$3"
	image="$BUILD/tests/guest/$image.elf"
	want=$(echo "$want" | tr -d ' ')
	pats=$(echo "$pats" | sed 's/^ *//; s/ *$//')
	# The options are split as a shell would (quotes, backslashes), without evaluating them.
	mapfile -d '' -t args < <(printf '%s' "$opts" | xargs -r printf '%s\0')
	local attempt rc flaw
	note=""
	for attempt in 1 2 3; do
		timeout -k 5 120 "$TORO" run "$image" --vmm "$vmm" --timeout 60 "${args[@]}" \
			</dev/null >"$out" 2>&1
		rc=$?
		[ "$rc" != "$want" ] && [ -n "${TEST_IN_VM:-}" ] && [ $attempt -lt 3 ] || break
		flaw=$(vm_flake "$rc" "$out") || break
		note="; run again: $flaw"
	done
	ok=1 why=""
	if [ "$rc" != "$want" ]; then
		ok=0 why="exit status $rc, expected $want$note"
		return
	fi
	local rest=$pats p
	while [ -n "$rest" ]; do
		p=${rest%% && *}
		if [ "$p" = "$rest" ]; then rest=""; else rest=${rest#* && }; fi
		if ! grep -Eq -- "$p" "$out"; then
			ok=0 why="output does not match /$p/"
			return
		fi
	done
}

# Runs e2e script $1 with its output in $2, the environment's further VAR=VALUE words after.
e2e_script() {
	local script=$1 out=$2 parts
	shift 2
	parts=$(script_parts "$script")
	env "$@" TEST_PARTS="$(common "$parts" "$LOCAL_PARTS")" \
		TEST_SKIP_PARTS="$(common "$parts" "$SKIP_PARTS")" TEST_SKIP_REASON="$SKIP_REASON" \
		timeout -k 5 600 bash "$script" >"$out" 2>&1
}

# The first line's test name of result file $1.
result_name() {
	head -1 "$1" | awk '{ sub(/:$/, "", $2); print $2 }'
}

run_e2e() { # n name script
	local n=$1 name=$2 script=$3 out=$RESULTS/$1.out rc again f first found attempt=1
	local flaws=$RESULTS/$1.flaws
	e2e_script "$script" "$out" E2E_FLAWS="$flaws"
	rc=$?
	found=$(collect "$n" "$out" "$name/")
	# Inside the nested VM, checks that failed with a signature of its flaws (lib.sh lists them
	# in E2E_FLAWS) are run again, only they, up to twice; each result replaces the one before.
	while [ -n "${TEST_IN_VM:-}" ] && [ -s "$flaws" ] && [ $attempt -lt 3 ]; do
		attempt=$((attempt + 1))
		e2e_script "$script" "$RESULTS/$n.rerun$attempt" E2E_AGAIN="$flaws" \
			E2E_FLAWS="$RESULTS/$n.flaws$attempt"
		again=$?
		collect "$n.again$attempt" "$RESULTS/$n.rerun$attempt" "$name/" >/dev/null
		for f in "$RESULTS/$n".again$attempt.*.*; do
			[ -e "$f" ] || continue
			for first in "$RESULTS/$n".[0-9]*.fail "$RESULTS/$n".again[0-9]*.fail; do
				case $first in "$RESULTS/$n.again$attempt."*) continue ;; esac
				[ -e "$first" ] && [ "$(result_name "$first")" = "$(result_name "$f")" ] && rm "$first"
			done
		done
		[ "$rc" = 1 ] && rc=$again # 1: a check failed; any other status is the script's own
		flaws=$RESULTS/$n.flaws$attempt
	done
	[ "$found" = 0 ] || printf '%s\n' "$RESULTS/$n".*.* | sort -V | xargs cat
	if [ "$rc" != 0 ] && ! ls "$RESULTS/$n".*.fail >/dev/null 2>&1; then
		{
			echo "FAIL $name: exit status $rc"
			tail -n 25 "$out" | sed 's/^/    | /'
		} >"$RESULTS/$n.0.fail"
		cat "$RESULTS/$n.0.fail"
	elif [ "$found" = 0 ] && [ -n "$(common "$(script_parts "$script")" "$LOCAL_PARTS")" ]; then
		result "$n" 0 fail "FAIL $name: reported no check"
	fi
}

run_one() {
	local n=$1 name=$2 kind=$3 spec=$4 start secs ok why rc note=
	start=$(date +%s.%N)
	case $kind in
	unit)
		timeout -k 5 120 "$spec" >"$RESULTS/$n.out" 2>&1
		rc=$?
		ok=1 why=""
		[ $rc = 0 ] || ok=0 why="exit status $rc"
		;;
	guest) run_guest "$n" "$name" "$spec" ;;
	e2e)
		run_e2e "$n" "$name" "$spec"
		return
		;;
	error)
		result "$n" 0 fail "FAIL $name: $spec"
		return
		;;
	esac
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
	if [ $ok = 1 ]; then
		result "$n" 0 pass "$(printf 'PASS %s (%.1fs%s)' "$name" "$secs" "${note:-}")"
	else
		result "$n" 0 fail "$(printf 'FAIL %s: %s\n' "$name" "$why"; tail -n 25 "$RESULTS/$n.out" | sed 's/^/    | /')"
	fi
}
export -f result run_guest e2e_script result_name run_e2e run_one

# --- The nested VM ------------------------------------------------------------------------------
# Runs this script inside it for the tests sent there, after the local ones are started. Its
# console (the kernel's messages) is kept after the run for a look at what went wrong.
# (A run on test fixtures, tests/e2e/harness.sh's, keeps its own.)
VM_LOG=$BUILD/kvm-vm/console${TEST_GUEST_DIR:+-fixtures}.log
# start_vm [DONE]: DONE names the tests an earlier boot reported (guest cases, and e2e scripts
# as "e2e/NAME"), which this one leaves out (TEST_VM_DONE).
start_vm() {
	local args=(env TEST_IN_VM=1 TEST_JOBS=2 TEST_KINDS="${TEST_KINDS:-unit guest e2e}"
		tests/run.sh build "$FILTER")
	[ -n "${1:-}" ] && args=(env TEST_VM_DONE="$1" "${args[@]}")
	[ -n "${TEST_GUEST_DIR:-}" ] && args=(env TEST_GUEST_DIR="/toro/${GUEST_DIR#"$ROOT"/}" "${args[@]}")
	[ -n "${TEST_E2E_DIR:-}" ] && args=(env TEST_E2E_DIR="/toro/${E2E_DIR#"$ROOT"/}" "${args[@]}")
	date +%s >"$RESULTS/vm.start"
	"$ROOT/tests/kvm-vm/vm.sh" run "$BUILD/kvm-vm" "$RESULTS/vm.out" "$VM_LOG" -- \
		"${args[@]}" >"$RESULTS/vm.err" 2>&1 &
	vm_pid=$!
}

vm_finished() {
	tr -d '\r' <"$RESULTS/vm.out" | grep -qE '^[0-9]+ passed, [0-9]+ failed'
}

# The names of the tests that VM output file $1 reports: guest cases by their own, e2e checks by
# their script's ("e2e/NAME"; a script's results come out together, once it has ended).
vm_reported() {
	tr -d '\r' <"$1" | sed -n 's/^\(PASS\|FAIL\|SKIP\) \([^ :]*\).*/\2/p' |
		sed 's|^\(e2e/[^/]*\)/.*|\1|' | sort -u | tr '\n' ' '
}

# Collects the VM's results; a test sent there that it did not report fails. A VM that died
# before the end (its kernel crashed, as the emulated SVM has made it do now and then) is booted
# again, saying so, for the tests it had not reported, up to six times; each boot's output is
# kept (vm.out.1, vm.out.2...) and its results count.
finish_vm() {
	local rc name found=0 secs boot=1 done= f
	wait "$vm_pid"
	rc=$?
	vm_pid=
	while ! vm_finished && [ $boot -lt 7 ]; do
		local why
		why=$(grep -m1 -E 'BUG|Oops|panic|WARNING' "$VM_LOG" | sed 's/^\[[ 0-9.]*\] //')
		cp "$VM_LOG" "$VM_LOG.$boot"
		mv "$RESULTS/vm.out" "$RESULTS/vm.out.$boot"
		done+=$(vm_reported "$RESULTS/vm.out.$boot")
		echo "kvm: the nested VM died (exit status $rc${why:+: $why}); booting it again for" \
			"what it had not reported (its console is in $VM_LOG.$boot)"
		start_vm "$done"
		wait "$vm_pid"
		rc=$?
		vm_pid=
		boot=$((boot + 1))
	done
	secs=$(($(date +%s) - $(cat "$RESULTS/vm.start")))
	for f in "$RESULTS"/vm.out.[0-9] "$RESULTS/vm.out"; do
		[ -e "$f" ] || continue
		found=$((found + $(collect "vm${f##*vm.out}" "$f" "")))
	done
	echo "kvm: the nested VM reported $found results (the last boot in ${secs}s, exit status $rc)"
	find "$RESULTS" -name 'vm.*.*' ! -name 'vm.out.*' | sort -V | xargs -r cat
	while IFS= read -r name; do
		cat "$RESULTS"/vm.out* | tr -d '\r' | grep -qF -e "PASS $name (" -e "FAIL $name: " -e "SKIP $name: " ||
			result vm.missing "$((++found))" fail "FAIL $name: not reported by the nested VM"
	done <"$RESULTS/vm.list"
	if ! vm_finished; then
		{
			echo "FAIL kvm-vm: the nested VM did not finish the tests (exit status $rc; console in $VM_LOG)"
			{ cat "$RESULTS/vm.err"; tail -n 15 "$VM_LOG"; tail -n 10 "$RESULTS/vm.out"; } |
				sed 's/^/    | /'
		} >"$RESULTS/vm.0.fail"
		cat "$RESULTS/vm.0.fail"
	fi
}

list_tests | { if [ -n "$FILTER" ]; then grep -F -- "$FILTER"; else cat; fi; } |
	nl -w1 -s$'\t' >"$RESULTS/list"
# Where each test runs: here (local.list), in the VM (vm.list: the guest tests it must report;
# e2e scripts there report their checks by name), or nowhere (skipped now).
: >"$RESULTS/local.list"
: >"$RESULTS/vm.list"
to_vm=
while IFS=$'\t' read -r n name kind part spec; do
	# Inside a VM booted again after one that died: what that one reported is not run again.
	case " ${TEST_VM_DONE:-} " in *" $name "*) continue ;; esac
	if [ "$kind" = e2e ]; then
		parts=$(script_parts "$spec")
		[ -n "$(common "$parts" "$LOCAL_PARTS $SKIP_PARTS")" ] &&
			printf '%s\t%s\t%s\t%s\n' "$n" "$name" "$kind" "$spec" >>"$RESULTS/local.list"
		[ -n "$(common "$parts" "$VM_PARTS")" ] && to_vm=1
	elif [ -n "$(common "$part" "$LOCAL_PARTS")" ]; then
		printf '%s\t%s\t%s\t%s\n' "$n" "$name" "$kind" "$spec" >>"$RESULTS/local.list"
	elif [ -n "$(common "$part" "$VM_PARTS")" ]; then
		printf '%s\n' "$name" >>"$RESULTS/vm.list"
		to_vm=1
	elif [ -n "$(common "$part" "$SKIP_PARTS")" ]; then
		result "$n" 0 skip "SKIP $name: $SKIP_REASON"
	fi
done <"$RESULTS/list"
# An e2e script with a "# PREPARE: yes" line makes what its checks need (sources fetched, images
# built) with "SCRIPT prepare", here and before the nested VM is made, so that the VM has it too.
# Its own checks report what went wrong; the prepare's output is kept in RESULTS.
if [ -z "${TEST_IN_VM:-}" ]; then
	while IFS=$'\t' read -r n name kind spec; do
		[ "$kind" = e2e ] && grep -q '^# PREPARE: yes$' "$spec" || continue
		start=$(date +%s)
		timeout -k 5 900 bash "$spec" prepare >"$RESULTS/prepare.$n.log" 2>&1
		echo "prepare: $name in $(($(date +%s) - start))s: $(tail -n 1 "$RESULTS/prepare.$n.log")"
	done <"$RESULTS/local.list"
fi
[ -n "$to_vm" ] && start_vm

# run_list LIST JOBS: the tests of LIST, JOBS at a time.
run_list() {
	while IFS=$'\t' read -r n name kind spec; do
		printf '%s\0%s\0%s\0%s\0' "$n" "$name" "$kind" "$spec"
	done <"$1" | xargs -0 -r -n 4 -P "$2" bash -c 'run_one "$@"' _
}
# Inside the nested VM, an e2e script with an "# ALONE: yes" line runs after the others, by
# itself: its guests load the emulated SVM so (the gdb scripts' stopped guests spin on every
# core) that other guests running beside them hit its flaws far more often
# (docs/testing.md).
: >"$RESULTS/alone.list"
: >"$RESULTS/shared.list"
if [ -n "${TEST_IN_VM:-}" ]; then
	while IFS=$'\t' read -r n name kind spec; do
		if [ "$kind" = e2e ] && grep -q '^# ALONE: yes$' "$spec"; then
			list=alone
		else
			list=shared
		fi
		printf '%s\t%s\t%s\t%s\n' "$n" "$name" "$kind" "$spec" >>"$RESULTS/$list.list"
	done <"$RESULTS/local.list"
	run_list "$RESULTS/shared.list" "$JOBS"
else
	run_list "$RESULTS/local.list" "$JOBS"
fi
run_list "$RESULTS/alone.list" 1

[ -n "$vm_pid" ] && finish_vm

passed=$(find "$RESULTS" -name '*.pass' | wc -l)
failed=$(find "$RESULTS" -name '*.fail' | wc -l)
skipped=$(find "$RESULTS" -name '*.skip' | wc -l)
if [ "$failed" -gt 0 ]; then
	echo
	echo "Failures:"
	cat "$RESULTS"/*.fail | grep '^FAIL'
fi
printf '%s passed, %s failed%s\n' "$passed" "$failed" "$([ "$skipped" -gt 0 ] && echo ", $skipped skipped")"
[ "$failed" = 0 ]
