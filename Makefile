# Toro in C: `make` builds build/toro, build/libtoro.a and build/examples/<name>.elf;
# `make run` boots HelloWorld; `make check` runs every test; `make bench` the benchmarks.
# V=1 shows the commands.

TORO_VERSION := 0.1.0
BUILD := build

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC := gcc
AR := ar
GCC_INCLUDE := $(shell $(CC) -print-file-name=include)

# --- kernel (freestanding, docs/design.md §4: no SSE in kernel code) ---------------------------------
# -Os keeps images small; the heap's fast path and the vsock data path are built -O2 (see below).
KERNEL_OPT := -Os
KERNEL_CFLAGS = -std=gnu11 $(KERNEL_OPT) -g -Wall -Wextra -Werror -ffreestanding -nostdinc \
	-isystem $(GCC_INCLUDE) -Iinclude -Ikernel/include \
	-mgeneral-regs-only -mno-red-zone -march=x86-64 -mtune=generic -fno-pic -fno-pie \
	-fno-stack-protector -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-asynchronous-unwind-tables -fno-builtin-printf -ffunction-sections -fdata-sections -DTORO_VERSION='"$(TORO_VERSION)"'
KERNEL_ASFLAGS := -Iinclude -Ikernel/include -Ikernel/arch/x86_64 -fno-pic -fno-pie -g

KERNEL_SRCS := $(shell find kernel -name '*.c' -o -name '*.S' | sort)
KERNEL_OBJS := $(patsubst %,$(BUILD)/%.o,$(KERNEL_SRCS))

# --- host side: the toro tool, the monitor and the code both use ---------------------------------
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Iinclude \
	-D_GNU_SOURCE -DTORO_VERSION='"$(TORO_VERSION)"'
# What each folder may include: the tool uses the monitor and common/, the monitor only common/,
# common/ nothing else; so an include the wrong way fails to build.
HOST_INCLUDES_tools := -Itools -Ivmm -Icommon
HOST_INCLUDES_vmm := -Ivmm -Icommon
HOST_INCLUDES_common := -Icommon
# The checks of a program for run --exec are the kernel loader's own (freestanding C).
HOST_SRCS := $(shell find tools vmm common -name '*.c' | sort) kernel/lib/elf_program.c
HOST_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(HOST_SRCS))

# --- examples: examples/NAME/*.c built with the flags in examples/NAME/toro.flags ----------------
EXAMPLES := $(notdir $(patsubst %/,%,$(dir $(wildcard examples/*/toro.flags))))
EXAMPLE_ELFS := $(patsubst %,$(BUILD)/examples/%.elf,$(EXAMPLES))

# --- tests ----------------------------------------------------------------------------------------
GUEST_TESTS := $(basename $(notdir $(wildcard tests/guest/*.c)))
GUEST_ELFS := $(patsubst %,$(BUILD)/tests/guest/%.elf,$(GUEST_TESTS))
UNIT_TESTS := $(basename $(notdir $(wildcard tests/unit/*.c)))
UNIT_BINS := $(patsubst %,$(BUILD)/tests/unit/%,$(UNIT_TESTS))
# What unit tests and fuzz targets share (fakes of a guest's drivers): named on their
# "// SOURCES:" lines, included from tests/support/.
TEST_SUPPORT := $(wildcard tests/support/*.c tests/support/*.h)
# Host programs e2e scripts drive guests with: in build/tests/guest/ so the nested VM has them too.
E2E_PEERS := $(BUILD)/tests/guest/vsock-peer
# Static Linux programs that tests/e2e/exec.sh runs with `toro run --exec`, built by the system's
# compilers as anyone would (musl-gcc -static; gcc -static and -static-pie with glibc), not by toro.
EXEC_PROGRAMS := $(patsubst %,$(BUILD)/tests/guest/exec-%,musl glibc glibc-pie)
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Fuzz targets: tests/fuzz/NAME.c with a "// SOURCES:" line, built with clang's libFuzzer into
# $(BUILD)/fuzz/NAME where its runtime is installed (Debian: clang, libclang-rt-14-dev).
FUZZ_CC := clang
FUZZ_TESTS := $(basename $(notdir $(wildcard tests/fuzz/*.c)))
FUZZ_BINS := $(patsubst %,$(BUILD)/fuzz/%,$(FUZZ_TESTS))
FUZZ_SECONDS ?= 60
FUZZ_RUNTIME := $(shell d=$$($(FUZZ_CC) --print-runtime-dir 2>/dev/null) && \
	[ -e "$$d/libclang_rt.fuzzer-x86_64.a" ] && echo yes)
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Iinclude -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

TOOL_FILES := $(BUILD)/toro $(BUILD)/libtoro.a $(BUILD)/toro.ld $(BUILD)/include $(BUILD)/uapi
# The generic image `toro run --exec PROGRAM` boots, found beside the tool.
EXEC_IMAGE := $(BUILD)/toro-exec.elf

.SECONDEXPANSION:
.PHONY: all deps run check unit-tests guest-tests bench fuzz clean install man
.DELETE_ON_ERROR:

all: deps $(TOOL_FILES) $(EXEC_IMAGE) $(EXAMPLE_ELFS)

deps:
	$(Q)tools/deps.sh

run: all
	$(BUILD)/toro run $(BUILD)/examples/hello.elf

check: all $(UNIT_BINS) $(GUEST_ELFS) $(E2E_PEERS) $(EXEC_PROGRAMS) $(if $(FUZZ_RUNTIME),$(FUZZ_BINS))
	$(Q)tests/run.sh $(BUILD)

# Each fuzz target for FUZZ_SECONDS, growing its corpus in $(BUILD)/fuzz/NAME.corpus from the
# seeds in tests/fuzz/NAME.seeds/ and with tests/fuzz/NAME.dict as its dictionary, where they
# exist; a crash leaves its input as $(BUILD)/fuzz/NAME-crash-*.
fuzz: $(if $(FUZZ_RUNTIME),$(FUZZ_BINS))
	$(Q)[ -n "$(FUZZ_RUNTIME)" ] || { echo "make fuzz: needs clang's libFuzzer runtime" \
		"(Debian: apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
	$(Q)for t in $(FUZZ_TESTS); do \
		echo "  FUZZ    $$t, $(FUZZ_SECONDS) s"; \
		mkdir -p $(BUILD)/fuzz/$$t.corpus && \
		dict=; [ -e tests/fuzz/$$t.dict ] && dict=-dict=tests/fuzz/$$t.dict; \
		seeds=; [ -d tests/fuzz/$$t.seeds ] && seeds=tests/fuzz/$$t.seeds; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
			-artifact_prefix=$(BUILD)/fuzz/$$t- $(BUILD)/fuzz/$$t.corpus $$seeds || exit 1; \
	done

bench: all
	$(Q)bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD)

# `make install PREFIX=DIR` (DESTDIR too): the tool with what `toro build` finds beside it (the
# kernel library, the linker script, the headers; musl and gcc come from the system) and the
# image of `toro run --exec` in
# PREFIX/lib/toro, PREFIX/bin/toro a link to it, and the manual page.
PREFIX ?= /usr/local
TORO_LIBDIR = $(DESTDIR)$(PREFIX)/lib/toro
install: $(TOOL_FILES) $(EXEC_IMAGE)
	install -d $(DESTDIR)$(PREFIX)/bin $(TORO_LIBDIR) $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/toro $(TORO_LIBDIR)/toro
	install -m 644 $(BUILD)/libtoro.a $(BUILD)/toro.ld $(EXEC_IMAGE) $(TORO_LIBDIR)/
	rm -rf $(TORO_LIBDIR)/include $(TORO_LIBDIR)/uapi
	cp -R include $(TORO_LIBDIR)/include
	cp -RP $(BUILD)/uapi $(TORO_LIBDIR)/uapi
	ln -sfn ../lib/toro/toro $(DESTDIR)$(PREFIX)/bin/toro
	install -m 644 docs/toro.1 $(DESTDIR)$(PREFIX)/share/man/man1/toro.1

# docs/toro.1 from the tool's own option table (tools/help.c); tests/e2e/help.sh checks it.
man: $(BUILD)/toro
	$(BUILD)/toro help --man >docs/toro.1

# Kernel objects and the library. The vsock files at -O2: 6% fewer guest instructions per echoed
# 4 KiB (bench/RESULTS.md), 6 KB more code in images that use sockets, none in the others. The
# read path of files likewise: 21 fewer per 4 KiB read from the page cache (432 to 411 with the
# copy's REP counted once), 40 fewer per cold one, 3.4 KB more in images that open files.
$(BUILD)/kernel/core/heap.c.o $(BUILD)/kernel/api/memory_api.c.o: KERNEL_OPT := -O2
$(BUILD)/kernel/net/vsock.c.o $(BUILD)/kernel/drivers/virtio/vsock.c.o: KERNEL_OPT := -O2
$(BUILD)/kernel/fs/file.c.o $(BUILD)/kernel/fs/pagecache.c.o $(BUILD)/kernel/fs/node.c.o: KERNEL_OPT := -O2

$(BUILD)/kernel/%.c.o: kernel/%.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/kernel/%.S.o: kernel/%.S | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libtoro.a: $(KERNEL_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcsD $@ $^

$(BUILD)/toro.ld: kernel/toro.ld
	@mkdir -p $(dir $@)
	$(Q)cp $< $@

# The tool finds the public headers and Linux's UAPI headers (for <linux/vm_sockets.h> in POSIX
# programs; musl ships none) beside itself.
$(BUILD)/include: | deps
	@mkdir -p $(BUILD)
	$(Q)ln -sfn $(CURDIR)/include $@

$(BUILD)/uapi: | deps
	@mkdir -p $@
	$(Q)ln -sfn /usr/include/linux $@/linux
	$(Q)ln -sfn /usr/include/asm-generic $@/asm-generic
	$(Q)ln -sfn /usr/include/x86_64-linux-gnu/asm $@/asm

# Host programs.
$(BUILD)/host/%.c.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(HOST_INCLUDES_$(firstword $(subst /, ,$*))) -MMD -MP -c $< -o $@

# `toro new --web` carries the example web server's sources (tools/new_web.c includes them).
$(BUILD)/host/tools/new_web.c.o: examples/webserver-posix/main.c examples/webserver/http.c \
	examples/webserver/http.h

$(BUILD)/toro: $(HOST_OBJS)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -o $@ $^ -lpthread

# Images, built with the tool itself.
$(BUILD)/examples/%.elf: examples/%/toro.flags $$(wildcard examples/$$*/*.c) $(TOOL_FILES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TORO    $@")
	$(Q)$(BUILD)/toro build -q $$(cat $<) $(wildcard examples/$*/*.c) -o $@

$(EXEC_IMAGE): $(TOOL_FILES)
	@$(if $(Q),echo "  TORO    $@")
	$(Q)$(BUILD)/toro build -q --exec-image -o $@

$(BUILD)/tests/guest/%.elf: tests/guest/%.c tests/guest/native_test.h tests/guest/posix_test.h $(TOOL_FILES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  TORO    $@")
	$(Q)$(BUILD)/toro build -q $$(sed -n 's|^// BUILD: *||p' $<) $< -o $@

# A test image that includes another's source (tests/guest/native_vsock_gdb.c) is built again
# when that changes.
$(BUILD)/tests/guest/native_vsock_gdb.elf: tests/guest/native_vsock.c

# Host unit tests, with sanitizers. Each tests/unit/NAME.c lists the sources it needs on a
# "// SOURCES:" line.
$(BUILD)/tests/unit/%: tests/unit/%.c $(TEST_SUPPORT) $(HOST_SRCS) $(KERNEL_SRCS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  UNIT    $@")
	$(Q)$(CC) $(HOST_CFLAGS) $(HOST_INCLUDES_tools) -Ikernel/include -Itests/support $(SANITIZE) -o $@ $< \
		$$(sed -n 's|^// SOURCES: *||p' $<)

$(BUILD)/tests/guest/vsock-peer: tests/e2e/vsock-peer.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(HOST_CFLAGS) -o $@ $<

EXEC_PROGRAM_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -Werror -pthread
$(BUILD)/tests/guest/exec-musl: tests/e2e/exec-program.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MUSLCC  $@")
	$(Q)x86_64-linux-musl-gcc $(EXEC_PROGRAM_CFLAGS) -static -o $@ $<

$(BUILD)/tests/guest/exec-glibc: tests/e2e/exec-program.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(EXEC_PROGRAM_CFLAGS) -static -o $@ $<

$(BUILD)/tests/guest/exec-glibc-pie: tests/e2e/exec-program.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) $(EXEC_PROGRAM_CFLAGS) -fPIE -static-pie -o $@ $<

$(BUILD)/fuzz/%: tests/fuzz/%.c $(TEST_SUPPORT) $(HOST_SRCS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(HOST_INCLUDES_tools) -Ikernel/include -Itests/support -o $@ $< \
		$$(sed -n 's|^// SOURCES: *||p' $<)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
