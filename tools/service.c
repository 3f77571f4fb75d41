/* `toro run` as a service (the records: service.h): with --name the run is recorded while it
 * lasts; --detach runs the guest in a grandchild (double fork, new session) with its console and
 * messages in a log file, and prints its name and pid; --log sends the console to a file. */
#include "toro.h"
#include "service.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The record of this process's run, filled in for getpid(). */
static void record_fill(struct service_record *r, const struct run_options *o, const char *log,
                        int argc, char **argv)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", o->name);
	r->pid = (long)getpid();
	r->starttime = process_starttime(r->pid);
	r->started = (long long)time(NULL);
	snprintf(r->image, sizeof(r->image), "%s", o->exec ? o->exec : o->image);
	snprintf(r->log, sizeof(r->log), "%s", log ? log : "");
	size_t used = 0;
	for (int i = 0; i < argc && used < sizeof(r->options); i++) {
		int n = snprintf(r->options + used, sizeof(r->options) - used, "%s%s", i ? " " : "",
		                 argv[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	/* One line per key: a newline in an argument would start a bogus key. */
	for (char *p = r->options; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

/* A name for a detached run without --name: the image's base name without ".elf", made valid,
 * and this process's pid. */
static void default_name(const char *image, char *buf, size_t len)
{
	const char *base = strrchr(image, '/');
	base = base ? base + 1 : image;
	size_t n = strcspn(base, ".");
	if (n > 40)
		n = 40;
	char stem[41];
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		stem[k++] = isalnum((unsigned char)base[i]) || base[i] == '_' || base[i] == '-'
		                ? base[i]
		                : '_';
	stem[k] = '\0';
	if (k == 0 || !isalnum((unsigned char)stem[0]))
		snprintf(buf, len, "toro-%ld", (long)getpid());
	else
		snprintf(buf, len, "%s-%ld", stem, (long)getpid());
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		toro_error("run: --log %s: %s", path, strerror(errno));
	return fd;
}

/* Points fd at the log file (or /dev/null for stdin). */
static void redirect(int fd, const char *path, int flags)
{
	int f = open(path, flags);
	if (f >= 0 && f != fd) {
		dup2(f, fd);
		close(f);
	}
}

/* Blocks the signals that stop a run (old gets the mask before), from the moment the record
 * names this process until the monitor's handlers are in place (vmm/signals.c unblocks them;
 * tools/qemu.c waits for them with sigtimedwait): a `toro stop` in between then stops the guest
 * as it should instead of killing this process, which would leave its record and socket. */
static void block_stop_signals(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* Runs o in this process as a recorded service (foreground, --name given). */
static int service_run_foreground(struct run_options *o, int argc, char **argv,
                                  int (*run)(struct run_options *))
{
	char err[PATH_MAX + 128];
	const char *dir = state_dir(err, sizeof(err));
	if (!dir) {
		toro_error("run: %s", err);
		return 1;
	}
	struct service_record r;
	record_fill(&r, o, o->log, argc, argv);
	sigset_t old;
	block_stop_signals(&old);
	if (record_create(dir, &r, err, sizeof(err))) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		toro_error("run: %s", err);
		return TORO_EXIT_USAGE;
	}
	int rc = run(o);
	record_remove(dir, r.name);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* The grandchild of a detached run: takes over the record, tells the parent its pid over
 * report, and runs the guest with its console and messages in the log. */
static int service_run_detached_child(struct run_options *o, const char *dir, const char *log,
                                      int report, int argc, char **argv,
                                      int (*run)(struct run_options *))
{
	struct service_record r;
	record_fill(&r, o, log, argc, argv);
	long pid = record_replace(dir, &r) == 0 ? r.pid : -1;
	ssize_t w = write(report, &pid, sizeof(pid));
	close(report);
	if (pid < 0 || w != (ssize_t)sizeof(pid))
		return 1;
	redirect(STDIN_FILENO, "/dev/null", O_RDONLY);
	redirect(STDOUT_FILENO, log, O_WRONLY | O_APPEND);
	redirect(STDERR_FILENO, log, O_WRONLY | O_APPEND);
	o->log = NULL; /* stdout is the log already */
	int rc = run(o);
	if (!o->quiet)
		fprintf(stderr, "toro: %s ended with status %d\n", r.name, rc);
	record_remove(dir, r.name);
	return rc;
}

static int service_run_detached(struct run_options *o, int argc, char **argv,
                                int (*run)(struct run_options *))
{
	char err[PATH_MAX + 128], name[80], log[PATH_MAX];
	const char *dir = state_dir(err, sizeof(err));
	if (!dir) {
		toro_error("run: %s", err);
		return 1;
	}
	/* What can be checked before going to the background is, so that the user sees it. */
	struct image img;
	if (image_open(o->image, &img, err, sizeof(err))) {
		toro_error("%s: %s", o->image, err);
		return TORO_EXIT_USAGE;
	}
	struct exec_program program;
	int refused = o->exec ? exec_program_read(o->exec, &img, o->mem, &program) : 0;
	if (o->exec && !refused)
		exec_program_free(&program);
	image_close(&img);
	if (refused)
		return refused;
	if (!o->name) {
		default_name(o->exec ? o->exec : o->image, name, sizeof(name));
		o->name = name;
	}
	if (o->log)
		snprintf(log, sizeof(log), "%s", o->log);
	else
		state_path(dir, o->name, SERVICE_LOG_SUFFIX, log, sizeof(log));
	/* The name is taken here, by this process, so that a name in use is an error the user
	 * sees; the grandchild then puts its own pid in the record. */
	struct service_record r;
	record_fill(&r, o, log, argc, argv);
	if (record_create(dir, &r, err, sizeof(err))) {
		toro_error("run: %s", err);
		return TORO_EXIT_USAGE;
	}
	int fd = open_log(log);
	if (fd < 0) {
		record_remove(dir, r.name);
		return TORO_EXIT_USAGE;
	}
	close(fd);
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC)) {
		toro_error("run: pipe: %s", strerror(errno));
		record_remove(dir, r.name);
		return 1;
	}
	sigset_t old;
	block_stop_signals(&old); /* inherited by the runner */
	fflush(NULL);
	pid_t middle = fork();
	if (middle == 0) {
		close(pipefd[0]);
		setsid();
		pid_t runner = fork();
		if (runner == 0)
			_exit(service_run_detached_child(o, dir, log, pipefd[1], argc, argv, run));
		_exit(runner < 0 ? 1 : 0);
	}
	close(pipefd[1]);
	long pid = -1;
	ssize_t got = middle < 0 ? -1 : read(pipefd[0], &pid, sizeof(pid));
	close(pipefd[0]);
	if (middle > 0)
		waitpid(middle, NULL, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (got != (ssize_t)sizeof(pid) || pid < 0) {
		toro_error("run: %s: the detached run did not start", r.name);
		record_remove(dir, r.name);
		return 1;
	}
	printf("%s %ld\n", r.name, pid);
	return 0;
}

int service_run(struct run_options *o, int argc, char **argv, int (*run)(struct run_options *))
{
	if (o->detach)
		return service_run_detached(o, argc, argv, run);
	int fd = -1;
	if (o->log) {
		fd = open_log(o->log);
		if (fd < 0)
			return TORO_EXIT_USAGE;
		fflush(stdout);
		dup2(fd, STDOUT_FILENO);
		close(fd);
	}
	if (o->name)
		return service_run_foreground(o, argc, argv, run);
	return run(o);
}
