/* `toro new NAME [--posix|--native] [--web]`: a starter project in the new directory NAME that
 * builds and runs as it is: main.c, a README with the commands, and for --web the example web
 * server (examples/webserver-posix with the HTTP code of examples/webserver, carried by the tool:
 * tools/new_web.c; an ordinary POSIX program, TCP on Linux, vsock through --forward in Toro) with
 * a www/ it serves. The files are the templates below with the project's name put in. */
#include "toro.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum project_kind { PROJECT_POSIX, PROJECT_NATIVE, PROJECT_WEB };

static const char posix_main[] =
    "/* @NAME@: a Toro application. An ordinary C program: it also builds and runs on Linux\n"
    " * with `cc main.c`. */\n"
    "#include <stdio.h>\n"
    "\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "\tprintf(\"Hello from @NAME@!\\n\");\n"
    "\tfor (int i = 1; i < argc; i++)\n"
    "\t\tprintf(\"argument %d: %s\\n\", i, argv[i]);\n"
    "\treturn 0;\n"
    "}\n";

static const char native_main[] =
    "/* @NAME@: a native Toro application: it calls the kernel's API (include/toro/) and links\n"
    " * no libc. */\n"
    "#include <toro/console.h>\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "\ttoro_printf(\"Hello from @NAME@!\\n\");\n"
    "\treturn 0;\n"
    "}\n";

/* The web project's server: examples/webserver-posix's main.c (its opening comment replaced by
 * web_header, and its name by the project's) with the HTTP code both example servers share
 * (tools/new_web.c). */
extern const char new_web_main[], new_web_http_c[], new_web_http_h[];

static const char web_header[] =
    "/* @NAME@: a static web server, Toro's examples/webserver-posix as `toro new --web` wrote "
    "it:\n"
    " * HTTP/1.1 with keep-alive, GET and HEAD, ranges, conditional GET and a thread per\n"
    " * connection, over the HTTP code of http.c. An ordinary POSIX program: in Toro its TCP "
    "socket\n"
    " * is a vsock port that `toro run -f HOSTPORT:80` forwards; on Linux,\n"
    " * `cc -O2 -pthread -o server *.c && ./server 8080 www` serves over TCP.\n"
    " *\n"
    " *   @NAME@ [--no-log] [PORT [ROOT]]\n"
    " *\n"
    " * PORT is 80 by default (0: a free one), ROOT \".\"; --no-log leaves out the access log. "
    "*/\n";

static const char web_index[] = "<!DOCTYPE html>\n"
                                "<html><head><title>@NAME@</title></head>\n"
                                "<body><h1>@NAME@</h1><p>Served by Toro.</p></body></html>\n";

static const char readme_head[] = "# @NAME@\n"
                                  "\n"
                                  "A Toro application made by `toro new`. Build it and run it:\n"
                                  "\n";

static const char readme_posix[] = "    toro build @DIR@                  # makes @NAME@.elf\n"
                                   "    toro run @NAME@.elf -- arg1 arg2\n"
                                   "\n"
                                   "main.c is an ordinary C program: `cc main.c` builds it for "
                                   "Linux too.\n";

static const char readme_native[] =
    "    toro build --native --no-fpu @DIR@   # makes @NAME@.elf\n"
    "    toro run @NAME@.elf\n"
    "\n"
    "main.c uses the kernel's own API (`include/toro/`), no libc. `--no-fpu` lets a software\n"
    "KVM (such as kvm_pvm) run it in the built-in monitor; leave it out to use floating point.\n";

static const char readme_web[] =
    "    toro build @DIR@                                # makes @NAME@.elf\n"
    "    toro run @NAME@.elf -d @DIR@/www -f 8080:80      # then: curl localhost:8080/\n"
    "\n"
    "`-d` shares www/ with the guest (its `/`), `-f` forwards the host's port 8080 to the\n"
    "server's port 80. It logs a line per request; `-- --no-log` after the run options turns\n"
    "that off. The server is Toro's examples/webserver-posix: main.c (sockets, poll, sendfile,\n"
    "a thread per connection) over http.c and http.h (the HTTP/1.1 code, shared with the\n"
    "native examples/webserver). An ordinary POSIX program: on Linux,\n"
    "`cc -O2 -pthread -o server *.c && ./server 8080 www` serves the same files.\n";

/* Writes text to dir/file with every @NAME@ replaced by name and @DIR@ by dir, and, where
 * rename_from is given, every occurrence of it in the parts after the first by name too. */
static int write_file(const char *dir, const char *file, const char *name, const char *const *parts,
                      int nparts, const char *rename_from)
{
	size_t rename_len = rename_from ? strlen(rename_from) : 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "wx");
	if (!f) {
		toro_error("new: %s: %s", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < nparts; i++) {
		for (const char *p = parts[i]; *p;) {
			if (strncmp(p, "@NAME@", 6) == 0) {
				fputs(name, f);
				p += 6;
			} else if (strncmp(p, "@DIR@", 5) == 0) {
				fputs(dir, f);
				p += 5;
			} else if (i > 0 && rename_len &&
			           strncmp(p, rename_from, rename_len) == 0) {
				fputs(name, f);
				p += rename_len;
			} else {
				fputc(*p++, f);
			}
		}
	}
	if (fclose(f)) {
		toro_error("new: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_template(const char *dir, const char *file, const char *name,
                          const char *const *parts, int nparts)
{
	return write_file(dir, file, name, parts, nparts, NULL);
}

/* The web server's files: main.c after its opening comment (the examples' paths mean nothing in
 * a project), under web_header, with the program's name the project's; http.c and http.h as
 * they are. */
static int write_web_server(const char *dir, const char *name)
{
	const char *body = strstr(new_web_main, " */\n");
	if (strncmp(new_web_main, "/*", 2) != 0 || !body) {
		toro_error(
		    "new: the web server's main.c built into this toro has no opening comment");
		return -1;
	}
	const char *main_c[] = {web_header, body + 4};
	const char *http_c = new_web_http_c, *http_h = new_web_http_h;
	if (write_file(dir, "main.c", name, main_c, 2, "webserver-posix") ||
	    write_file(dir, "http.c", name, &http_c, 1, NULL) ||
	    write_file(dir, "http.h", name, &http_h, 1, NULL))
		return -1;
	return 0;
}

static int create_project(const char *dir, const char *name, enum project_kind kind)
{
	if (mkdir(dir, 0777)) {
		toro_error("new: %s: %s", dir, strerror(errno));
		return TORO_EXIT_USAGE;
	}
	const char *main_c = kind == PROJECT_NATIVE ? native_main : posix_main;
	const char *how = kind == PROJECT_NATIVE ? readme_native
	                  : kind == PROJECT_WEB  ? readme_web
	                                         : readme_posix;
	const char *readme[] = {readme_head, how};
	if ((kind == PROJECT_WEB ? write_web_server(dir, name)
	                         : write_template(dir, "main.c", name, &main_c, 1)) ||
	    write_template(dir, "README.md", name, readme, 2))
		return 1;
	if (kind == PROJECT_WEB) {
		char www[4096];
		snprintf(www, sizeof(www), "%s/www", dir);
		const char *index = web_index;
		if (mkdir(www, 0777)) {
			toro_error("new: %s: %s", www, strerror(errno));
			return 1;
		}
		if (write_template(www, "index.html", name, &index, 1))
			return 1;
	}
	printf("created %s (%s); build and run it:\n", dir,
	       kind == PROJECT_NATIVE ? "native"
	       : kind == PROJECT_WEB  ? "web server"
	                              : "POSIX");
	const char *build = kind == PROJECT_NATIVE ? "--native --no-fpu " : "";
	const char *run = kind == PROJECT_WEB ? " -d DIR/www -f 8080:80" : "";
	printf("    toro build %s%s\n    toro run %s.elf", build, dir, name);
	for (const char *p = run; *p; p++) {
		if (strncmp(p, "DIR", 3) == 0) {
			fputs(dir, stdout);
			p += 2;
		} else {
			putchar(*p);
		}
	}
	putchar('\n');
	return 0;
}

int toro_new(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "new");
		return 0;
	}
	const char *dir = NULL;
	int native = 0, posix = 0, web = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--native") == 0)
			native = 1;
		else if (strcmp(argv[i], "--posix") == 0)
			posix = 1;
		else if (strcmp(argv[i], "--web") == 0)
			web = 1;
		else if (argv[i][0] == '-') {
			toro_error("new: unknown option '%s'", argv[i]);
			return TORO_EXIT_USAGE;
		} else if (dir) {
			toro_error("new: one project at a time ('%s' and '%s')", dir, argv[i]);
			return TORO_EXIT_USAGE;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		toro_error("new: no project name given (toro new NAME [--posix|--native] [--web])");
		return TORO_EXIT_USAGE;
	}
	if (native && posix) {
		toro_error("new: --native or --posix, not both");
		return TORO_EXIT_USAGE;
	}
	if (native && web) {
		toro_error("new: --web makes a POSIX program (a server on sockets); leave out "
		           "--native");
		return TORO_EXIT_USAGE;
	}
	/* The name goes into C strings, HTML and file names: kept to plain characters. */
	size_t len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	const char *base = dir + len;
	while (base > dir && base[-1] != '/')
		base--;
	char name[80];
	snprintf(name, sizeof(name), "%.*s", (int)(dir + len - base), base);
	if (len != strlen(dir) || !run_name_valid(name)) {
		toro_error("new: '%s': the name must be 1 to 64 letters, digits, '_', '.' or '-', "
		           "starting with a letter or digit, not all digits",
		           dir);
		return TORO_EXIT_USAGE;
	}
	return create_project(dir, name,
	                      native ? PROJECT_NATIVE
	                      : web  ? PROJECT_WEB
	                             : PROJECT_POSIX);
}
