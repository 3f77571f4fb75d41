/* virtio 1.2 wire formats shared by the kernel's drivers and the monitor's device models:
 * the virtio-mmio register layout (§4.2.2), device status and feature bits (§2.1, §6), split
 * virtqueues (§2.7) and the console device (§5.3). Self-contained; sizes checked. */
#ifndef TORO_ABI_VIRTIO_H
#define TORO_ABI_VIRTIO_H

#include <stdint.h>

/* §4.2.2 MMIO device register layout (version 2, "modern"). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000 /* "virt" */
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100
#define VIRTIO_MMIO_REGION_SIZE         0x1000 /* one device per 4 KiB page */

#define VIRTIO_MMIO_MAGIC          0x74726976u
#define VIRTIO_MMIO_VERSION_MODERN 2u

#define VIRTIO_MMIO_INT_VRING  0x1 /* used buffer notification */
#define VIRTIO_MMIO_INT_CONFIG 0x2 /* configuration change */

/* §5 device IDs. */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4
#define VIRTIO_ID_VSOCK   19
#define VIRTIO_ID_FS      26

/* §2.1 device status field. */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* §6 reserved feature bits (bit numbers). */
#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_EVENT_IDX       29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED     34
#define VIRTIO_F_IN_ORDER        35

/* §2.7 split virtqueues. Queue sizes are powers of two up to 32768. */
#define VIRTQ_MAX_SIZE 32768

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Followed in memory by ring[queue size] and, with VIRTIO_F_EVENT_IDX, used_event. */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id;  /* head of the descriptor chain */
	uint32_t len; /* bytes written into the chain's device-writable buffers */
};

/* Followed in memory by ring[queue size] and, with VIRTIO_F_EVENT_IDX, avail_event. */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");
_Static_assert(sizeof(struct virtq_avail) == 4, "virtq_avail layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem layout");
_Static_assert(sizeof(struct virtq_used) == 4, "virtq_used layout");

/* Bytes each part of a split queue of n entries takes (§2.7), with the event fields. */
#define VIRTQ_DESC_BYTES(n)  (16ul * (n))
#define VIRTQ_AVAIL_BYTES(n) (6ul + 2ul * (n))
#define VIRTQ_USED_BYTES(n)  (6ul + 8ul * (n))

/* §2.7.10: whether an event index asks for a notification after the index moved old -> new. */
static inline int virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* §5.3 console device. */
#define VIRTIO_CONSOLE_F_SIZE        0
#define VIRTIO_CONSOLE_F_MULTIPORT   1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

#define VIRTIO_CONSOLE_RX_QUEUE 0 /* port 0 receiveq */
#define VIRTIO_CONSOLE_TX_QUEUE 1 /* port 0 transmitq */
/* With MULTIPORT (§5.3.2): the control queues, then two queues per port from port 1 on. */
#define VIRTIO_CONSOLE_CTRL_RX_QUEUE 2
#define VIRTIO_CONSOLE_CTRL_TX_QUEUE 3
#define VIRTIO_CONSOLE_PORT_RXQ(p)   ((p) == 0 ? 0u : 2u * (p) + 2u)
#define VIRTIO_CONSOLE_PORT_TXQ(p)   ((p) == 0 ? 1u : 2u * (p) + 3u)

/* Toro's use of the ports (docs/architecture.md, "Console routing"): port 0 is the console
 * (kernel messages and the application's stderr), port 1 the application's stdout, port 2 its
 * stdin, whose end the device signals with PORT_OPEN 0. Without MULTIPORT everything is on
 * port 0 and there is no input. */
#define VIRTIO_CONSOLE_PORT_OUT 1
#define VIRTIO_CONSOLE_PORT_IN  2
#define VIRTIO_CONSOLE_PORTS    3

/* §5.3.6.2 control messages. */
struct virtio_console_control {
	uint32_t id; /* port number */
	uint16_t event;
	uint16_t value;
};
_Static_assert(sizeof(struct virtio_console_control) == 8, "console control layout");

#define VIRTIO_CONSOLE_DEVICE_READY 0
#define VIRTIO_CONSOLE_DEVICE_ADD   1
#define VIRTIO_CONSOLE_DEVICE_REMOVE 2
#define VIRTIO_CONSOLE_PORT_READY   3
#define VIRTIO_CONSOLE_CONSOLE_PORT 4
#define VIRTIO_CONSOLE_RESIZE       5
#define VIRTIO_CONSOLE_PORT_OPEN    6
#define VIRTIO_CONSOLE_PORT_NAME    7

struct virtio_console_config {
	uint16_t cols;
	uint16_t rows;
	uint32_t max_nr_ports;
	uint32_t emerg_wr;
};
_Static_assert(sizeof(struct virtio_console_config) == 12, "console config layout");

/* §5.10 socket device. */
#define VIRTIO_VSOCK_F_STREAM    0
#define VIRTIO_VSOCK_F_SEQPACKET 1

#define VIRTIO_VSOCK_RX_QUEUE    0
#define VIRTIO_VSOCK_TX_QUEUE    1
#define VIRTIO_VSOCK_EVENT_QUEUE 2

#define VSOCK_CID_HYPERVISOR 0
#define VSOCK_CID_LOCAL      1
#define VSOCK_CID_HOST       2
#define VSOCK_PORT_ANY       0xffffffffu

struct virtio_vsock_config {
	uint64_t guest_cid;
};
_Static_assert(sizeof(struct virtio_vsock_config) == 8, "vsock config layout");

/* Every packet starts with this header (little-endian, packed), followed by len bytes of
 * payload for VIRTIO_VSOCK_OP_RW. */
struct virtio_vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type; /* VIRTIO_VSOCK_TYPE_* */
	uint16_t op;   /* VIRTIO_VSOCK_OP_* */
	uint32_t flags;
	uint32_t buf_alloc; /* the sender's receive buffer size */
	uint32_t fwd_cnt;   /* bytes the sender has consumed from its receive buffer */
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_vsock_hdr) == 44, "vsock header layout");

#define VIRTIO_VSOCK_TYPE_STREAM    1
#define VIRTIO_VSOCK_TYPE_SEQPACKET 2

#define VIRTIO_VSOCK_OP_INVALID        0
#define VIRTIO_VSOCK_OP_REQUEST        1
#define VIRTIO_VSOCK_OP_RESPONSE       2
#define VIRTIO_VSOCK_OP_RST            3
#define VIRTIO_VSOCK_OP_SHUTDOWN       4
#define VIRTIO_VSOCK_OP_RW             5
#define VIRTIO_VSOCK_OP_CREDIT_UPDATE  6
#define VIRTIO_VSOCK_OP_CREDIT_REQUEST 7

/* flags of VIRTIO_VSOCK_OP_SHUTDOWN */
#define VIRTIO_VSOCK_SHUTDOWN_RCV  1 /* the sender will receive no more */
#define VIRTIO_VSOCK_SHUTDOWN_SEND 2 /* the sender will send no more */

/* The event queue's one event (§5.10.6.7). */
#define VIRTIO_VSOCK_EVENT_TRANSPORT_RESET 0
struct virtio_vsock_event {
	uint32_t id;
};
_Static_assert(sizeof(struct virtio_vsock_event) == 4, "vsock event layout");

/* §5.11 file system device. */
#define VIRTIO_FS_F_NOTIFICATION 0

#define VIRTIO_FS_HIPRIO_QUEUE  0
#define VIRTIO_FS_REQUEST_QUEUE 1 /* the first of num_request_queues */

struct virtio_fs_config {
	char tag[36]; /* UTF-8, NUL-padded, not necessarily NUL-terminated */
	uint32_t num_request_queues;
	/* notify_buf_size follows only with VIRTIO_FS_F_NOTIFICATION, which we do not offer */
};
_Static_assert(sizeof(struct virtio_fs_config) == 40, "virtio-fs config layout");

#endif
