/* A KVM virtual machine: /dev/kvm, the VM with its in-kernel irqchip, guest RAM in two memory
 * slots, and vCPUs with their CPUID and boot state. Each function reports failure with one line
 * in err and returns -1. */
#ifndef VMM_KVM_VM_H
#define VMM_KVM_VM_H

#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "guest.h"
#include "mptable.h"

struct kvm_vm {
	int kvm_fd, vm_fd;
	int run_size; /* bytes of each vCPU's kvm_run mapping */
	struct guest_mem mem;
	struct kvm_cpuid2 *cpuid; /* supported CPUID, patched per vCPU */
};

struct vcpu {
	int id;
	int fd;
	struct kvm_run *run;
	int synced_regs; /* KVM copies the GPRs and RIP into run->s.regs at every exit */
};

/* Opens /dev/kvm and checks its API version. Returns 0, or -1 with err (errno kept). */
int kvm_open(struct kvm_vm *vm, char *err, size_t errlen);

/* Creates the VM: TSS and identity-map pages, in-kernel IOAPIC/LAPIC/PIC, mem_size bytes of RAM
 * mapped below 3 GiB and from 4 GiB. */
int kvm_vm_create(struct kvm_vm *vm, uint64_t mem_size, char *err, size_t errlen);

/* What the MP table says about the CPUs, from the supported CPUID. */
void kvm_cpu_info(const struct kvm_vm *vm, struct mptable_cpu_info *info);

/* Creates vCPU id with its CPUID (APIC id = id) and maps its kvm_run; where KVM offers it
 * (KVM_CAP_SYNC_REGS), asks for the registers in kvm_run at every exit. */
int vcpu_create(struct kvm_vm *vm, struct vcpu *v, int id, char *err, size_t errlen);

/* The PVH entry state of the boot CPU: 32-bit protected mode, flat segments, paging and
 * interrupts off, %ebx = start_info. */
int vcpu_setup_pvh(struct vcpu *v, uint64_t entry, uint64_t start_info, char *err, size_t errlen);

/* An application processor waits for INIT and SIPI from the boot CPU. */
int vcpu_setup_ap(struct vcpu *v, char *err, size_t errlen);

/* Raises and lowers an interrupt line (one edge). */
void kvm_irq_pulse(struct kvm_vm *vm, unsigned irq);

/* Whether the VM offers a capability (KVM_CHECK_EXTENSION on the VM). */
int kvm_has(const struct kvm_vm *vm, long cap);

/* Each write to eventfd fd raises and lowers GSI gsi: one edge, as kvm_irq_pulse, without a
 * system call on the writer's part beyond the write. */
int kvm_irqfd(struct kvm_vm *vm, int fd, unsigned gsi, char *err, size_t errlen);

/* A guest write of datamatch to the len-byte MMIO register at addr signals eventfd fd instead
 * of leaving KVM_RUN; other values still exit. */
int kvm_ioeventfd(struct kvm_vm *vm, int fd, uint64_t addr, uint32_t len, uint64_t datamatch,
                  char *err, size_t errlen);

#endif
