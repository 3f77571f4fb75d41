/* Runs recorded in the state directory ($XDG_RUNTIME_DIR/toro, else /tmp/toro-UID; mode 0700):
 * records.c keeps the records and reads them for `toro ps`, `toro stop` and `toro logs`;
 * service.c writes them for `toro run --name` and `--detach`. A record, NAME.run, holds the
 * name, the pid and its start time (from /proc, so that a reused pid is not taken for the run),
 * the image, the log and the options; the process that runs the guest removes it when the guest
 * ends, and a record whose process is gone is stale and removed by whoever finds it. */
#ifndef TOOLS_SERVICE_H
#define TOOLS_SERVICE_H

#include <limits.h>
#include <stddef.h>

#define SERVICE_RECORD_SUFFIX ".run"
#define SERVICE_LOG_SUFFIX    ".log"

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
const char *state_dir(char *err, size_t errlen);
/* dir/NAME.SUFFIX in buf. */
void state_path(const char *dir, const char *name, const char *suffix, char *buf, size_t len);
/* Field 22 of /proc/PID/stat (start time), or 0 when the process is gone or a zombie. */
unsigned long long process_starttime(long pid);
/* Whether r's process is still the one that wrote it. */
int record_alive(const struct service_record *r);
/* The calling process's record: created new (O_EXCL) so that two live runs never share a name;
 * a stale record of the name is removed first. 0, or -1 with a one-line reason in err. */
int record_create(const char *dir, const struct service_record *r, char *err, size_t errlen);
/* Replaces the record of r->name with r (written beside it, then renamed over it); 0 or -1. */
int record_replace(const char *dir, const struct service_record *r);
void record_remove(const char *dir, const char *name);

#endif
