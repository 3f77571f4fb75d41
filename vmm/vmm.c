/* vmm_run: runs one machine from a vmm_config, in setup order: the devices, the command line
 * and every check of the image before KVM is opened; then the VM, RAM, boot structures and
 * vCPUs; then the run itself, and what is left to do once the guest has stopped. */
#include "vmm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend/term.h"
#include "kvm/layout.h"
#include "kvm/pvh.h"
#include "machine.h"

static void vmm_stop_from_device(void *ctx, int code)
{
	machine_stop(ctx, code);
}

/* The kernel command line: the words naming the board's devices and where the shares are
 * mounted, then the caller's. Returns a malloc'd string, or NULL if out of memory. */
static char *vmm_kernel_cmdline(const struct machine *mc)
{
	char words[BOARD_CMDLINE_WORDS_MAX + SHARE_MAX * (SHARE_MOUNT_MAX * 2 + 16)];
	board_cmdline_words(&mc->board, words, sizeof(words));
	if (share_append_mounts_word(mc->cfg->shares, mc->cfg->nshares, words, sizeof(words)))
		return NULL;
	char *line;
	if (asprintf(&line, "%s%s%s", words, *words ? " " : "", mc->cfg->cmdline) < 0)
		return NULL;
	return line;
}

/* Everything that can be refused about the image and options, before KVM is touched. */
static int vmm_check(struct machine *mc, const char *cmdline)
{
	char err[256];
	struct guest_mem layout;
	guest_mem_layout(&layout, mc->cfg->mem);
	if (pvh_check(mc->cfg->image, &layout, cmdline, mc->ncpus, err, sizeof(err)) ||
	    (mc->cfg->args_module &&
	     pvh_check_module(mc->cfg->image, &layout, mc->cfg->args_module_len, err,
	                      sizeof(err)))) {
		machine_report(mc, "%s", err);
		return -1;
	}
	return 0;
}

static int vmm_setup(struct machine *mc, const char *cmdline)
{
	const struct image *img = mc->cfg->image;
	char err[256];
	if (kvm_vm_create(&mc->vm, mc->cfg->mem, err, sizeof(err)))
		goto fail;
	struct mptable_cpu_info info;
	kvm_cpu_info(&mc->vm, &info);
	if (pvh_load(img, &mc->vm.mem, cmdline, mc->ncpus, &info, err, sizeof(err)))
		goto fail;
	if (mc->cfg->args_module)
		pvh_load_module(&mc->vm.mem, mc->cfg->args_module, mc->cfg->args_module_len);
	for (int i = 0; i < mc->ncpus; i++) {
		struct vcpu_thread *vt = &mc->cpus[i];
		vt->mc = mc;
		if (vcpu_create(&mc->vm, &vt->vcpu, i, err, sizeof(err)))
			goto fail;
		if (i == 0 ? vcpu_setup_pvh(&vt->vcpu, img->pvh_entry, LAYOUT_START_INFO_ADDR, err,
		                            sizeof(err))
		           : vcpu_setup_ap(&vt->vcpu, err, sizeof(err)))
			goto fail;
	}
	if (event_init(&mc->events, err, sizeof(err)) ||
	    board_connect(&mc->board, &mc->events, err, sizeof(err)))
		goto fail;
	return 0;
fail:
	machine_report(mc, "%s", err);
	return -1;
}

/* Runs the vCPUs until the machine stops, then stops every thread, flushes the guest's output
 * and says what there is to say about the run. */
static void vmm_run_vcpus(struct machine *mc)
{
	signals_install();
	if (mc->cfg->timeout > 0)
		mc->deadline = machine_now() + mc->cfg->timeout;
	signals_arm_watchdog(mc);
	char err[256];
	if (event_start(&mc->events, err, sizeof(err))) {
		machine_report(mc, "%s", err);
		machine_stop(mc, MACHINE_EXIT_HOST_ERROR);
	} else if (aps_start(mc) == 0) {
		vcpu_loop(&mc->cpus[0]);
	} else {
		machine_stop(mc, MACHINE_EXIT_HOST_ERROR);
	}
	signals_disarm_watchdog();
	aps_stop(mc);
	event_stop(&mc->events);
	pthread_mutex_lock(&mc->dev_lock);
	term_flush();
	pthread_mutex_unlock(&mc->dev_lock);
	if (mc->exit_code == TORO_EXIT_TIMEOUT) /* where a guest that never finished was */
		for (int i = 0; i < mc->ncpus; i++)
			vcpu_report_where(&mc->cpus[i]);
	if (mc->cfg->stats)
		stats_print(mc);
	board_close(&mc->board);
}

int vmm_run(const struct vmm_config *cfg)
{
	/* Zero in BSS, and vmm_run runs once per process: not clearing it leaves the pages of
	 * the vCPU and virtio slots that are not used untouched. */
	static struct machine machine;
	struct machine *mc = &machine;
	mc->cfg = cfg;
	mc->name = cfg->name;
	mc->ncpus = cfg->cpus;
	mc->t_start = machine_now();
	pthread_mutex_init(&mc->dev_lock, NULL);
	mc->cpus[0].thread = pthread_self();
	if (board_init(&mc->board, &mc->vm, cfg->console, vmm_stop_from_device, mc)) {
		machine_report(mc, "device layout clash (a bug)");
		return MACHINE_EXIT_HOST_ERROR;
	}
	char err[256];
	if ((cfg->gdb && board_add_gdb(&mc->board, &mc->vm, cfg->gdb_fd, err, sizeof(err))) ||
	    (cfg->vsock && board_add_vsock(&mc->board, &mc->vm, cfg->vsock, err, sizeof(err))) ||
	    board_add_shares(&mc->board, &mc->vm, cfg->shares, cfg->nshares, err, sizeof(err))) {
		machine_report(mc, "%s", err);
		board_close(&mc->board);
		return TORO_EXIT_USAGE;
	}
	char *cmdline = vmm_kernel_cmdline(mc);
	int rc = 0;
	if (!cmdline) {
		machine_report(mc, "out of memory for the kernel command line");
		rc = MACHINE_EXIT_HOST_ERROR;
	} else if (vmm_check(mc, cmdline)) {
		rc = TORO_EXIT_USAGE;
	} else if (kvm_open(&mc->vm, err, sizeof(err))) {
		rc = VMM_NO_KVM;
	} else if (vmm_setup(mc, cmdline)) {
		rc = MACHINE_EXIT_HOST_ERROR;
	}
	free(cmdline);
	if (rc) {
		int saved = errno; /* VMM_NO_KVM: the caller reads why */
		board_close(&mc->board);
		errno = saved;
		return rc;
	}
	vmm_run_vcpus(mc);
	/* The VM, its vCPUs and guest RAM go with the process, which exits next. */
	teardown_defer();
	return mc->exit_code;
}
