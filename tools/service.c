/* Runs as services: a `toro run` with --name or --detach is recorded in the state directory
 * ($XDG_RUNTIME_DIR/toro, else /tmp/toro-UID; mode 0700) as NAME.run, so that `toro ps` lists
 * it, `toro stop` ends it and `toro logs` shows its console. A record holds the name, the pid and
 * its start time (from /proc, so a reused pid is not taken for the run), the image, the log and
 * the options; the process that runs the guest removes it when the guest ends, and a record whose
 * process is gone is stale and removed by whoever finds it. --detach runs the guest in a
 * grandchild (double fork, new session) with its console and messages in a log file. */
#include "toro.h"
#include "error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERVICE_RECORD_SUFFIX ".run"
#define SERVICE_LOG_SUFFIX    ".log"
#define SERVICE_STOP_WAIT     20.0 /* seconds `toro stop` waits for the run to end */

struct service_record {
	char name[65];
	long pid;
	unsigned long long starttime; /* /proc/PID/stat field 22, clock ticks after boot */
	long long started;            /* time(NULL) when it started */
	char image[PATH_MAX];
	char log[PATH_MAX];
	char options[1024];
};

/* The state directory, created 0700 if missing; NULL with a one-line reason in err. */
static const char *state_dir(char *err, size_t errlen)
{
	static char dir[PATH_MAX];
	const char *runtime = getenv("XDG_RUNTIME_DIR");
	if (runtime && *runtime)
		snprintf(dir, sizeof(dir), "%s/toro", runtime);
	else
		snprintf(dir, sizeof(dir), "/tmp/toro-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "state directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
		snprintf(err, errlen, "state directory %s: not a directory of this user", dir);
		return NULL;
	}
	return dir;
}

static void state_path(const char *dir, const char *name, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", dir, name, suffix);
}

/* Field 22 of /proc/PID/stat (start time), or 0 when the process is gone or a zombie. */
static unsigned long long process_starttime(long pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name (field 2) may hold spaces and ')': fields go on after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	char state = 0;
	unsigned long long start = 0;
	/* Fields 3 (state) to 22 (starttime): skip 18 between them. */
	if (sscanf(
	        p,
	        " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
	        &state, &start) != 2)
		return 0;
	return state == 'Z' || state == 'X' ? 0 : start;
}

static int record_alive(const struct service_record *r)
{
	return r->pid > 0 && r->starttime && process_starttime(r->pid) == r->starttime;
}

static int record_read(const char *path, struct service_record *r)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	memset(r, 0, sizeof(*r));
	char line[PATH_MAX + 32];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "name") == 0)
			snprintf(r->name, sizeof(r->name), "%s", v);
		else if (strcmp(line, "pid") == 0)
			r->pid = strtol(v, NULL, 10);
		else if (strcmp(line, "starttime") == 0)
			r->starttime = strtoull(v, NULL, 10);
		else if (strcmp(line, "started") == 0)
			r->started = strtoll(v, NULL, 10);
		else if (strcmp(line, "image") == 0)
			snprintf(r->image, sizeof(r->image), "%s", v);
		else if (strcmp(line, "log") == 0)
			snprintf(r->log, sizeof(r->log), "%s", v);
		else if (strcmp(line, "options") == 0)
			snprintf(r->options, sizeof(r->options), "%s", v);
	}
	fclose(f);
	return r->name[0] ? 0 : -1;
}

static int record_write_fd(int fd, const struct service_record *r)
{
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	fprintf(f, "name=%s\npid=%ld\nstarttime=%llu\nstarted=%lld\nimage=%s\nlog=%s\noptions=%s\n",
	        r->name, r->pid, r->starttime, r->started, r->image, r->log, r->options);
	return fclose(f) ? -1 : 0;
}

/* The calling process's record: created new (O_EXCL) so that two live runs never share a name;
 * a stale record of the name is removed first. 0, or -1 with a one-line reason in err. */
static int record_create(const char *dir, const struct service_record *r, char *err, size_t errlen)
{
	char path[PATH_MAX];
	state_path(dir, r->name, SERVICE_RECORD_SUFFIX, path, sizeof(path));
	for (int attempt = 0; attempt < 2; attempt++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (record_write_fd(fd, r) == 0)
				return 0;
			unlink(path);
			return error_set(err, errlen, "%s: %s", path, strerror(errno));
		}
		if (errno != EEXIST)
			return error_set(err, errlen, "%s: %s", path, strerror(errno));
		struct service_record old;
		if (record_read(path, &old) == 0 && record_alive(&old))
			return error_set(
			    err, errlen,
			    "--name %s: already in use by pid %ld (toro ps lists runs)", r->name,
			    old.pid);
		unlink(path);
	}
	return error_set(err, errlen, "--name %s: the record %s keeps coming back", r->name, path);
}

/* Replaces the record with r (written beside it, then renamed over it). */
static int record_replace(const char *dir, const struct service_record *r)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	state_path(dir, r->name, SERVICE_RECORD_SUFFIX, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || record_write_fd(fd, r) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void record_remove(const char *dir, const char *name)
{
	char path[PATH_MAX];
	state_path(dir, name, SERVICE_RECORD_SUFFIX, path, sizeof(path));
	unlink(path);
}

/* The record of this process's run, filled in for getpid(). */
static void record_fill(struct service_record *r, const struct run_options *o, const char *log,
                        int argc, char **argv)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", o->name);
	r->pid = (long)getpid();
	r->starttime = process_starttime(r->pid);
	r->started = (long long)time(NULL);
	snprintf(r->image, sizeof(r->image), "%s", o->image);
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
	image_close(&img);
	if (!o->name) {
		default_name(o->image, name, sizeof(name));
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

/* Calls fn on every record in the state directory, removing stale ones first. */
static int records_each(const char *dir, int (*fn)(const struct service_record *, void *),
                        void *arg)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d))) {
		size_t n = strlen(e->d_name), s = strlen(SERVICE_RECORD_SUFFIX);
		if (n <= s || strcmp(e->d_name + n - s, SERVICE_RECORD_SUFFIX) != 0)
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct service_record r;
		if (record_read(path, &r) || !record_alive(&r)) {
			unlink(path);
			continue;
		}
		rc = fn(&r, arg);
	}
	closedir(d);
	return rc;
}

static int ps_line(const struct service_record *r, void *arg)
{
	(void)arg;
	char when[32];
	time_t t = (time_t)r->started;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	printf("%-20s %8ld  %s  %s\n", r->name, r->pid, when, r->image);
	return 0;
}

int toro_ps(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "ps");
		return 0;
	}
	if (argc > 0) {
		toro_error("ps: unexpected argument '%s'", argv[0]);
		return TORO_EXIT_USAGE;
	}
	char err[PATH_MAX + 128];
	const char *dir = state_dir(err, sizeof(err));
	if (!dir) {
		toro_error("ps: %s", err);
		return 1;
	}
	printf("%-20s %8s  %-19s  %s\n", "NAME", "PID", "STARTED", "IMAGE");
	return records_each(dir, ps_line, NULL);
}

struct record_query {
	const char *what; /* a name, or a pid in digits */
	struct service_record found;
	int matched;
};

static int record_match(const struct service_record *r, void *arg)
{
	struct record_query *q = arg;
	char pid[24];
	snprintf(pid, sizeof(pid), "%ld", r->pid);
	if (strcmp(q->what, r->name) != 0 && strcmp(q->what, pid) != 0)
		return 0;
	q->found = *r;
	q->matched = 1;
	return 1;
}

/* The live run named (or with the pid) what; 0, or -1 after saying why on stderr. */
static int find_run(const char *cmd, int argc, char **argv, const char **dirp,
                    struct service_record *r)
{
	if (argc != 1 || argv[0][0] == '-') {
		toro_error("%s: %s", cmd,
		           argc == 0 ? "no run given (a NAME or PID from toro ps)"
		                     : "expected one NAME or PID");
		return -1;
	}
	char err[PATH_MAX + 128];
	const char *dir = state_dir(err, sizeof(err));
	if (!dir) {
		toro_error("%s: %s", cmd, err);
		return -1;
	}
	struct record_query q = {.what = argv[0]};
	records_each(dir, record_match, &q);
	if (!q.matched) {
		toro_error("%s: no run named '%s' (toro ps lists runs)", cmd, argv[0]);
		return -1;
	}
	*dirp = dir;
	*r = q.found;
	return 0;
}

int toro_stop(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "stop");
		return 0;
	}
	const char *dir;
	struct service_record r;
	if (find_run("stop", argc, argv, &dir, &r))
		return TORO_EXIT_USAGE;
	if (kill((pid_t)r.pid, SIGTERM) && errno != ESRCH) {
		toro_error("stop: %s (pid %ld): %s", r.name, r.pid, strerror(errno));
		return 1;
	}
	struct timespec pause = {0, 20 * 1000 * 1000};
	for (int i = 0; i < (int)(SERVICE_STOP_WAIT * 50); i++) {
		if (!record_alive(&r)) {
			record_remove(dir, r.name);
			return 0;
		}
		nanosleep(&pause, NULL);
	}
	toro_error("stop: %s (pid %ld) still running after %g s", r.name, r.pid, SERVICE_STOP_WAIT);
	return 1;
}

int toro_logs(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		toro_command_help(stdout, "logs");
		return 0;
	}
	char err[PATH_MAX + 128], path[PATH_MAX];
	const char *dir = state_dir(err, sizeof(err));
	if (!dir) {
		toro_error("logs: %s", err);
		return 1;
	}
	if (argc != 1 || !run_name_valid(argv[0])) {
		toro_error("logs: %s", argc == 1 ? "not a run name" : "expected one NAME");
		return TORO_EXIT_USAGE;
	}
	/* A live run's record names its log; an ended detached run leaves its log in dir. */
	struct record_query q = {.what = argv[0]};
	records_each(dir, record_match, &q);
	if (q.matched && q.found.log[0])
		snprintf(path, sizeof(path), "%s", q.found.log);
	else
		state_path(dir, argv[0], SERVICE_LOG_SUFFIX, path, sizeof(path));
	FILE *f = fopen(path, "rb");
	if (!f) {
		toro_error("logs: no log for '%s'%s", argv[0],
		           q.matched ? " (it writes to the terminal)" : " (toro ps lists runs)");
		return TORO_EXIT_USAGE;
	}
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}
