/* The machine's devices (see board.h): which device sits at which port, MMIO slot and IRQ, how
 * virtio notifications and interrupts travel, the virtio console's terminal back end, and the
 * command-line words that tell the kernel where its virtio devices are; the vsock device's host
 * side is the muxer (backend/vsock.h), COM2's a listening socket (backend/serial_socket.h). */
#include "board.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <toro/abi/virtio.h>

#include "backend/term.h"
#include "error.h"

static void board_irq(void *ctx, unsigned irq)
{
	kvm_irq_pulse(ctx, irq);
}

/* Through an irqfd, if there is one: KVM raises and lowers the line per write (an edge, as
 * kvm_irq_pulse; our kernel's virtio-mmio driver wants edges). */
static void board_virtio_irq(void *ctx, unsigned irq)
{
	struct board_virtio *v = ctx;
	uint64_t one = 1;
	if (v->irq_fd < 0 || write(v->irq_fd, &one, sizeof(one)) != sizeof(one))
		kvm_irq_pulse(v->vm, irq);
}

/* The virtio console's back ends are the terminal: port 0 (the console) writes to stderr,
 * port 1 to stdout, each what its fd takes now and, when it is full, waiting for room on the
 * event thread; the vCPUs run on meanwhile. Port 2 reads stdin when it polls readable. */
static size_t board_console_write(void *ctx, const void *data, size_t len)
{
	struct board_console_out *o = ctx;
	if (!o->room) {
		/* A regular file or /dev/null: writes do not wait on a reader. */
		ssize_t n;
		do
			n = write(o->fd, data, len);
		while (n < 0 && errno == EINTR);
		return n > 0 ? (size_t)n : len;
	}
	return term_try_write(o->fd, data, len);
}

static void board_console_wait_room(void *ctx)
{
	struct board_console_out *o = ctx;
	event_arm_output(o->board->events, o->room);
}

static void board_console_room(void *ctx, uint32_t events)
{
	struct board_console_out *o = ctx;
	(void)events;
	pthread_mutex_lock(&o->board->console_dev->dev.lock);
	virtio_console_resume(&o->board->console_dev->dev);
	pthread_mutex_unlock(&o->board->console_dev->dev.lock);
}

static long board_console_read(void *ctx, void *buf, size_t len)
{
	(void)ctx;
	return term_read(buf, len);
}

static void board_console_wait_input(void *ctx)
{
	struct board *b = ctx;
	if (b->stdin_ready)
		event_arm_input(b->events, b->stdin_ready);
}

static void board_console_input(void *ctx, uint32_t events)
{
	struct board *b = ctx;
	(void)events;
	pthread_mutex_lock(&b->console_dev->dev.lock);
	virtio_console_input_ready(&b->console_dev->dev);
	pthread_mutex_unlock(&b->console_dev->dev.lock);
}

/* Puts a virtio device model on the next virtio-mmio slot (address and IRQ from layout.h). */
static struct virtio_mmio *board_add_virtio(struct board *b, struct kvm_vm *vm,
                                            const struct virtio_device_ops *ops, void *priv)
{
	if (b->nvirtio == LAYOUT_VIRTIO_MAX)
		return NULL;
	struct board_virtio *v = &b->virtio[b->nvirtio];
	uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + (uint64_t)b->nvirtio * LAYOUT_VIRTIO_MMIO_SIZE;
	unsigned irq = LAYOUT_VIRTIO_IRQ_BASE + (unsigned)b->nvirtio;
	v->vm = vm;
	v->irq_fd = -1;
	virtio_mmio_init(&v->mmio, ops, priv, &vm->mem, base, irq, board_virtio_irq, v);
	b->nvirtio++;
	if (bus_add(&b->mmio, base, LAYOUT_VIRTIO_MMIO_SIZE, virtio_mmio_read, virtio_mmio_write,
	            &v->mmio))
		return NULL;
	return &v->mmio;
}

int board_init(struct board *b, struct kvm_vm *vm, enum console_choice console,
               void (*stop)(void *ctx, int code), void *stop_ctx)
{
	bus_init(&b->pio, "port");
	bus_init(&b->mmio, "MMIO address");
	serial_init(&b->serial, term_output, NULL);
	serial_set_irq(&b->serial, board_irq, vm, SERIAL_COM1_IRQ);
	exitport_init(&b->exitport, stop, stop_ctx);
	int bad =
	    bus_add(&b->pio, SERIAL_COM1_PORT, SERIAL_PORTS, serial_read, serial_write, &b->serial);
	bad |= bus_add(&b->pio, EXITPORT_PORT, EXITPORT_PORT_LEN, exitport_read, exitport_write,
	               &b->exitport);
	bad |= bus_add(&b->pio, EXITPORT_I8042_PORT, 1, i8042_read, i8042_write, &b->exitport);
	bad |= bus_add(&b->pio, EXITPORT_DEBUGCON_PORT, 1, debugcon_read, debugcon_write,
	               &b->exitport);

	if (console == CONSOLE_VIRTIO) {
		/* The guest's stdout has our stdout to itself: COM1 (early boot lines, fault
		 * reports from before the virtio console is up) joins the console on stderr. */
		term_set_serial_fd(STDERR_FILENO);
		b->console_out[0] = (struct board_console_out){b, STDERR_FILENO, NULL};
		b->console_out[1] = (struct board_console_out){b, STDOUT_FILENO, NULL};
		const struct virtio_console_backend err = {board_console_write,
		                                           board_console_wait_room,
		                                           &b->console_out[0]};
		const struct virtio_console_backend out = {board_console_write,
		                                           board_console_wait_room,
		                                           &b->console_out[1]};
		const struct virtio_console_input in = {board_console_read, board_console_wait_input,
		                                        b};
		virtio_console_init_multiport(&b->console, &err, &out, &in);
		b->console_dev = board_add_virtio(b, vm, &virtio_console_multiport_ops, &b->console);
		bad |= !b->console_dev;
	}
	return bad ? -1 : 0;
}

int board_add_vsock(struct board *b, struct kvm_vm *vm, const struct vsock_config *cfg, char *err,
                    size_t errlen)
{
	b->vsock_muxer = vsock_muxer_open(cfg, err, errlen);
	if (!b->vsock_muxer)
		return -1;
	struct virtio_vsock_backend be;
	vsock_muxer_backend(b->vsock_muxer, &be);
	virtio_vsock_init(&b->vsock, cfg->guest_cid, &be);
	b->vsock_dev = board_add_virtio(b, vm, &virtio_vsock_ops, &b->vsock);
	if (!b->vsock_dev)
		return error_set(err, errlen, "no virtio slot left for the vsock device");
	return 0;
}

int board_add_gdb(struct board *b, struct kvm_vm *vm, int listen_fd, char *err, size_t errlen)
{
	int fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, errlen, "--gdb: %s", strerror(errno));
	b->gdb = serial_socket_open(fd, err, errlen);
	if (!b->gdb) {
		close(fd);
		return -1;
	}
	serial_socket_connect_uart(b->gdb, &b->com2);
	serial_set_irq(&b->com2, board_irq, vm, SERIAL_COM2_IRQ);
	if (bus_add(&b->pio, SERIAL_COM2_PORT, SERIAL_PORTS, serial_read, serial_write, &b->com2))
		return error_set(err, errlen, "--gdb: COM2's ports are taken (a bug)");
	return 0;
}

void board_close(struct board *b)
{
	serial_socket_close(b->gdb);
	b->gdb = NULL;
	vsock_muxer_close(b->vsock_muxer);
	b->vsock_muxer = NULL;
	for (int i = 0; i < b->nshares; i++)
		fuse_server_close(b->fs[i].server);
	b->nshares = 0;
}

int board_add_shares(struct board *b, struct kvm_vm *vm, const struct share *shares, int n,
                     char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		char tag[SHARE_TAG_LEN], why[256];
		struct fuse_server *server =
		    fuse_server_open(shares[i].dir, shares[i].writable, NULL, why, sizeof(why));
		if (!server)
			return error_set(err, errlen, "--share %s: %s", shares[i].dir, why);
		share_tag(i, tag, sizeof(tag));
		if (virtio_fs_init(&b->fs[i], server, tag) ||
		    !board_add_virtio(b, vm, &virtio_fs_ops, &b->fs[i])) {
			fuse_server_close(server);
			return error_set(err, errlen, "--share %s: no virtio slot left", shares[i].dir);
		}
		b->nshares++;
	}
	return 0;
}

static void board_queue_notified(void *ctx, uint32_t events)
{
	struct board_notify *n = ctx;
	uint64_t count;
	(void)events;
	if (read(n->fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	virtio_mmio_queue_notify(n->dev, n->queue);
}

/* One eventfd per queue, matched on the queue index written to QueueNotify. */
static int board_connect_notify(struct board *b, struct board_virtio *v, char *err, size_t errlen)
{
	for (unsigned q = 0; q < v->mmio.dev.ops->num_queues; q++) {
		struct board_notify *n = &v->notify[q];
		n->dev = &v->mmio;
		n->queue = q;
		n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->fd < 0)
			return error_set(err, errlen, "eventfd: %s", strerror(errno));
		if (kvm_ioeventfd(v->vm, n->fd, v->mmio.base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, q, err,
		                  errlen))
			return -1;
		if (!event_add_input(b->events, n->fd, board_queue_notified, n))
			return error_set(err, errlen, "epoll_ctl (queue notification): %s",
			                 strerror(errno));
		b->ioeventfds++;
	}
	return 0;
}

static int board_connect_irq(struct board *b, struct board_virtio *v, char *err, size_t errlen)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return error_set(err, errlen, "eventfd: %s", strerror(errno));
	if (kvm_irqfd(v->vm, fd, v->mmio.irq, err, errlen)) {
		close(fd);
		return -1;
	}
	v->irq_fd = fd;
	b->irqfds++;
	return 0;
}

int board_connect(struct board *b, struct event_loop *ev, char *err, size_t errlen)
{
	b->events = ev;
	/* A file or /dev/null cannot be polled (EPERM), and writes to it do not wait; nor can a
	 * closed stdout, whose writes fail at once. Either way the console just writes. Nor
	 * can such a stdin, which is always readable (a closed one reads as empty). */
	if (b->console_dev) {
		for (int i = 0; i < 2; i++)
			b->console_out[i].room = event_add_output(ev, b->console_out[i].fd,
			                                          board_console_room,
			                                          &b->console_out[i]);
		b->stdin_ready = event_add(ev, STDIN_FILENO, EPOLLONESHOT, board_console_input, b);
	}
	if (b->gdb && serial_socket_attach(b->gdb, ev, err, errlen))
		return -1;
	if (b->vsock_muxer &&
	    vsock_muxer_attach(b->vsock_muxer, &b->vsock_dev->dev, ev, err, errlen))
		return -1;
	for (int i = 0; i < b->nvirtio; i++) {
		struct board_virtio *v = &b->virtio[i];
		if (kvm_has(v->vm, KVM_CAP_IOEVENTFD) && board_connect_notify(b, v, err, errlen))
			return -1;
		if (kvm_has(v->vm, KVM_CAP_IRQFD) && board_connect_irq(b, v, err, errlen))
			return -1;
	}
	return 0;
}

void board_cmdline_words(const struct board *b, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < b->nvirtio && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%svirtio_mmio.device=%lluK@%#llx:%u",
		                      i ? " " : "", LAYOUT_VIRTIO_MMIO_SIZE >> 10,
		                      (unsigned long long)b->virtio[i].mmio.base,
		                      b->virtio[i].mmio.irq);
}
