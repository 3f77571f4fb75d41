/* Destroying a VM with an in-kernel irqchip takes ~12 ms on this kind of host (an SRCU grace
 * period for each in-kernel device), and a process's exit waits for it before its parent sees
 * the exit status. So the VM is torn down after `toro run` has returned its status. */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A helper process that shares our address space (CLONE_VM: nothing is copied) keeps copies of
 * the VM's file descriptors, drops the terminal, waits for a pipe to close (which happens when
 * we exit) and exits. */
static int teardown_helper(void *arg)
{
	int *pipe_fds = arg;
	sigset_t all;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(uint64_t));
	syscall(SYS_close, pipe_fds[1]);
	for (int fd = 0; fd <= 2; fd++)
		syscall(SYS_close, fd);
	char c;
	while (syscall(SYS_read, pipe_fds[0], &c, 1) != 0 && errno == EINTR)
		;
	syscall(SYS_exit, 0);
	return 0;
}

/* If the helper cannot be started, the teardown simply happens at our exit. */
void teardown_defer(void)
{
	static int pipe_fds[2];
	static char stack[16 << 10] __attribute__((aligned(16)));
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return;
	/* Exit signal 0: the helper outlives us and is reaped by whoever adopts it. */
	if (clone(teardown_helper, stack + sizeof(stack), CLONE_VM, pipe_fds) < 0)
		close(pipe_fds[1]);
	close(pipe_fds[0]); /* ours; the write end stays open until we exit */
}
