/* A serial port's far end on a listening socket (COM2 for `toro run --gdb`): one client at a time
 * (a second connection is closed at once; once the client goes, the next may connect), bytes it
 * sends kept in a bounded buffer for the guest to read through RBR, bytes the guest transmits
 * kept in another and sent on the event thread without blocking; the UART is told when data
 * arrives (its receive interrupt). When the client is slow the buffer fills and the port says
 * it has no room (LSR THRE clear), so a guest that polls LSR loses nothing; while no client is
 * connected what the guest transmits is dropped, as QEMU's socket chardev does. The guest never
 * makes it hold more than the two buffers. */
#ifndef VMM_BACKEND_SERIAL_SOCKET_H
#define VMM_BACKEND_SERIAL_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "dev/serial.h"
#include "event.h"

#define SERIAL_SOCKET_BUF 4096 /* bytes each way */

struct serial_socket;

/* Takes over listen_fd, a bound and listening stream socket (TCP or Unix). Returns the back
 * end, or NULL with one line in err. */
struct serial_socket *serial_socket_open(int listen_fd, char *err, size_t errlen);

/* Gives a UART its output callback and line (serial_init, serial_set_line); its interrupt
 * (serial_set_irq) is the caller's to set, after this. */
void serial_socket_connect_uart(struct serial_socket *ss, struct serial *uart);

/* Before the event loop runs: watches the listener (and from then on the client) on ev.
 * Returns 0, or -1 with one line in err. */
int serial_socket_attach(struct serial_socket *ss, struct event_loop *ev, char *err, size_t errlen);

/* The loop no longer runs: closes the client and the listener and frees ss (NULL: nothing). */
void serial_socket_close(struct serial_socket *ss);

/* What the UART side calls (serial_socket_connect_uart wires them; the unit tests call them
 * directly): output takes what the guest transmitted, status and receive as in struct
 * serial_line. */
void serial_socket_output(void *ctx, const void *data, size_t len);
unsigned serial_socket_status(void *ctx);
int serial_socket_receive(void *ctx);

#endif
