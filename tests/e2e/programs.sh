#!/bin/bash
# Real programs nobody here wrote, unchanged: Lua 5.4, zlib and SQLite from Debian's source
# packages, built by their own Makefiles (or, for SQLite, from the amalgamation its Makefile
# makes) with CC="toro cc", and a pthreads workload (tests/e2e/programs/threads.c). Each runs in
# each monitor and must print exactly what the same sources built natively print on this host:
# Lua's script (tests/e2e/programs/trial.lua: strings, tables, coroutines, math, files on a
# share, time, pcall); zlib's minigzip compressing a file on a share to the host's bytes and
# back, and from stdin to stdout, and zlib's example; SQLite's shell creating a database on a
# read-write share, 10,000 rows in one transaction, aggregates, and the file read again by the
# guest and by the host's sqlite3; the threads (mutex, condition variables, barrier,
# thread-local storage and keys, 16 threads) on two cores.
#
# "programs.sh prepare" fetches the sources (`apt-get source` with a private deb-src list) into
# build/programs/ and builds both sides there, once; each later prepare only relinks the images,
# against the current kernel. The images, inputs and expected outputs go to
# build/tests/guest/programs/, which the nested VM is given. tests/run.sh runs the prepare
# before it starts the nested VM (the "# PREPARE" line); where Debian's archive cannot be reached
# every check is skipped, saying so.
# PARTS: host qemu toro
# PREPARE: yes
set -u
: "${TORO:?}" "${BUILD:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$BUILD/programs          # sources and both builds, kept between runs, never committed
P=$BUILD/tests/guest/programs  # what the checks need: images, inputs, expected outputs
STATUS=$P/status               # "ok", "skip: REASON" or "fail: REASON" from the last prepare
THREADS_ARGS=(16 1000)

# --- Prepare ------------------------------------------------------------------------------------

say() { echo "programs: $*" >&2; }
prepare_end() { # status line
	mkdir -p "$P" && printf '%s\n' "$1" >"$STATUS"
	say "$1"
	exit 0
}

# The three source packages, into $CACHE/src once.
fetch_sources() {
	local src=$CACHE/src apt=$CACHE/apt suite
	if ls "$src"/lua5.4_*.orig.tar.* "$src"/zlib_*.orig.tar.* "$src"/sqlite3_*.orig.tar.* \
		>/dev/null 2>&1; then
		return 0
	fi
	command -v apt-get >/dev/null || prepare_end "skip: no apt-get here to fetch Debian's sources"
	suite=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
	[ -n "$suite" ] || suite=bookworm
	mkdir -p "$apt/lists/partial" "$apt/cache" "$src" || prepare_end "fail: cannot create $CACHE"
	cat >"$apt/src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	local opt=(-o "Dir::Etc::SourceList=$apt/src.sources" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
	say "fetching the sources of lua5.4, zlib and sqlite3 from Debian ($suite)"
	timeout 300 apt-get -q "${opt[@]}" update >"$CACHE/apt.log" 2>&1 &&
		(cd "$src" && timeout 300 apt-get -q "${opt[@]}" source --download-only lua5.4 zlib sqlite3) \
			>>"$CACHE/apt.log" 2>&1 ||
		prepare_end "skip: Debian's source archive cannot be reached (apt-get source lua5.4 zlib sqlite3: $(grep -E '^(E|W):' "$CACHE/apt.log" | head -1))"
}

# Unpacks the package's orig tarball as $CACHE/SIDE/NAME for each side, once.
unpack() { # package name
	local tarball side
	tarball=$(ls "$CACHE/src/$1"_*.orig.tar.* 2>/dev/null | grep -v -- '-www' | head -1)
	[ -n "$tarball" ] || prepare_end "fail: no $1 source tarball in $CACHE/src"
	for side in toro host; do
		[ -d "$CACHE/$side/$2" ] && continue
		mkdir -p "$CACHE/$side/tmp" && tar -xf "$tarball" -C "$CACHE/$side/tmp" &&
			mv "$CACHE/$side/tmp"/* "$CACHE/$side/$2" && rmdir "$CACHE/$side/tmp" ||
			prepare_end "fail: cannot unpack $tarball"
	done
}

# Runs a build step with its output in $CACHE/build.log; a failure ends the prepare with it.
step() { # what command...
	local what=$1
	shift
	"$@" >>"$CACHE/build.log" 2>&1 ||
		prepare_end "fail: $what failed (last lines of $CACHE/build.log: $(tail -n 3 "$CACHE/build.log" | tr '\n' ' '))"
}

# The programs' own Makefiles decide what to recompile; the images are removed first so that they
# are linked again with the current kernel.
build_lua() {
	rm -f "$CACHE/toro/lua/src/lua"
	step "lua (toro cc)" make -C "$CACHE/toro/lua/src" posix CC="$TORO cc"
	step "lua (host)" make -C "$CACHE/host/lua/src" posix
	cp "$CACHE/toro/lua/src/lua" "$P/lua.elf"
}

build_zlib() {
	local side cc
	for side in toro host; do
		cc=gcc
		[ $side = toro ] && cc="$TORO cc"
		if [ ! -f "$CACHE/$side/zlib/configure.log.done" ]; then
			step "zlib configure ($side)" sh -c "cd '$CACHE/$side/zlib' && CC='$cc' ./configure --static"
			touch "$CACHE/$side/zlib/configure.log.done"
		fi
		[ $side = toro ] && rm -f "$CACHE/toro/zlib/minigzip" "$CACHE/toro/zlib/example"
		step "zlib ($side)" make -C "$CACHE/$side/zlib" minigzip example
	done
	cp "$CACHE/toro/zlib/minigzip" "$P/minigzip.elf" && cp "$CACHE/toro/zlib/example" "$P/example.elf"
}

# The amalgamation (sqlite3.c, shell.c) is made once by SQLite's configure and Makefile on the
# host (they need tclsh); then the shell is built from it by both compilers.
build_sqlite() {
	local h=$CACHE/host/sqlite/bld t=$CACHE/toro/sqlite
	if [ ! -f "$h/shell.c" ]; then
		command -v tclsh >/dev/null || prepare_end "skip: SQLite's amalgamation needs tclsh (Debian: tcl)"
		mkdir -p "$h"
		step "sqlite configure" sh -c "cd '$h' && ../configure --disable-tcl"
		step "sqlite amalgamation" make -C "$h" sqlite3.c shell.c
	fi
	[ -x "$h/sqlite3-native" ] ||
		step "sqlite (host)" gcc -O1 -o "$h/sqlite3-native" "$h/shell.c" "$h/sqlite3.c" -lpthread -lm -ldl
	for f in shell sqlite3; do
		[ -f "$t/$f.o" ] || step "sqlite $f.c (toro cc)" "$TORO" cc -O2 -c -I"$h" -o "$t/$f.o" "$h/$f.c"
	done
	step "sqlite link (toro cc)" "$TORO" cc -o "$P/sqlite3.elf" "$t/shell.o" "$t/sqlite3.o" -lpthread -lm
}

build_threads() {
	step "threads (toro cc)" "$TORO" cc -O2 -pthread -o "$P/threads.elf" "$HERE/programs/threads.c"
	step "threads (host)" gcc -O2 -pthread -o "$CACHE/host/threads" "$HERE/programs/threads.c"
}

# The inputs and what the native builds make of them.
expected_outputs() {
	local d=$CACHE/host/run
	rm -rf "$d" && mkdir -p "$d" || prepare_end "fail: cannot create $d"
	step "lua (host run)" sh -c "'$CACHE/host/lua/src/lua' '$HERE/programs/trial.lua' '$d' >'$P/lua.expected'"

	{ cat "$HERE/programs/trial.lua" "$HERE/programs/threads.c"; seq 1 60000; } >"$P/zlib.input"
	cp "$P/zlib.input" "$d/data"
	step "minigzip (host run)" "$CACHE/host/zlib/minigzip" "$d/data"
	mv "$d/data.gz" "$P/zlib.expected.gz"
	step "example (host run)" sh -c "'$CACHE/host/zlib/example' '$d/foo.gz' >'$P/example.expected'"

	{
		echo "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, val REAL);"
		echo "BEGIN;"
		awk 'BEGIN { for (i = 1; i <= 10000; i++)
			printf "INSERT INTO t(name, grp, val) VALUES(\047name-%d\047, %d, %d.25);\n", i, i % 7, (i * 37) % 1000 }'
		echo "COMMIT;"
		echo "CREATE INDEX t_grp ON t(grp);"
		echo "SELECT count(*), sum(val), min(name), max(name), avg(grp) FROM t;"
		echo "SELECT grp, count(*), round(avg(val), 3), group_concat(id % 10, '') FILTER (WHERE id < 50) FROM t GROUP BY grp ORDER BY grp;"
		echo "SELECT name FROM t WHERE val > 998 ORDER BY id LIMIT 5;"
		echo "PRAGMA integrity_check;"
	} >"$P/sqlite.sql"
	step "sqlite (host run)" sh -c "cd '$d' && '$CACHE/host/sqlite/bld/sqlite3-native' db '.read $P/sqlite.sql' >'$P/sqlite.expected'"
	step "sqlite reread (host run)" sh -c "'$CACHE/host/sqlite/bld/sqlite3-native' '$d/db' '$SQLITE_REREAD' >'$P/sqlite-reread.expected'"

	step "threads (host run)" sh -c "'$CACHE/host/threads' ${THREADS_ARGS[*]} >'$P/threads.expected'"
}
SQLITE_REREAD="SELECT count(*), sum(val), max(id) FROM t WHERE grp = 3; PRAGMA integrity_check;"

prepare() {
	for tool in gcc make awk; do
		command -v $tool >/dev/null || prepare_end "skip: no $tool here to build the native side"
	done
	mkdir -p "$CACHE/toro" "$CACHE/host" "$P" || prepare_end "fail: cannot create $CACHE"
	: >"$CACHE/build.log"
	fetch_sources
	unpack lua5.4 lua
	unpack zlib zlib
	unpack sqlite3 sqlite
	build_lua
	build_zlib
	build_sqlite
	build_threads
	expected_outputs
	prepare_end ok
}

if [ "${1:-}" = prepare ]; then
	prepare
fi

# --- Checks -------------------------------------------------------------------------------------
. "$HERE/lib.sh"
tmp=$E2E_TMP

# A local run that was not prepared (the script run by hand) prepares first; the nested VM cannot.
case $E2E_PARTS in *" host "*) [ -f "$STATUS" ] || bash "$0" prepare ;; esac
status=$(cat "$STATUS" 2>/dev/null || echo "skip: not prepared (tests/e2e/programs.sh prepare)")

if check build@host host; then
	case $status in
	ok) ;;
	skip:*) ;;
	*) problem "$status" ;;
	esac
	if [ "${status%%:*}" = skip ]; then
		echo "SKIP build@host: ${status#skip: }"
	else
		report
	fi
fi

# The monitor's checks, or a SKIP line for each when there is nothing to run.
usable() { # check-name part
	check "$1" "$2" || return 1
	[ "$status" = ok ] && return 0
	echo "SKIP $1: ${status#*: }"
	return 1
}

for vmm in qemu toro; do
	if usable "lua@$vmm" $vmm; then
		mkdir -p "$tmp/lua-$vmm" && cp "$HERE/programs/trial.lua" "$tmp/lua-$vmm/"
		run "$TORO" run --vmm $vmm --timeout 100 --share "$tmp/lua-$vmm:rw" "$P/lua.elf" -- /trial.lua /
		want_status 0
		want_same out "$P/lua.expected"
		[ -e "$tmp/lua-$vmm/lua-trial.txt" ] && problem "the script's file was not removed"
		report
	fi

	if usable "zlib@$vmm" $vmm; then
		s=$tmp/zlib-$vmm
		mkdir -p "$s" && cp "$P/zlib.input" "$s/data"
		run "$TORO" run --vmm $vmm --timeout 100 --share "$s:rw" "$P/minigzip.elf" -- /data
		want_status 0
		cmp -s "$s/data.gz" "$P/zlib.expected.gz" ||
			problem "minigzip's data.gz differs from the host's: $(cmp "$s/data.gz" "$P/zlib.expected.gz" 2>&1 | head -1)"
		if [ -z "$e2e_problems" ]; then
			run "$TORO" run --vmm $vmm --timeout 100 --share "$s:rw" "$P/minigzip.elf" -- -d /data.gz
			want_status 0
			cmp -s "$s/data" "$P/zlib.input" || problem "minigzip -d did not give the input back"
		fi
		# Through stdin and stdout: binary bytes both ways, as a pipe on Linux carries them.
		if [ -z "$e2e_problems" ]; then
			timeout -k 5 120 "$TORO" run --vmm $vmm --timeout 100 "$P/minigzip.elf" \
				<"$P/zlib.input" >"$s/stdout.gz" 2>"$ERR"
			ran $?
			want_status 0
			cmp -s "$s/stdout.gz" "$P/zlib.expected.gz" ||
				problem "minigzip from stdin to stdout differs from the host's: $(cmp "$s/stdout.gz" "$P/zlib.expected.gz" 2>&1 | head -1)"
		fi
		if [ -z "$e2e_problems" ]; then
			run "$TORO" run --vmm $vmm --timeout 100 --share "$s:rw" "$P/example.elf" -- /foo.gz
			want_status 0
			want_same out "$P/example.expected"
		fi
		report
	fi

	if usable "sqlite@$vmm" $vmm; then
		s=$tmp/sqlite-$vmm
		mkdir -p "$s" && cp "$P/sqlite.sql" "$s/in.sql"
		run "$TORO" run --vmm $vmm --timeout 100 -e HOME=/ --share "$s:rw" "$P/sqlite3.elf" -- \
			/db.sqlite ".read /in.sql"
		want_status 0
		want_same out "$P/sqlite.expected"
		# The database file, read again: by the guest, and by the host's sqlite3 where there is one.
		if [ -z "$e2e_problems" ]; then
			run "$TORO" run --vmm $vmm --timeout 100 -e HOME=/ --share "$s" "$P/sqlite3.elf" -- \
				/db.sqlite "$SQLITE_REREAD"
			want_status 0
			want_same out "$P/sqlite-reread.expected"
		fi
		if [ -z "$e2e_problems" ] && command -v sqlite3 >/dev/null; then
			run sqlite3 "$s/db.sqlite" "$SQLITE_REREAD"
			want_status 0
			want_same out "$P/sqlite-reread.expected"
		fi
		report
	fi

	if usable "threads@$vmm" $vmm; then
		run "$TORO" run --vmm $vmm --timeout 100 --cpus 2 "$P/threads.elf" -- "${THREADS_ARGS[@]}"
		want_status 0
		want_same out "$P/threads.expected"
		report
	fi
done
e2e_exit
