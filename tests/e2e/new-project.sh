#!/bin/bash
# `toro new` + `toro build DIR` + `toro run`, as a user types them in a fresh directory: a POSIX,
# a native and a web project build as they are, say what they built, and run (the web server,
# the example web server's code, answers GET, HEAD, keep-alive and a missing file through
# --forward and its shared www/, logging each request, and builds with the host's cc as well).
# Building needs gcc, so the runs are QEMU's (the nested VM has no compiler).
# PARTS: host qemu
. "$(dirname "$0")/lib.sh"
EXAMPLES=$(cd "$(dirname "$0")/../../examples" 2>/dev/null && pwd)
W=$E2E_TMP/work
mkdir -p "$W"
cd "$W" || exit 1
export XDG_RUNTIME_DIR=$E2E_TMP/run
mkdir -p "$XDG_RUNTIME_DIR"

# new_and_build NAME KIND BUILD-OPTIONS...: the project exists with its files and builds.
new_and_build() {
	local name=$1 kind=$2
	shift 2
	run "$TORO" new "$name" ${kind:+"$kind"}
	want_status 0
	want_line out "^    toro build $* ?$name$"
	for f in main.c README.md; do [ -s "$name/$f" ] || problem "no $name/$f"; done
	grep -q "toro build $* *$name" "$name/README.md" || problem "README lacks the build command"
	run "$TORO" build "$@" "$name"
	want_status 0
	want_line out "^built $name.elf: .* image from [0-9]+ inputs?, [0-9.]+ (KiB|MiB)$"
	[ -s "$name.elf" ] || problem "no $name.elf"
}

if check new-posix host; then
	new_and_build hello-app ""
	report
fi
if check new-posix-runs qemu; then
	[ -f hello-app.elf ] || { "$TORO" new hello-app && "$TORO" build -q hello-app; } >/dev/null
	run "$TORO" run hello-app.elf --vmm qemu -- one "two words"
	want_status 0
	want_line out "^Hello from hello-app!$"
	want_line out "^argument 2: two words$"
	report
fi

if check new-native host; then
	new_and_build native-app --native --native --no-fpu
	want_line out "native image"
	report
fi
if check new-native-runs qemu; then
	[ -f native-app.elf ] ||
		{ "$TORO" new native-app --native && "$TORO" build -q --native --no-fpu native-app; } >/dev/null
	run "$TORO" run native-app.elf --vmm qemu
	want_status 0
	want_line out "^Hello from native-app!$"
	report
fi

if check new-web host; then
	new_and_build site --web
	[ -s site/www/index.html ] || problem "no site/www/index.html"
	want_line out "^built site.elf: POSIX image from 2 inputs"
	# The example server's code, named after the project.
	for f in http.c http.h; do
		cmp -s "site/$f" "$EXAMPLES/webserver/$f" || problem "site/$f is not examples/webserver/$f"
	done
	grep -q '"usage: site \[--no-log\]' site/main.c || problem "site/main.c does not name the project"
	report
fi
if check new-web-cc host; then
	[ -d site ] || "$TORO" new site --web >/dev/null
	run cc -O2 -Wall -Wextra -Werror -pthread -o "$E2E_TMP/site-server" site/main.c site/http.c
	want_status 0
	report
fi

# An HTTP request over bash's /dev/tcp: the whole response on stdout.
http() {
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf '%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$2" "$3" >&3
	timeout 20 cat <&3
	exec 3<&-
}

if check new-web-serves qemu; then
	[ -f site.elf ] || { "$TORO" new site --web && "$TORO" build -q site; } >/dev/null
	port=$((20000 + $$ % 20000))
	run "$TORO" run site.elf --vmm qemu -d site/www -f "$port:80" --detach --name site
	want_status 0
	for _ in $(seq 300); do
		"$TORO" logs site 2>/dev/null | grep -q "^listening on port 80" && break
		sleep 0.2
	done
	http "$port" GET / >"$E2E_TMP/index" 2>&1
	grep -q "^HTTP/1.1 200 OK" "$E2E_TMP/index" || problem "GET /: $(head -1 "$E2E_TMP/index")"
	tr -d '\r' <"$E2E_TMP/index" | sed '1,/^$/d' | cmp -s - site/www/index.html ||
		problem "GET / is not site/www/index.html"
	http "$port" HEAD /index.html >"$E2E_TMP/head" 2>&1
	grep -q "^Content-Length: $(wc -c <site/www/index.html)" "$E2E_TMP/head" ||
		problem "HEAD: $(cat "$E2E_TMP/head")"
	http "$port" GET /missing.html >"$E2E_TMP/missing" 2>&1
	grep -q "^HTTP/1.1 404 Not Found" "$E2E_TMP/missing" || problem "missing file: $(head -1 "$E2E_TMP/missing")"
	# Two requests on one connection: keep-alive, which the example server has.
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3
	timeout 20 cat <&3 >"$E2E_TMP/two"
	exec 3<&-
	[ "$(grep -c '^HTTP/1.1 200 OK' "$E2E_TMP/two")" = 2 ] || problem "keep-alive: $(grep '^HTTP' "$E2E_TMP/two")"
	"$TORO" logs site 2>/dev/null | grep -q '^"GET /missing.html HTTP/1.1" 404 ' ||
		problem "no access-log line for the 404"
	"$TORO" stop site || problem "toro stop site failed"
	RC=0
	report
fi
e2e_exit
