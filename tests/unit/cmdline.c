/* The kernel command line: the host's quoting (common/cmdline.c) and the kernel's splitting
 * (kernel/core/cmdline.c) must agree for any argument or environment value; `toro run` option
 * parsing (tools/options.c), -e/--env/--env-file among them; the command line's length limit. */
// SOURCES: kernel/core/cmdline.c tools/options.c common/cmdline.c common/error.c common/share.c
#include <kernel/cmdline.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <toro/abi/start_info.h>

#include "check.h"
#include "cmdline.h"
#include "toro.h"

/* Quotes args with the tool, splits with the kernel, and checks the words come back. */
static void round_trip(int n, const char **args)
{
	char buf[1024] = "";
	for (int i = 0; i < n; i++)
		CHECK(cmdline_append_word(buf, sizeof(buf), args[i]) == 0);
	char *cursor = buf, *w;
	int i = 0;
	while ((w = cmdline_next_word(&cursor)) && i < n) {
		CHECK_STR(w, args[i]);
		i++;
	}
	CHECK(i == n);
	CHECK(cmdline_next_word(&cursor) == NULL);
}

static void test_split(void)
{
	char line[] = "  virtio_mmio.device=4K@0xd0000000:5 \"quoted word\" a\\ b \"\" x\\\"y  -- z ";
	char *cursor = line;
	CHECK_STR(cmdline_next_word(&cursor), "virtio_mmio.device=4K@0xd0000000:5");
	CHECK_STR(cmdline_next_word(&cursor), "quoted word");
	CHECK_STR(cmdline_next_word(&cursor), "a b");
	CHECK_STR(cmdline_next_word(&cursor), "");
	CHECK_STR(cmdline_next_word(&cursor), "x\"y");
	CHECK_STR(cmdline_next_word(&cursor), "--");
	CHECK_STR(cmdline_next_word(&cursor), "z");
	CHECK(cmdline_next_word(&cursor) == NULL);
	CHECK(cmdline_next_word(&cursor) == NULL);

	char empty[] = "   ";
	cursor = empty;
	CHECK(cmdline_next_word(&cursor) == NULL);

	/* An unterminated quote runs to the end of the line. */
	char open[] = "a \"b c";
	cursor = open;
	CHECK_STR(cmdline_next_word(&cursor), "a");
	CHECK_STR(cmdline_next_word(&cursor), "b c");

	CHECK_STR(cmdline_option_value("toro.argv0=hello", "toro.argv0"), "hello");
	CHECK(cmdline_option_value("toro.argv0", "toro.argv0") == NULL);
	CHECK(cmdline_option_value("toro.argv00=x", "toro.argv0") == NULL);
	CHECK_STR(cmdline_option_value("k=", "k"), "");
}

static void test_quoting(void)
{
	const char *simple[] = {"a", "b", "c"};
	round_trip(3, simple);
	const char *hard[] = {"two words", "", "back\\slash", "quo\"te", "tab\there", "-- ", "--",
			      "\\\"", "end\\"};
	round_trip(9, hard);

	char tiny[8] = "";
	CHECK(cmdline_append_word(tiny, sizeof(tiny), "12345678") == -1);
	CHECK_STR(tiny, "");
	CHECK(cmdline_append_word(tiny, sizeof(tiny), "1234567") == 0);
	CHECK_STR(tiny, "1234567");
	CHECK(cmdline_append_word(tiny, sizeof(tiny), "x") == -1);
}

static void test_sizes(void)
{
	uint64_t b;
	CHECK(parse_size("2M", &b) == 0 && b == 2ull << 20);
	CHECK(parse_size("128m", &b) == 0 && b == 128ull << 20);
	CHECK(parse_size("4G", &b) == 0 && b == 4ull << 30);
	CHECK(parse_size("512GiB", &b) == 0 && b == 512ull << 30);
	CHECK(parse_size("1K", &b) == 0 && b == 1024);
	CHECK(parse_size("64", &b) == 0 && b == 64ull << 20);
	CHECK(parse_size("4096B", &b) == 0 && b == 4096);
	CHECK(parse_size("", &b) == -1);
	CHECK(parse_size("M", &b) == -1);
	CHECK(parse_size("-1M", &b) == -1);
	CHECK(parse_size("12Q", &b) == -1);
	CHECK(parse_size("1MX", &b) == -1);
	CHECK(parse_size("99999999999999999999", &b) == -1);
	CHECK(parse_size("17179869184T", &b) == -1); /* overflows 64 bits */
}

static int parse(const char *line, struct run_options *o, char *err, size_t errlen)
{
	static char copy[512];
	static char *argv[32];
	snprintf(copy, sizeof(copy), "%s", line);
	int argc = 0;
	for (char *t = strtok(copy, " "); t && argc < 32; t = strtok(NULL, " "))
		argv[argc++] = t;
	return parse_run_options(argc, argv, o, err, errlen);
}

/* Each of the n lines must be refused, with an error of one line. */
static void check_refused(const char *const *bad, size_t n)
{
	struct run_options o;
	char err[256];
	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		int rc = parse(bad[i], &o, err, sizeof(err));
		run_options_free(&o);
		CHECK(rc == -1);
		CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
		if (rc != -1)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
	}
}

static void test_run_options(void)
{
	struct run_options o;
	char err[256];
	CHECK(parse("img.elf", &o, err, sizeof(err)) == 0);
	CHECK_STR(o.image, "img.elf");
	CHECK(o.mem == TORO_MEM_DEFAULT && o.cpus == 1 && o.nargs == 0 && o.vmm == VMM_AUTO);

	CHECK(parse("img.elf --mem 2M --cpus=4 --timeout 1.5 --vmm qemu --accel tcg --stats -- a "
		    "--mem b",
		    &o, err, sizeof(err)) == 0);
	CHECK(o.mem == 2ull << 20 && o.cpus == 4 && o.timeout == 1.5 && o.vmm == VMM_QEMU);
	CHECK(o.accel == ACCEL_TCG && o.stats == 1 && o.nargs == 3);
	CHECK_STR(o.args[0], "a");
	CHECK_STR(o.args[1], "--mem");

	const char *bad[] = {
		"img.elf --mem 0", "img.elf --mem 1K", "img.elf --mem 513G", "img.elf --mem",
		"img.elf --mem abc", "img.elf --cpus 0", "img.elf --cpus 65", "img.elf --cpus x",
		"img.elf --timeout 0", "img.elf --timeout -1", "img.elf --timeout x",
		"img.elf --vmm firecracker", "img.elf --accel hvf", "img.elf --frobnicate", "",
		"img.elf other.elf", "--stats",
	};
	check_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

/* Arguments too long for the line go to the argument module, whose words follow the line's. */
static void test_args_module(void)
{
	enum { NARGS = 20000 };
	static char *args[NARGS];
	static char storage[NARGS][24];
	char *env[] = {"BIG=a \"quoted\" value"};
	for (int i = 0; i < NARGS; i++) {
		snprintf(storage[i], sizeof(storage[i]), i % 3 ? "arg%d" : "two words %d", i);
		args[i] = storage[i];
	}
	char *module;
	size_t module_len;
	char *line =
	    cmdline_build("x/prog.elf", "extra=1", 1, env, NARGS, args, &module, &module_len);
	CHECK(line != NULL && module != NULL);
	if (!line || !module)
		return;
	char err[256];
	CHECK(cmdline_check(line, err, sizeof(err)) == 0);
	CHECK(strstr(line, " -- ") == NULL && strstr(line, "BIG=") == NULL);
	uint64_t magic;
	memcpy(&magic, module, sizeof(magic));
	CHECK(magic == TORO_ARGS_MAGIC);
	CHECK(module_len > 100000 && module[module_len - 1] == '\0' &&
	      strlen(module + TORO_ARGS_MAGIC_LEN) == module_len - TORO_ARGS_MAGIC_LEN - 1);
	char *cursor = line;
	CHECK(strncmp(cmdline_next_word(&cursor), "toro.argv0=prog", 15) == 0);
	CHECK(strncmp(cmdline_next_word(&cursor), "toro.realtime=", 14) == 0);
	CHECK_STR(cmdline_next_word(&cursor), "extra=1");
	CHECK(cmdline_next_word(&cursor) == NULL);
	cursor = module + TORO_ARGS_MAGIC_LEN;
	CHECK_STR(cmdline_next_word(&cursor), env[0]);
	CHECK_STR(cmdline_next_word(&cursor), "--");
	int same = 1;
	for (int i = 0; i < NARGS; i++) {
		const char *w = cmdline_next_word(&cursor);
		same &= w && strcmp(w, args[i]) == 0;
	}
	CHECK(same);
	CHECK(cmdline_next_word(&cursor) == NULL);
	free(line);
	free(module);
}

static void test_kernel_cmdline(void)
{
	struct run_options o;
	char err[256];
	CHECK(parse("dir/my.elf -- one two\\ x", &o, err, sizeof(err)) == 0);
	char *line = cmdline_build(o.image, "virtio_mmio.device=4K@0xd0000000:5", 0, NULL, o.nargs,
	                           o.args, NULL, NULL);
	/* "toro.argv0=my toro.realtime=<now in ns> <extra> -- args" */
	const char *tail = " virtio_mmio.device=4K@0xd0000000:5 -- one \"two\\\\\" x";
	CHECK(strncmp(line, "toro.argv0=my toro.realtime=", 28) == 0);
	unsigned long long ns = strtoull(line + 28, NULL, 10);
	CHECK(ns > 1700000000ull * 1000000000ull);
	CHECK(strlen(line) > strlen(tail) && strcmp(line + strlen(line) - strlen(tail), tail) == 0);
	free(line);

	/* Diagnostic options from TORO_KERNEL_OPTIONS come after the extra words, before "--". */
	setenv("TORO_KERNEL_OPTIONS", " toro.xapic\ttoro.madt  ", 1);
	line = cmdline_build(o.image, "x=1", 0, NULL, o.nargs, o.args, NULL, NULL);
	const char *tail2 = " x=1 toro.xapic toro.madt -- one \"two\\\\\" x";
	CHECK(strlen(line) > strlen(tail2) && strcmp(line + strlen(line) - strlen(tail2), tail2) == 0);
	free(line);
	unsetenv("TORO_KERNEL_OPTIONS");

	char name[16];
	image_program_name("/a/b/hello.elf", name, sizeof(name));
	CHECK_STR(name, "hello");
	image_program_name("plain", name, sizeof(name));
	CHECK_STR(name, "plain");
	image_program_name("a-very-long-name-indeed.elf", name, 8);
	CHECK_STR(name, "a-very-");
}

/* Writes text to a new temporary file; returns its path (static storage, one at a time). */
static const char *temp_file(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/toro-unit-env-XXXXXX");
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	return path;
}

static int parse_words(int argc, const char **words, struct run_options *o, char *err,
                       size_t errlen)
{
	return parse_run_options(argc, (char **)words, o, err, errlen);
}

static void test_env_options(void)
{
	struct run_options o;
	char err[256];
	const char *ok[] = {"-e",         "A=two words", "--env",         "B=x\"y\\z=w", "C=",
	                    "img.elf",    "D=plain",     "--env=E=first", "-e",          "E=last",
	                    "_F9=-- a.b", "--",          "G=arg"};
	CHECK(parse_words(13, ok, &o, err, sizeof(err)) == 0);
	CHECK_STR(o.image, "img.elf");
	CHECK(o.nenv == 6 && o.nargs == 1);
	if (o.nenv == 6) {
		CHECK_STR(o.env[0], "A=two words");
		CHECK_STR(o.env[1], "B=x\"y\\z=w");
		CHECK_STR(o.env[2], "C=");
		CHECK_STR(o.env[3], "D=plain");
		CHECK_STR(o.env[4], "E=last"); /* a later value replaces, in the first's place */
		CHECK_STR(o.env[5], "_F9=-- a.b");
	}
	CHECK_STR(o.args[0], "G=arg"); /* after "--" it is an argument */

	/* The values reach the kernel as the same words, before "--". */
	char *module;
	size_t module_len;
	char *line =
	    cmdline_build(o.image, NULL, o.nenv, o.env, o.nargs, o.args, &module, &module_len);
	CHECK(line != NULL && module == NULL && cmdline_check(line, err, sizeof(err)) == 0);
	char *cursor = line;
	CHECK(strncmp(cmdline_next_word(&cursor), "toro.argv0=", 11) == 0);
	CHECK(strncmp(cmdline_next_word(&cursor), "toro.realtime=", 14) == 0);
	for (int i = 0; i < o.nenv; i++)
		CHECK_STR(cmdline_next_word(&cursor), o.env[i]);
	CHECK_STR(cmdline_next_word(&cursor), "--");
	CHECK_STR(cmdline_next_word(&cursor), "G=arg");
	CHECK(cmdline_next_word(&cursor) == NULL);
	free(line);
	run_options_free(&o);

	/* An image path with '=' in it is still the image when a directory is given. */
	const char *path_eq[] = {"./a=b.elf", "X=1"};
	CHECK(parse_words(2, path_eq, &o, err, sizeof(err)) == 0);
	CHECK_STR(o.image, "./a=b.elf");
	CHECK(o.nenv == 1);
	run_options_free(&o);

	const char *bad[][3] = {
		{"img.elf", "-e", "1A=x"},     {"img.elf", "-e", "NOVALUE"},
		{"img.elf", "--env", "A-B=1"}, {"img.elf", "-e", "=x"},
		{"img.elf", "toro.madt=1", ""}, {"img.elf", "B-C=1", ""},
		{"img.elf", "--env-file", "/nonexistent/toro-env"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = bad[i][2][0] ? 3 : 2;
		err[0] = '\0';
		int rc = parse_words(n, bad[i], &o, err, sizeof(err));
		run_options_free(&o);
		CHECK(rc == -1 && err[0] && strchr(err, '\n') == NULL);
		if (rc != -1)
			fprintf(stderr, "accepted: '%s %s'\n", bad[i][1], bad[i][2]);
	}
	const char *last[] = {"img.elf", "-e"};
	CHECK(parse_words(2, last, &o, err, sizeof(err)) == -1);
	CHECK(strstr(err, "expected NAME=VALUE") != NULL);
	run_options_free(&o);
}

static void test_env_file(void)
{
	struct run_options o;
	char err[256];
	const char *path = temp_file("# a comment\n\nA=1\n  \t\n  # indented comment\r\n"
	                             "B=with spaces and \"quotes\" = \\\r\nC=\nA=2");
	const char *words[] = {"img.elf", "--env-file", path, "-e", "D=4"};
	CHECK(parse_words(5, words, &o, err, sizeof(err)) == 0);
	CHECK(o.nenv == 4);
	if (o.nenv == 4) {
		CHECK_STR(o.env[0], "A=2");
		CHECK_STR(o.env[1], "B=with spaces and \"quotes\" = \\");
		CHECK_STR(o.env[2], "C=");
		CHECK_STR(o.env[3], "D=4");
	}
	run_options_free(&o);
	unlink(path);

	path = temp_file("A=1\n\nnot an assignment\n");
	const char *bad[] = {"img.elf", "--env-file", path};
	CHECK(parse_words(3, bad, &o, err, sizeof(err)) == -1);
	char want[128];
	snprintf(want, sizeof(want), "%s:3:", path);
	CHECK(strstr(err, want) != NULL && strchr(err, '\n') == NULL);
	run_options_free(&o);
	unlink(path);

	path = temp_file(" A=1\n");
	CHECK(parse_words(3, bad, &o, err, sizeof(err)) == -1);
	run_options_free(&o);
	unlink(path);
}

static void test_cmdline_limit(void)
{
	char err[256];
	char *line = malloc(TORO_CMDLINE_MAX + 1);
	memset(line, 'a', TORO_CMDLINE_MAX);
	line[TORO_CMDLINE_MAX] = '\0';
	CHECK(cmdline_check(line, err, sizeof(err)) == -1);
	CHECK(strstr(err, "too long") != NULL && strstr(err, "4095") != NULL);
	line[TORO_CMDLINE_MAX - 1] = '\0';
	CHECK(cmdline_check(line, err, sizeof(err)) == 0);
	free(line);
}

/* --name, --log, --quiet, --detach and --pin (tools/service.c, vmm/aps.c use them). */
static void test_service_options(void)
{
	struct run_options o;
	char err[256], line[256];
	CHECK(parse("img.elf --name web-1.a_b --log=out.log -q --detach", &o, err, sizeof(err)) ==
	      0);
	CHECK_STR(o.name, "web-1.a_b");
	CHECK_STR(o.log, "out.log");
	CHECK(o.quiet == 1 && o.detach == 1 && o.npin == 0);
	CHECK(run_name_valid("a") && run_name_valid("0a") && run_name_valid("x1-"));
	CHECK(!run_name_valid("") && !run_name_valid("42") && !run_name_valid("-x") &&
	      !run_name_valid("a b") && !run_name_valid("a/b") && !run_name_valid(".."));

	/* The CPUs this process may use, for pin lists that must be accepted. */
	cpu_set_t set;
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
	int cpu = 0;
	while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set))
		cpu++;
	snprintf(line, sizeof(line), "img.elf --cpus 3 -p %d,%d,%d-%d", cpu, cpu, cpu, cpu);
	CHECK(parse(line, &o, err, sizeof(err)) == 0);
	CHECK(o.npin == 3 && o.pin[0] == cpu && o.pin[1] == cpu && o.pin[2] == cpu);
	const char *bad[] = {
	    "img.elf --pin",      "img.elf --pin x",   "img.elf --pin 0,",
	    "img.elf --pin ,0",   "img.elf --pin 0-",  "img.elf --pin 1-0",
	    "img.elf --pin 4096", "img.elf --pin 0,0", "img.elf --cpus 2 --pin 0",
	    "img.elf --pin 0x1",  "img.elf --name 12", "img.elf --name",
	    "img.elf --name a:b", "img.elf --log",
	};
	check_refused(bad, sizeof(bad) / sizeof(bad[0]));
}

int main(void)
{
	test_split();
	test_quoting();
	test_sizes();
	test_run_options();
	test_kernel_cmdline();
	test_args_module();
	test_env_options();
	test_env_file();
	test_cmdline_limit();
	test_service_options();
	return check_summary("cmdline");
}
