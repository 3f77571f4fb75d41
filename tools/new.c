/* `toro new NAME [--posix|--native] [--web]`: a starter project in the new directory NAME that
 * builds and runs as it is: main.c, a README with the commands, and for --web a small HTTP
 * server (an ordinary POSIX program: TCP on Linux, vsock through --forward in Toro) with a www/
 * it serves. The files are the templates below with the project's name put in. */
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

static const char web_main[] =
    "/* @NAME@: a small web server, an ordinary POSIX program. It serves the files under ROOT\n"
    " * (argv[1], default /) on TCP port PORT (argv[2], default 80), one request per connection:\n"
    " * GET and HEAD, index.html for a directory, 403 for paths with \"..\", 404 for the rest.\n"
    " * In Toro its socket is a vsock port that `toro run -f HOSTPORT:80` forwards; on Linux:\n"
    " * cc -o server main.c && ./server www 8080. */\n"
    "#include <fcntl.h>\n"
    "#include <netinet/in.h>\n"
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include <sys/socket.h>\n"
    "#include <sys/stat.h>\n"
    "#include <unistd.h>\n"
    "\n"
    "static int write_all(int fd, const char *buf, size_t len)\n"
    "{\n"
    "\twhile (len > 0) {\n"
    "\t\tssize_t n = write(fd, buf, len);\n"
    "\t\tif (n <= 0)\n"
    "\t\t\treturn -1;\n"
    "\t\tbuf += n;\n"
    "\t\tlen -= (size_t)n;\n"
    "\t}\n"
    "\treturn 0;\n"
    "}\n"
    "\n"
    "static const char *content_type(const char *path)\n"
    "{\n"
    "\tstatic const char *types[][2] = {\n"
    "\t    {\".html\", \"text/html\"}, {\".css\", \"text/css\"}, {\".js\", \"text/javascript\"},\n"
    "\t    {\".png\", \"image/png\"},  {\".jpg\", \"image/jpeg\"}, {\".txt\", \"text/plain\"},\n"
    "\t};\n"
    "\tconst char *dot = strrchr(path, '.');\n"
    "\tfor (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)\n"
    "\t\tif (strcmp(dot, types[i][0]) == 0)\n"
    "\t\t\treturn types[i][1];\n"
    "\treturn \"application/octet-stream\";\n"
    "}\n"
    "\n"
    "static void reply(int c, const char *status, const char *type, long long length)\n"
    "{\n"
    "\tchar head[256];\n"
    "\tint n = snprintf(head, sizeof(head),\n"
    "\t                 \"HTTP/1.1 %s\\r\\nContent-Type: %s\\r\\nContent-Length: %lld\\r\\n\"\n"
    "\t                 \"Connection: close\\r\\n\\r\\n\",\n"
    "\t                 status, type, length);\n"
    "\twrite_all(c, head, (size_t)n);\n"
    "}\n"
    "\n"
    "static void error_page(int c, const char *status)\n"
    "{\n"
    "\treply(c, status, \"text/plain\", (long long)strlen(status) + 1);\n"
    "\twrite_all(c, status, strlen(status));\n"
    "\twrite_all(c, \"\\n\", 1);\n"
    "}\n"
    "\n"
    "static void serve(int c, const char *root)\n"
    "{\n"
    "\tchar req[2048], method[8], path[1024], file[1200];\n"
    "\tsize_t got = 0;\n"
    "\twhile (got < sizeof(req) - 1) {\n"
    "\t\tssize_t n = read(c, req + got, sizeof(req) - 1 - got);\n"
    "\t\tif (n <= 0)\n"
    "\t\t\treturn;\n"
    "\t\tgot += (size_t)n;\n"
    "\t\treq[got] = '\\0';\n"
    "\t\tif (strstr(req, \"\\r\\n\\r\\n\"))\n"
    "\t\t\tbreak;\n"
    "\t}\n"
    "\tif (sscanf(req, \"%7s %1023s\", method, path) != 2 || path[0] != '/')\n"
    "\t\treturn error_page(c, \"400 Bad Request\");\n"
    "\tint head = strcmp(method, \"HEAD\") == 0;\n"
    "\tif (!head && strcmp(method, \"GET\") != 0)\n"
    "\t\treturn error_page(c, \"405 Method Not Allowed\");\n"
    "\tif (strstr(path, \"..\"))\n"
    "\t\treturn error_page(c, \"403 Forbidden\");\n"
    "\tpath[strcspn(path, \"?\")] = '\\0';\n"
    "\tsnprintf(file, sizeof(file), \"%s%s%s\", root, path,\n"
    "\t         path[strlen(path) - 1] == '/' ? \"index.html\" : \"\");\n"
    "\tint fd = open(file, O_RDONLY);\n"
    "\tstruct stat st;\n"
    "\tif (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {\n"
    "\t\tif (fd >= 0)\n"
    "\t\t\tclose(fd);\n"
    "\t\treturn error_page(c, \"404 Not Found\");\n"
    "\t}\n"
    "\treply(c, \"200 OK\", content_type(file), (long long)st.st_size);\n"
    "\tchar buf[16384];\n"
    "\tssize_t n;\n"
    "\twhile (!head && (n = read(fd, buf, sizeof(buf))) > 0 && write_all(c, buf, (size_t)n) == 0)\n"
    "\t\t;\n"
    "\tclose(fd);\n"
    "\tprintf(\"%s %s 200\\n\", method, path);\n"
    "}\n"
    "\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "\tconst char *root = argc > 1 ? argv[1] : \"/\";\n"
    "\tint port = argc > 2 ? atoi(argv[2]) : 80;\n"
    "\tif (strcmp(root, \"/\") == 0)\n"
    "\t\troot = \"\"; /* paths start with '/' */\n"
    "\tint s = socket(AF_INET, SOCK_STREAM, 0);\n"
    "\tint one = 1;\n"
    "\tsetsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));\n"
    "\tstruct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned "
    "short)port)};\n"
    "\tif (s < 0 || bind(s, (struct sockaddr *)&addr, sizeof(addr)) || listen(s, 16)) {\n"
    "\t\tperror(\"@NAME@: port\");\n"
    "\t\treturn 1;\n"
    "\t}\n"
    "\tprintf(\"@NAME@ serving %s on port %d\\n\", *root ? root : \"/\", port);\n"
    "\tfflush(stdout);\n"
    "\tfor (;;) {\n"
    "\t\tint c = accept(s, NULL, NULL);\n"
    "\t\tif (c < 0)\n"
    "\t\t\tcontinue;\n"
    "\t\tserve(c, root);\n"
    "\t\tclose(c);\n"
    "\t\tfflush(stdout);\n"
    "\t}\n"
    "}\n";

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
    "server's port 80. main.c is an ordinary POSIX program: on Linux,\n"
    "`cc -o server main.c && ./server www 8080` serves the same files.\n";

/* Writes text to dir/file with every @NAME@ replaced by name and @DIR@ by dir. */
static int write_template(const char *dir, const char *file, const char *name,
                          const char *const *parts, int nparts)
{
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

static int create_project(const char *dir, const char *name, enum project_kind kind)
{
	if (mkdir(dir, 0777)) {
		toro_error("new: %s: %s", dir, strerror(errno));
		return TORO_EXIT_USAGE;
	}
	const char *main_c = kind == PROJECT_NATIVE ? native_main
	                     : kind == PROJECT_WEB  ? web_main
	                                            : posix_main;
	const char *how = kind == PROJECT_NATIVE ? readme_native
	                  : kind == PROJECT_WEB  ? readme_web
	                                         : readme_posix;
	const char *readme[] = {readme_head, how};
	if (write_template(dir, "main.c", name, &main_c, 1) ||
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
