# What every end-to-end script shares (sourced, never run). A script is a list of checks, each
# reported on its own line for tests/run.sh: "PASS name", "SKIP name: reason", or "FAIL name: why"
# followed by detail lines that start with "    | ".
#
#   check NAME PART || continue    start a check; PART is what it needs: host (no monitor, or the
#                                  tool's own choice), qemu or toro (the built-in monitor, which
#                                  needs KVM); false when the check does not run in this place
#   run CMD...                     run it: stdout in $OUT, stderr in $ERR, status in $RC
#   ran STATUS                     a run made otherwise (its output in $OUT and $ERR) ended with
#                                  STATUS: into $RC, and seen for the nested VM's flaws (below)
#   want_status N, want_line out|err REGEX, want_count out|err REGEX N, want_same out|err FILE
#                                  record a problem unless the last run did that
#   problem TEXT                   record a problem of the script's own
#   bad_input NAME PATTERN [--usage] -- CMD...
#                                  a whole check (part host): CMD must exit with status 2 and
#                                  write one line to stderr, matching PATTERN (with --usage: that
#                                  line, then the usage)
#   report                         PASS, or FAIL with the problems and the run's output
#   after NAME                     this check looks at what check NAME's run left behind (files,
#                                  a server's state): a flaw that made NAME fail is its flaw too
#   e2e_exit                       exit status of the script: 1 if a check failed
#   pick_port N                    a host TCP port for this run's Nth server (nothing answers there)
#   port_listening PORT            true if something takes TCP connections on 127.0.0.1:PORT
#   wait_socket PATH               wait up to 5 s for a Unix socket at PATH; a problem if none comes
#
# A server or guest in the background, with clients run against it meanwhile:
#   bg_start SECONDS CMD...        run it under a timeout of SECONDS: stdout in $OUT, stderr in
#                                  $ERR, its process id in $BG
#   bg_listening [SOCKET]          wait up to 60 s for its "listening" line (and the Unix socket
#                                  SOCKET); false, with a problem, if it ends or stays silent
#   bg_wait                        wait for it to end: its status in RC
# Shares for the guest tests of tests/guest/native_files.c and posix_files.c ("share"):
#   make_shares DIR BIG PART       make root (read-write at /), ro (read-only at /ro) and data
#                                  (read-write at /mnt/data) in DIR: in root a file of BIG bytes
#                                  and four of about PART, in ro the big file again (read
#                                  through the page cache) and symbolic links that climb out;
#                                  set SHARES (their --share options), big_crc and big_size (the
#                                  big file's POSIX cksum) and crcs (the four's); false if cksum
#                                  fails
# The host's side of vsock connections, build/tests/guest/vsock-peer (tests/e2e/vsock-peer.c):
#   peer_echo ADDR FILE [SECONDS]  send FILE to ADDR (tcp:HOST:PORT or unix:PATH:PORT); a problem
#                                  unless the same bytes come back
#   peer_serve PATH, peer_served   a listener on the Unix socket PATH in the background, for a
#                                  guest to connect out to; then wait for it, a problem if it failed
#
# tests/run.sh sets TEST_PARTS (the parts this place runs), TEST_SKIP_PARTS and TEST_SKIP_REASON
# (parts no place can run this time, so their checks are reported as skipped). Inside the nested
# VM (TEST_IN_VM) a check that fails after any of its runs showed a signature of the VM's known
# flaws (tests/kvm-vm/flakes.sh) is listed in the file E2E_FLAWS ("NAME<TAB>why" lines);
# tests/run.sh then runs the script again with E2E_AGAIN naming that file, and only those checks
# run, each result saying why ("run again: ..."). Every run is looked at as it ends, not only a
# check's last: the flaw may strike the first of two. A run made without run or bg_start (a
# pipeline, a process of the script's own) says how it ended with ran STATUS, and a guest in the
# background whose status is not RC with e2e_seen_flaw STATUS.
set -u
: "${TORO:?}" "${BUILD:?}"
. "$(dirname "${BASH_SOURCE[0]}")/../kvm-vm/flakes.sh"
E2E_PARTS=" ${TEST_PARTS-host qemu toro} "
E2E_SKIP_PARTS=" ${TEST_SKIP_PARTS:-} "
E2E_TMP=$(mktemp -d /tmp/toro-e2e-XXXXXX)
OUT=$E2E_TMP/out ERR=$E2E_TMP/err RC=
PEER=$BUILD/tests/guest/vsock-peer
BG= PEER_BG=
# What a script that stopped early left running goes with it.
e2e_cleanup() {
	[ -n "$BG" ] && kill "$BG" 2>/dev/null
	[ -n "$PEER_BG" ] && kill "$PEER_BG" 2>/dev/null
	rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT
e2e_failed=0 e2e_name= e2e_problems= e2e_again= e2e_flaw=

check() {
	e2e_name=$1 e2e_problems= RC= e2e_again= e2e_flaw=
	: >"$OUT"
	: >"$ERR"
	if [ -n "${E2E_AGAIN:-}" ]; then
		e2e_again=$(awk -F'\t' -v name="$1" '$1 == name { print $2; exit }' "$E2E_AGAIN")
		[ -n "$e2e_again" ] || return 1
	fi
	case $E2E_PARTS in *" $2 "*) return 0 ;; esac
	case $E2E_SKIP_PARTS in *" $2 "*) echo "SKIP $1: ${TEST_SKIP_REASON:-$2 is not available}" ;; esac
	return 1
}

run() {
	timeout -k 5 120 "$@" </dev/null >"$OUT" 2>"$ERR"
	ran $?
}

ran() {
	RC=$1
	e2e_seen_flaw "$RC"
}

# e2e_seen_flaw STATUS: inside the nested VM, the first signature of its flaws in the output of a
# run of this check that ended with STATUS (in $OUT and $ERR) is kept in e2e_flaw for report.
e2e_seen_flaw() {
	[ -n "${TEST_IN_VM:-}" ] && [ -z "$e2e_flaw" ] || return 0
	e2e_flaw=$(vm_flake "$1" "$OUT" "$ERR") || e2e_flaw=
}

after() {
	[ -z "$e2e_flaw" ] && [ -n "${E2E_FLAWS:-}" ] && [ -s "$E2E_FLAWS" ] || return 0
	e2e_flaw=$(awk -F'\t' -v name="$1" '$1 == name { print $2; exit }' "$E2E_FLAWS")
	e2e_flaw=${e2e_flaw:+"$1 failed: $e2e_flaw"}
}

problem() {
	e2e_problems+="$*"$'\n'
}

bad_input() {
	local name=$1 pattern=$2 usage=
	shift 2
	[ "$1" = --usage ] && usage=1 && shift
	shift
	check "$name" host || return 0
	run "$@"
	want_status 2
	if [ -n "$usage" ]; then
		head -1 "$ERR" | grep -Eq -- "$pattern" || problem "the first line of stderr does not match /$pattern/"
		sed -n 2p "$ERR" | grep -q '^usage: ' && ! tail -n +2 "$ERR" | grep -qvE '^(usage: |  +)' ||
			problem "after its first line, stderr is not the usage"
	else
		want_count err . 1
		want_line err "$pattern"
	fi
	report
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
		echo "PASS $e2e_name${e2e_again:+ (run again: $e2e_again)}"
		return
	fi
	e2e_failed=$((e2e_failed + 1))
	[ -n "$e2e_flaw" ] && [ -n "${E2E_FLAWS:-}" ] &&
		printf '%s\t%s\n' "$e2e_name" "$e2e_flaw" >>"$E2E_FLAWS"
	echo "FAIL $e2e_name: ${e2e_problems%%$'\n'*}${e2e_again:+; run again: $e2e_again}"
	{
		printf '%s' "${e2e_problems#*$'\n'}"
		[ -s "$OUT" ] && { echo "stdout:"; tail -n 15 "$OUT"; }
		[ -s "$ERR" ] && { echo "stderr:"; tail -n 10 "$ERR"; }
	} | sed 's/^/    | /'
}

# From the process id, so that scripts running at once pick different ports; skipping ports
# something answers on.
pick_port() {
	local p=$((20000 + ($$ * 7 + $1) % 30000))
	while port_listening "$p"; do p=$((p + 1)); done
	echo "$p"
}

port_listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_socket() {
	local _
	for _ in $(seq 50); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	problem "no socket at $1 after 5 s"
	return 1
}

bg_start() {
	local secs=$1
	shift
	timeout -k 5 "$secs" "$@" </dev/null >"$OUT" 2>"$ERR" &
	BG=$!
}

bg_listening() {
	local _
	for _ in $(seq 600); do
		grep -q '^listening' "$OUT" && { [ -z "${1:-}" ] || [ -S "$1" ]; } && return 0
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.1
	done
	problem "it did not start listening${1:+ on $1}"
	return 1
}

bg_wait() {
	wait "$BG"
	ran $?
	BG=
}

peer_echo() {
	timeout "${3:-60}" "$PEER" send "$1" <"$2" >"$E2E_TMP/peer.back" 2>"$E2E_TMP/peer.err" ||
		problem "vsock-peer send $1: $(cat "$E2E_TMP/peer.err")"
	cmp -s "$2" "$E2E_TMP/peer.back" || problem "the echo through $1 differs from what was sent"
}

peer_serve() {
	"$PEER" serve "$1" >"$E2E_TMP/peer-serve.out" 2>&1 &
	PEER_BG=$!
	wait_socket "$1"
}

peer_served() {
	wait "$PEER_BG" || problem "the host's listener failed: $(cat "$E2E_TMP/peer-serve.out")"
	PEER_BG=
}

make_shares() {
	local dir=$1 i
	mkdir -p "$dir/root/etc" "$dir/root/mnt" "$dir/ro/sub" "$dir/data"
	head -c "$2" /dev/urandom >"$dir/root/big.bin"
	cp "$dir/root/big.bin" "$dir/ro/big.bin" # read again through the page cache
	for i in 0 1 2 3; do head -c $(($3 + i * 4099)) /dev/urandom >"$dir/root/t$i.bin"; done
	echo "read-write text" >"$dir/root/rw.txt"
	echo "share passwd" >"$dir/root/etc/passwd"
	echo "read-only text" >"$dir/ro/a.txt"
	ln -s ../../../../etc "$dir/ro/escape"
	ln -s /etc/passwd "$dir/ro/abs"
	# POSIX cksum, "CRC SIZE", read from stdin: the nested VM has no /dev/fd for <(...).
	big_crc=$(cksum <"$dir/root/big.bin" | cut -d' ' -f1)
	big_size=$(cksum <"$dir/root/big.bin" | cut -d' ' -f2)
	crcs=()
	for i in 0 1 2 3; do crcs+=("$(cksum <"$dir/root/t$i.bin" | cut -d' ' -f1)"); done
	SHARES=(--share "$dir/root:rw" --share "$dir/ro:/ro" --share "$dir/data:rw:/mnt/data")
	[ -n "$big_crc" ] && [ -n "$big_size" ]
}

e2e_exit() {
	[ "$e2e_failed" = 0 ]
	exit
}
