/* The state directory's records of runs (service.h) and the commands that read them: `toro ps`
 * lists the live runs, `toro stop NAME|PID` sends SIGTERM and waits for the run to end, `toro
 * logs NAME` prints a run's log. */
#include "toro.h"
#include "error.h"
#include "service.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SERVICE_STOP_WAIT 20.0 /* seconds `toro stop` waits for the run to end */

/* The state directory, created 0700 if missing; NULL with a one-line reason in err. */
const char *state_dir(char *err, size_t errlen)
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

void state_path(const char *dir, const char *name, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s%s", dir, name, suffix);
}

/* Field 22 of /proc/PID/stat (start time), or 0 when the process is gone or a zombie. */
unsigned long long process_starttime(long pid)
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

int record_alive(const struct service_record *r)
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
int record_create(const char *dir, const struct service_record *r, char *err, size_t errlen)
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
int record_replace(const char *dir, const struct service_record *r)
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

void record_remove(const char *dir, const char *name)
{
	char path[PATH_MAX];
	state_path(dir, name, SERVICE_RECORD_SUFFIX, path, sizeof(path));
	unlink(path);
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
