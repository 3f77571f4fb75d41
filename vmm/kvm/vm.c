/* KVM setup (Documentation/virt/kvm/api.rst): the order matters. TSS and identity-map
 * addresses and the irqchip come before any vCPU; memory slots before the first KVM_RUN. Also
 * what kind of KVM the host has, which the tool asks before choosing a monitor. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "error.h"
#include "layout.h"
#include "pvh.h"
#include "vmm.h"

#define KVM_CPUID_MAX_ENTRIES 256
#define CPUID_HYPERVISOR_BIT  (1u << 31) /* CPUID.1:ECX */
#define X86_CR0_PE            0x1ull
#define X86_CR0_ET            0x10ull
#define X86_RFLAGS_RESERVED   0x2ull

int kvm_host_usable(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* kvm_pvm runs guest ring-0 code in an emulator that has no SSE/x87: the one such KVM known. */
int kvm_host_is_software(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

int kvm_open(struct kvm_vm *vm, char *err, size_t errlen)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return error_set(err, errlen, "/dev/kvm: %s", strerror(errno));
	int version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return error_set(err, errlen, "/dev/kvm: KVM API version %d, need %d", version,
		            KVM_API_VERSION);
	return 0;
}

static int kvm_set_slot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa, uint64_t size, void *host,
                        char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uint64_t)(uintptr_t)host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return error_set(err, errlen, "KVM_SET_USER_MEMORY_REGION (%llu MiB at %#llx): %s",
		            (unsigned long long)(size >> 20), (unsigned long long)gpa,
		            strerror(errno));
	return 0;
}

static int kvm_get_cpuid(struct kvm_vm *vm, char *err, size_t errlen)
{
	vm->cpuid =
	    calloc(1, sizeof(*vm->cpuid) + KVM_CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!vm->cpuid)
		return error_set(err, errlen, "out of memory");
	vm->cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) < 0)
		return error_set(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	return 0;
}

/* KVM's default routing sends GSIs 0-15 to the 8259 PIC as well as the IOAPIC; a guest that
 * never programmed the PIC would then take device IRQ n as CPU exception vector n. Like QEMU
 * microvm with pic=off, our guests have IOAPIC pins only. */
static int kvm_route_irqs_to_ioapic(struct kvm_vm *vm, char *err, size_t errlen)
{
	struct {
		struct kvm_irq_routing head;
		struct kvm_irq_routing_entry entries[LAYOUT_IOAPIC_PINS];
	} table;
	memset(&table, 0, sizeof(table));
	table.head.nr = LAYOUT_IOAPIC_PINS;
	for (unsigned pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++) {
		struct kvm_irq_routing_entry *e = &table.entries[pin];
		e->gsi = pin;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = pin;
	}
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &table) < 0)
		return error_set(err, errlen, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
	return 0;
}

int kvm_vm_create(struct kvm_vm *vm, uint64_t mem_size, char *err, size_t errlen)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return error_set(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		return error_set(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS_ADDR) < 0)
		return error_set(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t identity = LAYOUT_KVM_IDENTITY_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return error_set(err, errlen, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	int r = guest_mem_map(&vm->mem, mem_size);
	if (r < 0) {
		errno = -r;
		return error_set(err, errlen, "cannot reserve %llu MiB of guest RAM: %s",
		            (unsigned long long)(mem_size >> 20), strerror(-r));
	}
	/* One KVM slot per region of the table: the table is what KVM maps. */
	for (unsigned i = 0; i < vm->mem.nregions; i++) {
		const struct guest_region *g = &vm->mem.regions[i];
		if (kvm_set_slot(vm, i, g->gpa, g->size, g->host, err, errlen))
			return -1;
	}
	/* The irqchip comes after the memory slots: on this kind of host a slot change once the
	 * irqchip exists waits several milliseconds for an SRCU grace period. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return error_set(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
	if (kvm_route_irqs_to_ioapic(vm, err, errlen))
		return -1;
	return kvm_get_cpuid(vm, err, errlen);
}

static struct kvm_cpuid_entry2 *kvm_cpuid_find(const struct kvm_cpuid2 *c, uint32_t function,
                                               uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == function &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == index))
			return (struct kvm_cpuid_entry2 *)&c->entries[i];
	return NULL;
}

void kvm_cpu_info(const struct kvm_vm *vm, struct mptable_cpu_info *info)
{
	const struct kvm_cpuid_entry2 *e = kvm_cpuid_find(vm->cpuid, 1, 0);
	info->signature = e ? e->eax : 0;
	info->features = e ? e->edx : 0;
}

/* Each vCPU sees its own APIC id in CPUID leaf 1 (initial APIC id) and the x2APIC topology
 * leaves 0xb and 0x1f. The KVM leaves (0x40000000…) stay, so the guest finds kvmclock. */
static void kvm_cpuid_for_vcpu(struct kvm_cpuid2 *c, int id)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | ((uint32_t)id << 24);
			e->ecx |= CPUID_HYPERVISOR_BIT;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = (uint32_t)id;
		}
	}
}

int vcpu_create(struct kvm_vm *vm, struct vcpu *v, int id, char *err, size_t errlen)
{
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return error_set(err, errlen, "KVM_CREATE_VCPU %d: %s", id, strerror(errno));
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		return error_set(err, errlen, "cannot map vCPU %d state: %s", id, strerror(errno));
	/* The registers at every exit cost KVM a copy of 18 words, and let a triple fault be
	 * reported where KVM resets the vCPU before we can read them (AMD SVM does). */
	int sync = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	v->synced_regs = sync > 0 && (sync & KVM_SYNC_X86_REGS);
	if (v->synced_regs)
		v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	kvm_cpuid_for_vcpu(vm->cpuid, id);
	if (ioctl(v->fd, KVM_SET_CPUID2, vm->cpuid) < 0)
		return error_set(err, errlen, "KVM_SET_CPUID2 on vCPU %d: %s", id, strerror(errno));
	return 0;
}

static struct kvm_segment pvh_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .db = 1,
	    .s = 1,
	    .l = 0,
	    .g = 1,
	};
}

int vcpu_setup_pvh(struct vcpu *v, uint64_t entry, uint64_t start_info, char *err, size_t errlen)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return error_set(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
	s.cs = pvh_segment(PVH_SEL_CODE, 0xb); /* execute/read, accessed */
	s.ds = s.es = s.fs = s.gs = s.ss =
	    pvh_segment(PVH_SEL_DATA, 0x3); /* read/write, accessed */
	s.tr = (struct kvm_segment){
	    .base = 0, .limit = 0x67, .selector = PVH_SEL_TSS, .type = 0xb, .present = 1};
	s.gdt.base = LAYOUT_GDT_ADDR;
	s.gdt.limit = PVH_GDT_ENTRIES * 8 - 1;
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return error_set(err, errlen, "KVM_SET_SREGS: %s", strerror(errno));
	struct kvm_regs r = {
	    .rip = entry,
	    .rbx = start_info,
	    .rflags = X86_RFLAGS_RESERVED,
	};
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return error_set(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

int vcpu_setup_ap(struct vcpu *v, char *err, size_t errlen)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_UNINITIALIZED};
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
		return error_set(err, errlen, "KVM_SET_MP_STATE on vCPU %d: %s", v->id, strerror(errno));
	return 0;
}

void kvm_irq_pulse(struct kvm_vm *vm, unsigned irq)
{
	struct kvm_irq_level l = {.irq = irq, .level = 1};
	ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
	l.level = 0;
	ioctl(vm->vm_fd, KVM_IRQ_LINE, &l);
}

int kvm_has(const struct kvm_vm *vm, long cap)
{
	return ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

int kvm_irqfd(struct kvm_vm *vm, int fd, unsigned gsi, char *err, size_t errlen)
{
	struct kvm_irqfd r = {.fd = (uint32_t)fd, .gsi = gsi};
	if (ioctl(vm->vm_fd, KVM_IRQFD, &r) < 0)
		return error_set(err, errlen, "KVM_IRQFD (GSI %u): %s", gsi, strerror(errno));
	return 0;
}

int kvm_ioeventfd(struct kvm_vm *vm, int fd, uint64_t addr, uint32_t len, uint64_t datamatch,
                  char *err, size_t errlen)
{
	struct kvm_ioeventfd r = {
	    .datamatch = datamatch,
	    .addr = addr,
	    .len = len,
	    .fd = fd,
	    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &r) < 0)
		return error_set(err, errlen, "KVM_IOEVENTFD (%#llx = %llu): %s",
		                 (unsigned long long)addr, (unsigned long long)datamatch,
		                 strerror(errno));
	return 0;
}
