/* Destroying a VM with an in-kernel irqchip takes ~12 ms on this kind of host (an SRCU grace
 * period for each in-kernel device), and a process's exit waits for it before its parent sees
 * the exit status. So the VM is torn down after `toro run` has returned its status. */
#include "machine.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int helper_fd_max; /* descriptors below it are looked at */

/* A helper process that shares our address space (CLONE_VM: nothing is copied) keeps copies of
 * the VM's file descriptors, drops the terminal and every socket (a listener the caller still
 * holds, such as --gdb's, must not outlive the run), waits for a pipe to close (which happens
 * when we exit) and exits. */
static int teardown_helper(void *arg)
{
	int *pipe_fds = arg;
	sigset_t all;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(uint64_t));
	syscall(SYS_close, pipe_fds[1]);
	for (int fd = 0; fd <= 2; fd++)
		syscall(SYS_close, fd);
	for (int fd = 3; fd < helper_fd_max; fd++) {
		struct stat st;
		if (fd != pipe_fds[0] && syscall(SYS_fstat, fd, &st) == 0 && S_ISSOCK(st.st_mode))
			syscall(SYS_close, fd);
	}
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
	struct rlimit r;
	helper_fd_max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < (rlim_t)helper_fd_max)
		helper_fd_max = (int)r.rlim_cur;
	/* Exit signal 0: the helper outlives us and is reaped by whoever adopts it. */
	if (clone(teardown_helper, stack + sizeof(stack), CLONE_VM, pipe_fds) < 0)
		close(pipe_fds[1]);
	close(pipe_fds[0]); /* ours; the write end stays open until we exit */
}
