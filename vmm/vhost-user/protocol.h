/* The vhost-user wire format (QEMU's docs/interop/vhost-user.rst): a 12-byte header (request,
 * flags, payload size) then the payload, native byte order, file descriptors in SCM_RIGHTS
 * ancillary data. Only what the server speaks is named here; sizes are checked below. */
#ifndef VMM_VHOST_USER_PROTOCOL_H
#define VMM_VHOST_USER_PROTOCOL_H

#include <stdint.h>

/* Front-end requests. */
enum vhost_user_request {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_GET_CONFIG = 24,
	VHOST_USER_SET_CONFIG = 25,
	VHOST_USER_RESET_DEVICE = 34,
	VHOST_USER_GET_MAX_MEM_SLOTS = 36,
	VHOST_USER_REQUEST_MAX = 41, /* one past the last request the spec defines (GET_STATUS) */
};

/* Header flags. */
#define VHOST_USER_VERSION_MASK 0x3u
#define VHOST_USER_VERSION      0x1u
#define VHOST_USER_REPLY        (1u << 2)
#define VHOST_USER_NEED_REPLY   (1u << 3)

/* The virtio feature bit (a reserved one) that says the back end speaks protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

/* Protocol features. */
#define VHOST_USER_PROTOCOL_F_MQ           0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK    3
#define VHOST_USER_PROTOCOL_F_CONFIG       9
#define VHOST_USER_PROTOCOL_F_RESET_DEVICE 13

/* What the server speaks. */
#define VHOST_USER_PROTOCOL_FEATURES                                                               \
	((1ull << VHOST_USER_PROTOCOL_F_MQ) | (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK) |          \
	 (1ull << VHOST_USER_PROTOCOL_F_CONFIG) | (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE))

/* SET_VRING_KICK/CALL/ERR payload: bits 0-7 the ring, bit 8 "no file descriptor". */
#define VHOST_USER_VRING_INDEX_MASK 0xffull
#define VHOST_USER_VRING_NOFD       (1ull << 8)

/* SET_VRING_ADDR flags: dirty logging of the used ring (migration; never offered here). */
#define VHOST_VRING_F_LOG 1u

/* Memory table entries a front end may send without CONFIGURE_MEM_SLOTS
 * (VHOST_MEMORY_BASELINE_NREGIONS), and the most descriptors one message carries. */
#define VHOST_USER_MAX_REGIONS 8
#define VHOST_USER_MAX_FDS     8
/* The largest config space a GET_CONFIG/SET_CONFIG carries (QEMU's VHOST_USER_MAX_CONFIG_SIZE). */
#define VHOST_USER_MAX_CONFIG_SIZE 256

struct vhost_user_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes after the header */
};

struct vhost_user_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhost_user_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t
	    desc_user_addr; /* front-end virtual addresses, translated through the memory table */
	uint64_t used_user_addr;
	uint64_t avail_user_addr;
	uint64_t log_guest_addr;
};

struct vhost_user_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset; /* where the region starts in the file descriptor sent with it */
};

struct vhost_user_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vhost_user_region regions[VHOST_USER_MAX_REGIONS];
};

struct vhost_user_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VHOST_USER_MAX_CONFIG_SIZE];
};

#define VHOST_USER_CONFIG_HEADER_SIZE 12u

union vhost_user_payload {
	uint64_t u64;
	struct vhost_user_vring_state state;
	struct vhost_user_vring_addr addr;
	struct vhost_user_memory memory;
	struct vhost_user_config config;
};

/* A message as the server holds it: on the wire the payload follows the 12-byte header
 * directly; here it is aligned for its 64-bit fields. */
struct vhost_user_msg {
	struct vhost_user_header hdr;
	union vhost_user_payload payload;
};

#define VHOST_USER_MSG_MAX (sizeof(struct vhost_user_header) + sizeof(union vhost_user_payload))

_Static_assert(sizeof(struct vhost_user_header) == 12, "vhost-user header");
_Static_assert(sizeof(struct vhost_user_vring_state) == 8, "vring state");
_Static_assert(sizeof(struct vhost_user_vring_addr) == 40, "vring address");
_Static_assert(sizeof(struct vhost_user_region) == 32, "memory region");
_Static_assert(sizeof(struct vhost_user_memory) == 8 + 32 * VHOST_USER_MAX_REGIONS, "memory");
_Static_assert(sizeof(struct vhost_user_config) == 12 + VHOST_USER_MAX_CONFIG_SIZE, "config");

#endif
