#!/bin/bash
# `toro cc` as a C compiler driver for build systems, and the build side it shares with
# `toro build`: a Makefile project built with make CC="toro cc", objects then a link, -pthread,
# -MMD dependency files, -shared refused, -l only from -L directories and musl's, the object cache,
# progress on a terminal, and DWARF only with -g.
# PARTS: host qemu
. "$(dirname "$0")/lib.sh"

# The object cache of these checks is their own (compile.c: $XDG_CACHE_HOME/toro).
export XDG_CACHE_HOME=$E2E_TMP/cache
unset TORO_CACHE_DIR
P=$E2E_TMP/proj
mkdir -p "$P"
cat >"$P/greet.h" <<'C'
int greet(const char *who, int times);
C
cat >"$P/greet.c" <<'C'
#include <stdio.h>
#include "greet.h"
int greet(const char *who, int times)
{
	for (int i = 0; i < times; i++)
		printf("hello %s %d\n", who, i);
	return times;
}
C
cat >"$P/main.c" <<'C'
#include <pthread.h>
#include <stdio.h>
#include "greet.h"
static void *worker(void *arg)
{
	return (void *)(long)greet(arg, 2);
}
int main(void)
{
	pthread_t t;
	void *n;
	if (pthread_create(&t, NULL, worker, "thread") || pthread_join(t, &n))
		return 1;
	printf("%s: %ld lines from the thread, %d from main\n", GREETING, (long)n, greet("main", 1));
	return 0;
}
C
cat >"$P/Makefile" <<'MK'
CFLAGS = -O2 -Wall -Werror -march=native -mtune=native -std=gnu11 -DGREETING='"made"'
OBJS = main.o greet.o
app.elf: $(OBJS)
	$(CC) $(CFLAGS) -pthread -L. -o $@ $(OBJS) -lm -lpthread
%.o: %.c
	$(CC) $(CFLAGS) -pthread -MMD -MP -c $< -o $@
-include $(OBJS:.o=.d)
MK
printf '%s\n' "hello thread 0" "hello thread 1" "hello main 0" \
	"made: 2 lines from the thread, 1 from main" >"$E2E_TMP/want"

check_cc_make() {
	check "cc-make" host || return 0
	run make -C "$P" CC="$TORO cc"
	want_status 0
	[ -f "$P/app.elf" ] || problem "make built no app.elf"
	for d in main greet; do
		grep -q 'greet\.h' "$P/$d.d" 2>/dev/null || problem "-MMD: $d.d does not name greet.h"
	done
	report
}
check_cc_make

check_cc_make_run_qemu() {
	check "cc-make-run@qemu" qemu || return 0
	[ -f "$P/app.elf" ] || make -C "$P" CC="$TORO cc" >/dev/null 2>&1
	run "$TORO" run "$P/app.elf" --vmm qemu --timeout 60
	want_status 0
	want_same out "$E2E_TMP/want"
	report
}
check_cc_make_run_qemu

check_cc_make_header_dependency() {
	check "cc-make-header-dependency" host || return 0
	[ -f "$P/greet.o" ] || make -C "$P" CC="$TORO cc" >/dev/null 2>&1
	local before
	before=$(stat -c %Y "$P/greet.o")
	sleep 1
	touch "$P/greet.h"
	run make -C "$P" CC="$TORO cc"
	want_status 0
	[ "$(stat -c %Y "$P/greet.o")" != "$before" ] || problem "greet.o not rebuilt after greet.h changed"
	report
}
check_cc_make_header_dependency

check_cc_compile_then_link() {
	check "cc-compile-then-link" host || return 0
	run "$TORO" cc -c "$P/greet.c" -o "$E2E_TMP/g.o"
	want_status 0
	run "$TORO" cc -c -I"$P" -DGREETING='"linked"' "$P/main.c" -o "$E2E_TMP/m.o"
	want_status 0
	run "$TORO" cc -pthread "$E2E_TMP/m.o" "$E2E_TMP/g.o" -o "$E2E_TMP/linked.elf"
	want_status 0
	run readelf -SW "$E2E_TMP/linked.elf"
	want_line out '\.toro\.symtab'
	report
}
check_cc_compile_then_link

check_cc_configure_probes() {
	check "cc-configure-probes" host || return 0
	run "$TORO" cc --version
	want_status 0
	want_line out '^toro cc '
	run "$TORO" cc -v
	want_status 0
	want_line err '^toro cc '
	(cd "$E2E_TMP" && echo 'int main(void) { return 0; }' >conftest.c && rm -f a.out &&
		"$TORO" cc conftest.c && [ -f a.out ]) >"$OUT" 2>"$ERR" ||
		problem "linking conftest.c without -o made no a.out"
	run "$TORO" cc -E "$P/greet.c"
	want_status 0
	want_line out 'int greet\(const char \*who, int times\);'
	report
}
check_cc_configure_probes

check_cc_shared_refused() {
	check "cc-shared-refused" host || return 0
	run "$TORO" cc -shared -o "$E2E_TMP/lib.so" "$P/greet.c"
	want_status 2
	want_count err . 1
	want_line err 'static'
	[ -e "$E2E_TMP/lib.so" ] && problem "-shared wrote a file"
	report
}
check_cc_shared_refused

# -l finds archives in the -L directories and musl's, and nowhere else: a library only the host's
# gcc would find (here through LIBRARY_PATH, as a system libz.a is found) is refused, not linked.
check_cc_libraries() {
	check "cc-libraries" host || return 0
	mkdir -p "$E2E_TMP/lib" "$E2E_TMP/hostlib"
	run "$TORO" cc -c "$P/greet.c" -o "$E2E_TMP/lg.o"
	want_status 0
	ar rcs "$E2E_TMP/lib/libgreet.a" "$E2E_TMP/lg.o" && cp "$E2E_TMP/lib/libgreet.a" "$E2E_TMP/hostlib/" ||
		problem "ar failed"
	run "$TORO" cc -c -I"$P" -DGREETING='"lib"' "$P/main.c" -o "$E2E_TMP/lm.o"
	want_status 0
	run "$TORO" cc -pthread "$E2E_TMP/lm.o" -L"$E2E_TMP/lib" -lgreet -lm -lpthread -o "$E2E_TMP/l1.elf"
	want_status 0
	run "$TORO" cc "$E2E_TMP/lm.o" -L "$E2E_TMP/lib" -l:libgreet.a -lgcc -o "$E2E_TMP/l2.elf"
	want_status 0
	LIBRARY_PATH=$E2E_TMP/hostlib run "$TORO" cc "$E2E_TMP/lm.o" -lgreet -o "$E2E_TMP/l3.elf"
	[ "$RC" != 0 ] || problem "-lgreet found only through the host's LIBRARY_PATH was linked"
	want_count err . 1
	want_line err '^toro: build: -lgreet: no libgreet\.a in the -L directories'
	[ -e "$E2E_TMP/l3.elf" ] && problem "the refused link wrote an image"
	report
}
check_cc_libraries

# `toro build` on an unchanged project: every object comes from the cache (-v says so).
check_build_rebuild_cached() {
	check "build-rebuild-cached" host || return 0
	run "$TORO" build -I"$P" -DGREETING='"built"' "$P/main.c" "$P/greet.c" -o "$E2E_TMP/b.elf"
	want_status 0
	run "$TORO" build -v -I"$P" -DGREETING='"built"' "$P/main.c" "$P/greet.c" -o "$E2E_TMP/b.elf"
	want_status 0
	want_count err 'unchanged: cached' 2
	want_count err ' -c ' 0
	report
}
check_build_rebuild_cached

# `toro build` on a terminal shows its progress as make does: a line per source (CC, or CACHED
# when the object cache had it) and the link, then the summary; elsewhere only the summary. The
# terminal is script(1)'s.
check_build_progress() {
	check "build-progress" host || return 0
	if ! command -v script >/dev/null; then
		echo "SKIP $e2e_name: script(1) is not installed"
		return 0
	fi
	printf 'int extra_%s(void) { return 1; }\n' "$$" >"$E2E_TMP/fresh.c"
	local cmd="'$TORO' build -I'$P' -DGREETING='\"p\"' '$P/main.c' '$P/greet.c' '$E2E_TMP/fresh.c' -o '$E2E_TMP/p.elf'"
	run script -qec "$cmd" /dev/null
	want_status 0
	want_line out "^  CC      $E2E_TMP/fresh.c"
	want_line out "^  LINK    $E2E_TMP/p.elf"
	want_line out "^built $E2E_TMP/p.elf: POSIX image from 3 inputs"
	run script -qec "$cmd" /dev/null
	want_status 0
	want_count out "^  CACHED  " 3
	want_count out "^  CC  " 0
	run script -qec "$cmd -q" /dev/null
	want_count out . 0
	run "$TORO" build -I"$P" -DGREETING='"p"' "$P/main.c" "$P/greet.c" "$E2E_TMP/fresh.c" \
		-o "$E2E_TMP/p.elf"
	want_status 0
	want_count out "^  " 0
	want_count out "^built " 1
	report
}
check_build_progress

check_build_dwarf_only_with_g() {
	check "build-dwarf-only-with-g" host || return 0
	run "$TORO" build "$P/greet.c" "$P/main.c" -I"$P" -DGREETING='"x"' -o "$E2E_TMP/nog.elf"
	want_status 0
	run readelf -SW "$E2E_TMP/nog.elf"
	want_count out '\.debug_info' 0
	want_line out '\.toro\.symtab'
	run "$TORO" build -g "$P/greet.c" "$P/main.c" -I"$P" -DGREETING='"x"' -o "$E2E_TMP/g.elf"
	want_status 0
	run readelf -SW "$E2E_TMP/g.elf"
	want_line out '\.debug_info'
	report
}
check_build_dwarf_only_with_g
e2e_exit
