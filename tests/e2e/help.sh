#!/bin/bash
# The tool's help and its installation: `toro --help`, `toro CMD --help` and the manual page
# come from one table (tools/help.c): docs/toro.1 is what `toro help --man` prints, README.md
# names every option, every command answers --help. `make install PREFIX=...` into a temp
# prefix gives a toro that builds (and, in QEMU, runs) a new project from another directory.
# PARTS: host qemu
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

if check help/man-page-current host; then
	run "$TORO" help --man
	want_status 0
	want_same out "$ROOT/docs/toro.1"
	report
fi

if check help/readme-names-every-option host; then
	for cmd in new build run; do
		"$TORO" "$cmd" --help | grep -o -- '--[a-z][a-z-]*' | sort -u | while read -r opt; do
			grep -q -- "$opt\([^a-z-]\|$\)" "$ROOT/README.md" || echo "README.md lacks $cmd $opt"
		done
	done >"$E2E_TMP/lacking"
	[ -s "$E2E_TMP/lacking" ] && problem "$(head -3 "$E2E_TMP/lacking" | tr '\n' ';')"
	report
fi

if check help/every-command host; then
	for cmd in new build cc run ps stop logs vhost-user vsock-connect version; do
		"$TORO" --help | grep -q "^  toro $cmd" || problem "toro --help lacks $cmd"
		[ "$cmd" = cc ] || [ "$cmd" = version ] && continue
		out=$("$TORO" "$cmd" --help 2>&1)
		[ $? = 0 ] && grep -q "^usage: toro $cmd" <<<"$out" ||
			problem "toro $cmd --help: ${out%%$'\n'*}"
		grep -q "^\.SS \"toro ${cmd//-/\\\\-}" "$ROOT/docs/toro.1" || problem "toro.1 lacks $cmd"
	done
	run "$TORO" help frob
	want_status 2
	want_count err . 1
	want_line err "help: no command 'frob'"
	report
fi

prefix=$E2E_TMP/prefix
# Installs into $prefix and builds a new project in another directory with the installed toro
# (TORO_HOME unset: it must find its files by itself).
install_and_build() {
	run make -C "$ROOT" --no-print-directory BUILD="$BUILD" install PREFIX="$prefix"
	want_status 0
	mkdir -p "$E2E_TMP/elsewhere"
	(cd "$E2E_TMP/elsewhere" && "$prefix/bin/toro" new app >/dev/null) || problem "toro new failed"
	run env -u TORO_HOME sh -c "cd '$E2E_TMP/elsewhere' && '$prefix/bin/toro' build app"
	want_status 0
	want_line out "^built app.elf: POSIX image"
}

if check install/builds-elsewhere host; then
	install_and_build
	[ -L "$prefix/bin/toro" ] && [ -x "$prefix/lib/toro/toro" ] || problem "no $prefix/bin/toro"
	[ -f "$prefix/share/man/man1/toro.1" ] || problem "no manual page"
	links=$(find "$prefix" -type l -lname "$ROOT*")
	[ -n "$links" ] && problem "links into the source tree: $links"
	report
fi

if check install/runs qemu; then
	[ -f "$E2E_TMP/elsewhere/app.elf" ] || install_and_build
	run env -u TORO_HOME "$prefix/bin/toro" run --vmm qemu "$E2E_TMP/elsewhere/app.elf"
	want_status 0
	want_line out "^Hello from app!$"
	report
fi
e2e_exit
