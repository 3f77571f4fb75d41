/* Linux socket calls over the guest's vsock sockets (kernel/sys/socket*.c on kernel/net/): an
 * ordinary TCP echo server (the same source builds and runs on Linux) and a connect to a host
 * port nobody listens on. tests/e2e/vsock-posix.sh plays the host's side.
 *   echo PORT N      AF_INET server on PORT: N connections, one after another, echoed to the end
 *   refused PORT     AF_VSOCK connect to the host's PORT: expects ECONNREFUSED
 *   nodevice         with no vsock device: socket() works, listen says ENODEV */
// BUILD:
// CASE: nodevice | -- nodevice | 0 | ^listen: No such device$ && ^done$
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct vsock_addr { /* struct sockaddr_vm, without <linux/vm_sockets.h> */
	unsigned short family;
	unsigned short reserved;
	unsigned int port;
	unsigned int cid;
	unsigned char zero[4];
};

static int echo(int port, int n)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 16)) {
		printf("FAIL listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		int c = accept(l, NULL, NULL);
		if (c < 0) {
			printf("FAIL accept: %s\n", strerror(errno));
			return 1;
		}
		char buf[8192];
		long total = 0;
		ssize_t r;
		while ((r = read(c, buf, sizeof(buf))) > 0) {
			if (write(c, buf, (size_t)r) != r) {
				printf("FAIL write: %s\n", strerror(errno));
				return 1;
			}
			total += r;
		}
		if (r < 0) {
			printf("FAIL read: %s\n", strerror(errno));
			return 1;
		}
		close(c);
		printf("echoed %ld\n", total);
	}
	close(l);
	return 0;
}

static int refused(int port)
{
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	struct vsock_addr a = {.family = AF_VSOCK, .port = (unsigned)port, .cid = 2};
	if (s < 0) {
		printf("FAIL socket: %s\n", strerror(errno));
		return 1;
	}
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != ECONNREFUSED) {
		printf("FAIL connect: %s\n", strerror(errno));
		return 1;
	}
	printf("refused\n");
	close(s);
	return 0;
}

static int nodevice(void)
{
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (s < 0) {
		printf("FAIL socket: %s\n", strerror(errno));
		return 1;
	}
	if (listen(s, 1) == 0)
		printf("listen: succeeded\n");
	else
		printf("listen: %s\n", strerror(errno));
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;
	if (argc > 1 && strcmp(argv[1], "nodevice") == 0)
		r = nodevice();
	else if (argc > 3 && strcmp(argv[1], "echo") == 0)
		r = echo(atoi(argv[2]), atoi(argv[3]));
	else if (argc > 2 && strcmp(argv[1], "refused") == 0)
		r = refused(atoi(argv[2]));
	else
		printf("FAIL usage\n");
	printf("done\n");
	return r;
}
