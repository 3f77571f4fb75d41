/* --stats (see machine.h): after the run, on stderr, the time from process start to the first
 * guest instruction and to the stop, VM exits by reason, the guest pages touched and the
 * monitor's own resident memory. */
#include "machine.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "backend/term.h"

static double stats_process_start;

/* The process start, as near as we can tell it cheaply: before main. */
__attribute__((constructor)) static void stats_note_start(void)
{
	stats_process_start = machine_now();
}

/* Resident pages of the whole process, from /proc/self/statm. */
static uint64_t stats_resident_pages(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long size, resident;
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return resident;
}

void stats_print(const struct machine *mc)
{
	double t0 = stats_process_start;
	double end = mc->t_stop ? mc->t_stop : machine_now();
	uint64_t exits[MACHINE_EXIT_REASONS] = {0}, total = 0, interrupted = 0;
	for (int i = 0; i < mc->ncpus; i++) {
		for (int r = 0; r < MACHINE_EXIT_REASONS; r++) {
			exits[r] += mc->cpus[i].exits[r];
			total += mc->cpus[i].exits[r];
		}
		interrupted += mc->cpus[i].interrupted;
	}
	char list[512] = "";
	size_t n = 0;
	for (int r = 0; r < MACHINE_EXIT_REASONS && n < sizeof(list); r++) {
		if (!exits[r])
			continue;
		const char *name = vcpu_exit_name((unsigned)r);
		if (name)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s %llu",
			                      n ? ", " : "", name, (unsigned long long)exits[r]);
		else
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%sreason %d: %llu",
			                      n ? ", " : "", r, (unsigned long long)exits[r]);
	}
	uint64_t guest_pages = guest_mem_resident_pages(&mc->vm.mem);
	uint64_t rss_pages = stats_resident_pages();
	uint64_t monitor_pages = rss_pages > guest_pages ? rss_pages - guest_pages : 0;
	term_flush();
	fprintf(stderr,
	        "toro stats: built-in monitor, %d vCPU%s, %llu MiB\n"
	        "  to first guest instruction  %.3f ms (first KVM_RUN; first VM exit at %.3f ms)\n"
	        "  to exit                     %.3f ms\n"
	        "  VM exits                    %llu: %s%s (and %llu KVM_RUN returns for signals)\n"
	        "  guest pages touched         %llu (%llu KiB)\n"
	        "  monitor RSS                 %llu KiB without guest pages (%llu KiB with)\n",
	        mc->ncpus, mc->ncpus > 1 ? "s" : "", (unsigned long long)(mc->vm.mem.size >> 20),
	        (mc->t_first_run - t0) * 1e3,
	        mc->t_first_exit ? (mc->t_first_exit - t0) * 1e3 : 0.0, (end - t0) * 1e3,
	        (unsigned long long)total, total ? "" : "none", list,
	        (unsigned long long)interrupted, (unsigned long long)guest_pages,
	        (unsigned long long)(guest_pages * GUEST_PAGE_SIZE >> 10),
	        (unsigned long long)(monitor_pages * 4), (unsigned long long)(rss_pages * 4));
	if (mc->board.vsock_muxer) {
		struct vsock_muxer_stats v;
		vsock_muxer_get_stats(mc->board.vsock_muxer, &v);
		fprintf(stderr,
		        "  vsock                       %d connection%s open, %llu bytes to the "
		        "guest, %llu from it, %llu RSTs sent\n",
		        v.connections, v.connections == 1 ? "" : "s",
		        (unsigned long long)v.bytes_to_guest, (unsigned long long)v.bytes_from_guest,
		        (unsigned long long)v.rst_sent);
	}
	for (int i = 0; i < mc->board.nshares; i++) {
		const struct virtio_fs *fs = &mc->board.fs[i];
		fprintf(
		    stderr,
		    "  share%-2d                     %llu FUSE requests; %u nodes and %u handles "
		    "held at the stop\n",
		    i, (unsigned long long)fs->requests, fuse_server_nodes_in_use(fs->server),
		    fuse_server_handles_in_use(fs->server));
	}
}
