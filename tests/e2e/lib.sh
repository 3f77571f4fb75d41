# What every end-to-end script shares (sourced, never run). A script is a list of checks, each
# reported on its own line for tests/run.sh: "PASS name", "SKIP name: reason", or "FAIL name: why"
# followed by detail lines that start with "    | ".
#
#   check NAME PART || continue    start a check; PART is what it needs: host (no monitor, or the
#                                  tool's own choice), qemu or toro (the built-in monitor, which
#                                  needs KVM); false when the check does not run in this place
#   run CMD...                     run it: stdout in $OUT, stderr in $ERR, status in $RC
#   want_status N, want_line out|err REGEX, want_count out|err REGEX N, want_same out|err FILE
#                                  record a problem unless the last run did that
#   problem TEXT                   record a problem of the script's own
#   report                         PASS, or FAIL with the problems and the run's output
#   e2e_exit                       exit status of the script: 1 if a check failed
#
# tests/run.sh sets TEST_PARTS (the parts this place runs), TEST_SKIP_PARTS and TEST_SKIP_REASON
# (parts no place can run this time, so their checks are reported as skipped).
set -u
: "${TORO:?}" "${BUILD:?}"
E2E_PARTS=" ${TEST_PARTS-host qemu toro} "
E2E_SKIP_PARTS=" ${TEST_SKIP_PARTS:-} "
E2E_TMP=$(mktemp -d /tmp/toro-e2e-XXXXXX)
trap 'rm -rf "$E2E_TMP"' EXIT
OUT=$E2E_TMP/out ERR=$E2E_TMP/err RC=
e2e_failed=0 e2e_name= e2e_problems=

check() {
	e2e_name=$1 e2e_problems= RC=
	: >"$OUT"
	: >"$ERR"
	case $E2E_PARTS in *" $2 "*) return 0 ;; esac
	case $E2E_SKIP_PARTS in *" $2 "*) echo "SKIP $1: ${TEST_SKIP_REASON:-$2 is not available}" ;; esac
	return 1
}

run() {
	timeout -k 5 120 "$@" </dev/null >"$OUT" 2>"$ERR"
	RC=$?
}

problem() {
	e2e_problems+="$*"$'\n'
}

# The file behind "out" or "err".
e2e_stream() {
	case $1 in out) echo "$OUT" ;; err) echo "$ERR" ;; *) echo "lib.sh: no stream '$1'" >&2; exit 2 ;; esac
}

want_status() {
	[ "$RC" = "$1" ] || problem "exit status $RC, want $1"
}

want_line() {
	grep -Eq -- "$2" "$(e2e_stream "$1")" || problem "no line of std$1 matches /$2/"
}

want_count() {
	local n
	n=$(grep -Ec -- "$2" "$(e2e_stream "$1")")
	[ "$n" = "$3" ] || problem "$n lines of std$1 match /$2/, want $3"
}

want_same() {
	cmp -s "$2" "$(e2e_stream "$1")" ||
		problem "std$1 differs from $(basename "$2"): $(cmp "$2" "$(e2e_stream "$1")" 2>&1 | head -1)"
}

report() {
	if [ -z "$e2e_problems" ]; then
		echo "PASS $e2e_name"
		return
	fi
	e2e_failed=$((e2e_failed + 1))
	echo "FAIL $e2e_name: ${e2e_problems%%$'\n'*}"
	{
		printf '%s' "${e2e_problems#*$'\n'}"
		[ -s "$OUT" ] && { echo "stdout:"; tail -n 15 "$OUT"; }
		[ -s "$ERR" ] && { echo "stderr:"; tail -n 10 "$ERR"; }
	} | sed 's/^/    | /'
}

e2e_exit() {
	[ "$e2e_failed" = 0 ]
	exit
}
