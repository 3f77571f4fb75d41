/* `toro run --gdb`: the socket gdb connects to, bound by the tool before either monitor starts
 * (so a port in use is one line and exit 2 whichever runs the guest, and --detach reports it
 * before going to the background), and the command that attaches gdb. The built-in monitor
 * serves it as COM2 (vmm/backend/serial_socket.c); QEMU gets it as a chardev's fd (qemu.c).
 * With vsock:PORT the stub listens on the guest's vsock port and a --forward of the vsock
 * device (options.c) carries 127.0.0.1:PORT there, in either monitor. The
 * command names 127.0.0.1, where the socket listens, rather than gdb's default "localhost", which
 * may mean ::1 first or nothing at all (no /etc/hosts). */
#include "toro.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "error.h"

static int gdb_listen_tcp(struct gdb_listener *g, char *err, size_t errlen)
{
	char name[32];
	snprintf(name, sizeof(name), g->vsock ? "vsock:%u" : "%u", g->port);
	g->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		return error_set(err, errlen, "--gdb %s: socket: %s", name, strerror(errno));
	int one = 1;
	setsockopt(g->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	if (bind(g->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(g->fd, 1) < 0) {
		if (errno == EADDRINUSE)
			return error_set(err, errlen, "--gdb %s: port %u is in use", name, g->port);
		return error_set(err, errlen, "--gdb %s: %s", name, strerror(errno));
	}
	if (getsockname(g->fd, (struct sockaddr *)&a, &len) == 0)
		g->port = ntohs(a.sin_port);
	return 0;
}

static int gdb_listen_unix(struct gdb_listener *g, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(g->path) >= sizeof(a.sun_path))
		return error_set(err, errlen,
		                 "--gdb unix:%s: socket path too long (at most %zu bytes)", g->path,
		                 sizeof(a.sun_path) - 1);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", g->path);
	struct stat st;
	if (lstat(g->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(err, errlen, "--gdb unix:%s: exists and is not a socket",
			                 g->path);
		/* A socket someone still listens on is in use; one no one answers is stale. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int live = probe >= 0 && connect(probe, (struct sockaddr *)&a, sizeof(a)) == 0;
		if (probe >= 0)
			close(probe);
		if (live)
			return error_set(err, errlen, "--gdb unix:%s: in use by another program",
			                 g->path);
		unlink(g->path);
	}
	g->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		return error_set(err, errlen, "--gdb unix:%s: socket: %s", g->path,
		                 strerror(errno));
	if (bind(g->fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return error_set(err, errlen, "--gdb unix:%s: %s", g->path, strerror(errno));
	g->path_bound = 1;
	if (listen(g->fd, 1) < 0)
		return error_set(err, errlen, "--gdb unix:%s: %s", g->path, strerror(errno));
	return 0;
}

int gdb_listen(struct gdb_listener *g, char *err, size_t errlen)
{
	int rc = g->path ? gdb_listen_unix(g, err, errlen) : gdb_listen_tcp(g, err, errlen);
	/* vsock: the forward listens (vmm/backend/vsock.c); the port was only tried here, so that
	 * one in use is the same line in either monitor and before --detach. */
	if (rc || g->vsock)
		gdb_close(g, 1);
	return rc;
}

void gdb_kernel_word(const struct gdb_listener *g, char *buf, size_t len)
{
	if (g->vsock)
		snprintf(buf, len, "toro.gdb=vsock:%u", g->vsock);
	else
		snprintf(buf, len, "toro.gdb=com2");
}

/* word, quoted for a POSIX shell where it needs it. */
static void gdb_print_shell_word(FILE *f, const char *word)
{
	if (*word && strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "0123456789_-./+,:@%=") == strlen(word)) {
		fputs(word, f);
		return;
	}
	fputc('\'', f);
	for (const char *p = word; *p; p++)
		if (*p == '\'')
			fputs("'\\''", f);
		else
			fputc(*p, f);
	fputc('\'', f);
}

/* The vsock line through the device's Unix socket as well (--vsock PATH), which is how it goes
 * in Firecracker: gdb runs this very tool as its line. */
static void gdb_print_vsock_connect(const struct gdb_listener *g, const char *image,
                                    const char *vsock_path)
{
	char self[PATH_MAX], *target = NULL;
	size_t len = 0;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		snprintf(self, sizeof(self), "toro");
	else
		self[n] = '\0';
	/* gdb runs the command after '|' with the shell: its words are quoted too. */
	FILE *m = open_memstream(&target, &len);
	if (!m)
		return;
	fputs("target remote | ", m);
	gdb_print_shell_word(m, self);
	fputs(" vsock-connect ", m);
	gdb_print_shell_word(m, vsock_path);
	fprintf(m, " %u", g->vsock);
	if (fclose(m) == 0) {
		fprintf(stderr, "toro: or through %s: gdb ", vsock_path);
		gdb_print_shell_word(stderr, image);
		fputs(" -ex ", stderr);
		gdb_print_shell_word(stderr, target);
		fputc('\n', stderr);
	}
	free(target);
}

void gdb_print_attach(const struct gdb_listener *g, const char *image, const char *vsock_path)
{
	char target[sizeof(((struct sockaddr_un *)0)->sun_path) + 32];
	if (g->path)
		snprintf(target, sizeof(target), "target remote %s", g->path);
	else
		snprintf(target, sizeof(target), "target remote 127.0.0.1:%u", g->port);
	fputs("toro: the guest waits for gdb; attach with: gdb ", stderr);
	gdb_print_shell_word(stderr, image);
	fputs(" -ex ", stderr);
	gdb_print_shell_word(stderr, target);
	fputc('\n', stderr);
	if (g->vsock && vsock_path)
		gdb_print_vsock_connect(g, image, vsock_path);
}

void gdb_close(struct gdb_listener *g, int remove)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	if (remove && g->path_bound)
		unlink(g->path);
	g->path_bound = 0;
}
