/* `toro vhost-user vsock --socket PATH [--vsock PATH] [--forward ...] [--cid N]` and
 * `toro vhost-user fs --socket PATH --share DIR[:rw]`: one device's back end served over
 * vhost-user to any front end (QEMU's vhost-user-vsock-device, vhost-user-fs-device: a
 * virtiofsd replacement), the same model and back end the built-in monitor runs, until SIGINT
 * or SIGTERM. The front end may disconnect and another connect; the device starts afresh for
 * each. docs/networking.md, docs/files.md. */
#include "toro.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "share.h"
#include "vhost-user/service.h"

static const char vhost_user_usage[] =
    "usage: toro vhost-user vsock --socket PATH [--vsock PATH] [-f|--forward "
    "[ADDR:]HOSTPORT:GUESTPORT] [--cid N]\n"
    "       toro vhost-user fs --socket PATH --share DIR[:rw]\n";

/* Adds the device o names. QEMU's vhost-user-fs-device sets the tag the guest sees itself
 * (its tag= property) and never asks the back end, so the model's is only a name. */
static int vhost_user_add(struct vhost_user_service *svc, const struct vhost_user_options *o,
                          char *err, size_t errlen)
{
	if (o->nshares)
		return vhost_user_service_add_fs(svc, o->shares[0].dir, o->shares[0].writable,
		                                 "share0", o->socket, err, errlen);
	return vhost_user_service_add_vsock(svc, &o->vsock, o->socket, err, errlen);
}

static int vhost_user_serve(const struct vhost_user_options *o)
{
	char err[300];
	/* Signals are taken by sigwait below; the event thread blocks them all itself. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct vhost_user_service svc;
	if (vhost_user_service_init(&svc, err, sizeof(err)) ||
	    vhost_user_add(&svc, o, err, sizeof(err))) {
		toro_error("vhost-user %s: %s", o->kind, err);
		vhost_user_service_stop(&svc);
		return TORO_EXIT_USAGE;
	}
	if (getenv("TORO_VHOST_USER_TRACE"))
		svc.devices[0]->server.trace = 1;
	if (vhost_user_service_start(&svc, err, sizeof(err))) {
		toro_error("vhost-user %s: %s", o->kind, err);
		vhost_user_service_stop(&svc);
		return 1;
	}
	int sig;
	sigwait(&set, &sig);
	vhost_user_service_stop(&svc);
	return 0;
}

int toro_vhost_user(int argc, char **argv)
{
	if (toro_wants_help(argc, argv)) {
		fputs(vhost_user_usage, stdout);
		return 0;
	}
	struct vhost_user_options o;
	char err[300];
	if (parse_vhost_user_options(argc, argv, &o, err, sizeof(err))) {
		toro_error("vhost-user: %s", err);
		fputs(vhost_user_usage, stderr);
		share_free(o.shares, o.nshares);
		return TORO_EXIT_USAGE;
	}
	int rc = vhost_user_serve(&o);
	share_free(o.shares, o.nshares);
	return rc;
}
