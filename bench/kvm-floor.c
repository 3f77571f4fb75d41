/* The floor for launching a VM on this host: the least a KVM program can do to run guest code
 * once. Creates a VM with one page of RAM and one vCPU in real mode, runs `mov al, N; out 0xf4,
 * al` and exits with N. bench/monitor.sh compares `toro run` against it.
 * Build: cc -O2 -o kvm-floor bench/kvm-floor.c */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define FLOOR_CODE_ADDR 0x1000
#define FLOOR_EXIT_PORT 0xf4

static int die(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	static const uint8_t code[] = {0xb0, 0x00, 0xe6, FLOOR_EXIT_PORT}; /* mov al, 0; out */
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return die("KVM_CREATE_VM");
	uint8_t *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return die("mmap");
	memcpy(mem, code, sizeof(code));
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = FLOOR_CODE_ADDR,
	    .memory_size = 4096,
	    .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return die("KVM_SET_USER_MEMORY_REGION");
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return die("KVM_CREATE_VCPU");
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run =
	    mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return die("mmap kvm_run");
	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return die("KVM_SET_SREGS");
	struct kvm_regs regs = {.rip = FLOOR_CODE_ADDR, .rflags = 2};
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return die("KVM_SET_REGS");
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			return die("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == FLOOR_EXIT_PORT)
			return *((uint8_t *)run + run->io.data_offset);
		fprintf(stderr, "kvm-floor: unexpected exit %u\n", run->exit_reason);
		return 1;
	}
}
