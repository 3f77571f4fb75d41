/* Parsing of `toro run` options and sizes, and of the application's environment (-e, --env-file,
 * NAME=value). Kept free of side effects other than reading --env-file files, so the unit tests
 * can drive it. */
#include "toro.h"
#include "error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* "128M", "2m", "4G", "512GiB", "1K", "1048576B"; a bare number is MiB (as QEMU's -m). */
int parse_size(const char *s, uint64_t *bytes)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 20;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'B':
		shift = 0;
		end++;
		break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	default:
		return -1;
	}
	if (shift && (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0))
		end += strlen(end);
	if (*end)
		return -1;
	if (v > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	if (!s || !*s)
		return -1;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Options take their value as the next argument or after '=' ("--mem 2M", "--mem=2M"). */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (strcmp(argv[*i], name) != 0)
		return NULL;
	if (*i + 1 >= argc)
		return "";
	return argv[++*i];
}

static int is_option(const char *arg, const char *name)
{
	size_t n = strlen(name);
	return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

void vsock_options_init(struct vsock_config *c)
{
	memset(c, 0, sizeof(*c));
	c->guest_cid = VSOCK_GUEST_CID_DEFAULT;
}

/* A decimal number from lo to hi, nothing else. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* [ADDR:]HOSTPORT:GUESTPORT, ADDR an IPv4 address (127.0.0.1 when left out). */
static int parse_forward(const char *spec, struct vsock_forward *f, char *err, size_t errlen)
{
	char buf[64];
	const char *guest = strrchr(spec, ':');
	if (!guest || strlen(spec) >= sizeof(buf))
		return error_set(err, errlen,
		                 "--forward '%s': expected [ADDR:]HOSTPORT:GUESTPORT (example: "
		                 "8080:80)",
		                 spec);
	memcpy(buf, spec, (size_t)(guest - spec));
	buf[guest - spec] = '\0';
	char *host = strrchr(buf, ':');
	const char *addr = "127.0.0.1";
	if (host) {
		*host++ = '\0';
		addr = buf;
	} else {
		host = buf;
	}
	uint64_t hp, gp;
	struct in_addr in;
	if (inet_pton(AF_INET, addr, &in) != 1)
		return error_set(err, errlen, "--forward '%s': '%s' is not an IPv4 address", spec,
		                 addr);
	if (parse_u64(host, 1, 65535, &hp))
		return error_set(err, errlen, "--forward '%s': host port '%s' must be 1 to 65535",
		                 spec, host);
	if (parse_u64(guest + 1, 0, VSOCK_PORT_ANY - 1, &gp))
		return error_set(err, errlen,
		                 "--forward '%s': guest port '%s' must be 0 to 4294967294", spec,
		                 guest + 1);
	*f = (struct vsock_forward){in.s_addr, (uint16_t)hp, (uint32_t)gp};
	return 0;
}

int gdb_parse(const char *value, struct gdb_listener *g, char *err, size_t errlen)
{
	uint64_t port;
	g->enabled = 1;
	g->fd = -1;
	g->path = NULL;
	g->vsock = 0;
	if (strncmp(value, "vsock:", 6) == 0) {
		if (parse_u64(value + 6, 1, 65535, &port))
			return error_set(err, errlen,
			                 "--gdb '%s': vsock:PORT takes a port from 1 to 65535 (the "
			                 "guest's, and the host's on 127.0.0.1)",
			                 value);
		g->port = g->vsock = (unsigned)port;
		return 0;
	}
	if (strncmp(value, "unix:", 5) == 0) {
		g->path = value + 5;
		if (!*g->path)
			return error_set(err, errlen, "--gdb unix:PATH: no socket path given");
		return 0;
	}
	g->path = NULL;
	if (parse_u64(value, 0, 65535, &port))
		return error_set(err, errlen,
		                 "--gdb '%s': expected a TCP port (0 to 65535, 0: any free one) or "
		                 "unix:PATH",
		                 value);
	g->port = (unsigned)port;
	return 0;
}

int parse_vsock_option(int argc, char **argv, int *i, struct vsock_config *c, char *err,
                       size_t errlen)
{
	const char *a = argv[*i], *v;
	if (is_option(a, "--vsock")) {
		v = option_value(argc, argv, i, "--vsock");
		if (!*v)
			return error_set(err, errlen, "--vsock: no socket path given");
		c->uds_path = v;
	} else if (is_option(a, "--forward") || is_option(a, "-f")) {
		v = option_value(argc, argv, i, a[1] == 'f' ? "-f" : "--forward");
		if (c->nforwards == VSOCK_FORWARDS_MAX)
			return error_set(err, errlen, "--forward %s: at most %d forwards", v,
			                 VSOCK_FORWARDS_MAX);
		if (parse_forward(v, &c->forwards[c->nforwards], err, errlen))
			return -1;
		c->nforwards++;
	} else if (is_option(a, "--cid")) {
		v = option_value(argc, argv, i, "--cid");
		if (parse_u64(v, VSOCK_CID_HOST + 1, VSOCK_PORT_ANY - 1, &c->guest_cid))
			return error_set(err, errlen,
			                 "--cid %s: must be a number from 3 to 4294967294", v);
	} else {
		return 0;
	}
	c->enabled = 1;
	return 1;
}

/* Length of the environment variable name that starts s and ends at its '=', or 0 if s is not
 * NAME=VALUE with NAME an identifier ([A-Za-z_][A-Za-z0-9_]*). */
static size_t env_name_length(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	size_t n = 1;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return s[n] == '=' ? n : 0;
}

/* Adds NAME=VALUE (checked by the caller) to o's environment; a later value for a NAME replaces
 * the earlier one, so the last -e wins as it does for env(1). */
static int env_add(struct run_options *o, const char *entry, size_t name_len, char *err,
                   size_t errlen)
{
	char *copy = strdup(entry);
	if (!copy)
		return error_set(err, errlen, "out of memory for the environment");
	for (int i = 0; i < o->nenv; i++) {
		if (strncmp(o->env[i], entry, name_len + 1) == 0) {
			free(o->env[i]);
			o->env[i] = copy;
			return 0;
		}
	}
	char **grown = realloc(o->env, (size_t)(o->nenv + 1) * sizeof(*grown));
	if (!grown) {
		free(copy);
		return error_set(err, errlen, "out of memory for the environment");
	}
	o->env = grown;
	o->env[o->nenv++] = copy;
	return 0;
}

/* -e/--env VALUE and bare NAME=value words; what names the source in an error. */
static int env_option(struct run_options *o, const char *what, const char *entry, char *err,
                      size_t errlen)
{
	size_t n = env_name_length(entry);
	if (!n) {
		const char *eq = strchr(entry, '=');
		if (!eq)
			return error_set(err, errlen, "%s '%s': expected NAME=VALUE", what, entry);
		if (memchr(entry, '.', (size_t)(eq - entry)))
			return error_set(
			    err, errlen,
			    "%s '%s': not an environment variable name (kernel options "
			    "go in TORO_KERNEL_OPTIONS)",
			    what, entry);
		return error_set(err, errlen,
		                 "%s '%s': not a valid environment variable name (letters, digits "
		                 "and '_', not starting with a digit)",
		                 what, entry);
	}
	return env_add(o, entry, n, err, errlen);
}

static int line_is_blank_or_comment(const char *line)
{
	line += strspn(line, " \t");
	return *line == '\0' || *line == '#';
}

/* --env-file FILE: NAME=VALUE lines, the value taken as it is (no quotes or escapes); blank lines
 * and lines starting with '#' are skipped. */
static int env_file(struct run_options *o, const char *path, char *err, size_t errlen)
{
	if (!*path)
		return error_set(err, errlen, "--env-file: no file given");
	FILE *f = fopen(path, "r");
	if (!f)
		return error_set(err, errlen, "--env-file %s: %s", path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	for (unsigned lineno = 1; rc == 0 && (len = getline(&line, &cap, f)) >= 0; lineno++) {
		if ((size_t)len != strlen(line)) {
			rc = error_set(err, errlen, "--env-file %s:%u: contains a NUL byte", path,
			               lineno);
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (line_is_blank_or_comment(line))
			continue;
		size_t n = env_name_length(line);
		if (!n)
			rc = error_set(
			    err, errlen,
			    "--env-file %s:%u: expected NAME=VALUE with NAME made of letters, "
			    "digits and '_'",
			    path, lineno);
		else
			rc = env_add(o, line, n, err, errlen);
	}
	if (rc == 0 && ferror(f))
		rc = error_set(err, errlen, "--env-file %s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	return rc;
}

/* --pin CPU[,CPU...]: host CPU numbers (a range A-B gives A to B), each one this process may
 * run on; how many must match --cpus is checked once all options are read. */
static int parse_pin(const char *spec, struct run_options *o, char *err, size_t errlen)
{
	cpu_set_t allowed;
	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return error_set(err, errlen, "--pin: cannot read this process's CPUs: %s",
		                 strerror(errno));
	o->npin = 0;
	const char *p = spec;
	do {
		char *end;
		if (!isdigit((unsigned char)*p))
			goto bad;
		unsigned long first = strtoul(p, &end, 10), last = first;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				goto bad;
			last = strtoul(end + 1, &end, 10);
			if (last < first)
				goto bad;
		}
		if (*end != ',' && *end != '\0')
			goto bad;
		for (unsigned long cpu = first; cpu <= last; cpu++) {
			if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
				return error_set(err, errlen,
				                 "--pin %s: host CPU %lu is not online (or not "
				                 "allowed to this process)",
				                 spec, cpu);
			if (o->npin == TORO_CPUS_MAX)
				return error_set(err, errlen, "--pin %s: more than %d CPUs", spec,
				                 TORO_CPUS_MAX);
			o->pin[o->npin++] = (int)cpu;
		}
		p = *end ? end + 1 : end;
	} while (*p || p[-1] == ',');
	return 0;
bad:
	return error_set(err, errlen,
	                 "--pin '%s': expected host CPU numbers CPU[,CPU...] (example: 0,2 or 0-3)",
	                 spec);
}

int run_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n < 1 || n > 64 || !isalnum((unsigned char)name[0]))
		return 0;
	if (strspn(name, "0123456789") == n)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       n;
}

/* A word before "--" that is not an option: the image, or NAME=value for the environment. A word
 * with '=' and no '/' before it is taken as an assignment, so an image path with '=' in its
 * base name needs a directory ("./a=b.elf"). */
static int is_assignment(const char *word)
{
	const char *eq = strchr(word, '=');
	return eq && memchr(word, '/', (size_t)(eq - word)) == NULL;
}

void run_options_free(struct run_options *o)
{
	for (int i = 0; i < o->nenv; i++)
		free(o->env[i]);
	free(o->env);
	o->env = NULL;
	o->nenv = 0;
	share_free(o->shares, o->nshares);
	o->nshares = 0;
}

int parse_run_options(int argc, char **argv, struct run_options *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->mem = TORO_MEM_DEFAULT;
	o->cpus = 1;
	o->gdb.fd = -1;
	/* The virtio console keeps stdout, stderr and stdin apart and is fast; COM1 alone is one
	 * slow channel (docs/architecture.md, "Console routing"). */
	o->console = CONSOLE_VIRTIO;
	vsock_options_init(&o->vsock);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
		int vsock = parse_vsock_option(argc, argv, &i, &o->vsock, err, errlen);
		if (vsock < 0)
			return -1;
		if (vsock)
			continue;
		if (strcmp(a, "--") == 0) {
			o->nargs = argc - i - 1;
			o->args = argv + i + 1;
			break;
		}
		if (is_option(a, "--mem")) {
			v = option_value(argc, argv, &i, "--mem");
			if (parse_size(v, &o->mem))
				return error_set(err, errlen,
				                 "--mem: bad size '%s' (examples: 2M, 128M, 4G)",
				                 v);
			if (o->mem < TORO_MEM_MIN || o->mem > TORO_MEM_MAX)
				return error_set(err, errlen,
				                 "--mem %s: must be between 2M and 512G", v);
		} else if (is_option(a, "--cpus")) {
			long n;
			v = option_value(argc, argv, &i, "--cpus");
			if (parse_int(v, 1, TORO_CPUS_MAX, &n))
				return error_set(err, errlen,
				                 "--cpus %s: must be a number from 1 to %d", v,
				                 TORO_CPUS_MAX);
			o->cpus = (int)n;
		} else if (is_option(a, "--timeout")) {
			v = option_value(argc, argv, &i, "--timeout");
			char *end;
			errno = 0;
			double t = strtod(v, &end);
			if (!*v || *end || errno || !(t > 0) || t > 1e7)
				return error_set(err, errlen,
				                 "--timeout %s: must be a positive number of "
				                 "seconds",
				                 v);
			o->timeout = t;
		} else if (is_option(a, "--vmm")) {
			v = option_value(argc, argv, &i, "--vmm");
			if (strcmp(v, "qemu") == 0)
				o->vmm = VMM_QEMU;
			else if (strcmp(v, "toro") == 0)
				o->vmm = VMM_TORO;
			else if (strcmp(v, "auto") == 0)
				o->vmm = VMM_AUTO;
			else
				return error_set(err, errlen,
				                 "--vmm %s: must be auto, toro or qemu", v);
		} else if (is_option(a, "--accel")) {
			v = option_value(argc, argv, &i, "--accel");
			if (strcmp(v, "tcg") == 0)
				o->accel = ACCEL_TCG;
			else if (strcmp(v, "kvm") == 0)
				o->accel = ACCEL_KVM;
			else
				return error_set(err, errlen, "--accel %s: must be tcg or kvm", v);
		} else if (is_option(a, "--console")) {
			v = option_value(argc, argv, &i, "--console");
			if (strcmp(v, "serial") == 0)
				o->console = CONSOLE_SERIAL;
			else if (strcmp(v, "virtio") == 0)
				o->console = CONSOLE_VIRTIO;
			else
				return error_set(err, errlen,
				                 "--console %s: must be serial or virtio", v);
		} else if (is_option(a, "--gdb")) {
			v = option_value(argc, argv, &i, "--gdb");
			if (gdb_parse(v, &o->gdb, err, errlen))
				return -1;
		} else if (strcmp(a, "--stats") == 0) {
			o->stats = 1;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->quiet = 1;
		} else if (strcmp(a, "--detach") == 0) {
			o->detach = 1;
		} else if (is_option(a, "--log") || is_option(a, "-l")) {
			const char *name = a[1] == 'l' ? "-l" : "--log";
			v = option_value(argc, argv, &i, name);
			if (!*v)
				return error_set(err, errlen, "%s: no file given", name);
			o->log = v;
		} else if (is_option(a, "--pin") || is_option(a, "-p")) {
			v = option_value(argc, argv, &i, a[1] == 'p' ? "-p" : "--pin");
			if (parse_pin(v, o, err, errlen))
				return -1;
		} else if (is_option(a, "--name")) {
			v = option_value(argc, argv, &i, "--name");
			if (!run_name_valid(v))
				return error_set(
				    err, errlen,
				    "--name '%s': 1 to 64 letters, digits, '_', '.' or "
				    "'-', starting with a letter or digit, not all digits",
				    v);
			o->name = v;
		} else if (is_option(a, "-e") || is_option(a, "--env")) {
			const char *name = a[1] == 'e' ? "-e" : "--env";
			v = option_value(argc, argv, &i, name);
			if (env_option(o, name, v, err, errlen))
				return -1;
		} else if (is_option(a, "--share") || is_option(a, "-d")) {
			const char *name = a[1] == 'd' ? "-d" : "--share";
			v = option_value(argc, argv, &i, name);
			if (share_add(o->shares, &o->nshares, name, v, err, errlen))
				return -1;
		} else if (is_option(a, "--exec")) {
			v = option_value(argc, argv, &i, "--exec");
			if (!*v)
				return error_set(err, errlen, "--exec: no program given");
			o->exec = v;
		} else if (is_option(a, "--env-file")) {
			v = option_value(argc, argv, &i, "--env-file");
			if (env_file(o, v, err, errlen))
				return -1;
		} else if (a[0] == '-' && a[1]) {
			return error_set(err, errlen, "unknown option '%s'", a);
		} else if (is_assignment(a)) {
			if (env_option(o, "environment", a, err, errlen))
				return -1;
		} else if (!o->image) {
			o->image = a;
		} else {
			return error_set(err, errlen,
			                 "unexpected argument '%s' (application arguments go "
			                 "after --)",
			                 a);
		}
	}
	if (o->exec && o->image)
		return error_set(err, errlen,
		                 "--exec %s runs in the tool's own image: give no image ('%s')",
		                 o->exec, o->image);
	if (!o->image && !o->exec)
		return error_set(err, errlen, "no image given");
	if (o->npin && o->npin != o->cpus)
		return error_set(
		    err, errlen, "--pin: %d host CPU%s for %d vCPU%s (--cpus): give one per vCPU",
		    o->npin, o->npin == 1 ? "" : "s", o->cpus, o->cpus == 1 ? "" : "s");
	if (o->gdb.enabled && o->gdb.vsock) {
		/* gdb reaches the guest's port through a forward of the vsock device. */
		struct vsock_config *c = &o->vsock;
		if (c->nforwards == VSOCK_FORWARDS_MAX)
			return error_set(err, errlen, "--gdb vsock:%u: at most %d forwards with it",
			                 o->gdb.vsock, VSOCK_FORWARDS_MAX - 1);
		c->forwards[c->nforwards++] = (struct vsock_forward){
		    htonl(INADDR_LOOPBACK), (uint16_t)o->gdb.vsock, o->gdb.vsock};
		c->enabled = 1;
		/* gdb may connect before the guest's stub listens (its boot is slow under TCG):
		 * the forward holds the connection that long. */
		if (!c->hold_ms)
			c->hold_ms = GDB_VSOCK_HOLD_MS;
	}
	return 0;
}

int parse_vhost_user_options(int argc, char **argv, struct vhost_user_options *o, char *err,
                             size_t errlen)
{
	memset(o, 0, sizeof(*o));
	vsock_options_init(&o->vsock);
	if (argc < 1 || argv[0][0] == '-')
		return error_set(err, errlen, "no device given (vsock or fs)");
	o->kind = argv[0];
	int fs = strcmp(o->kind, "fs") == 0;
	if (!fs && strcmp(o->kind, "vsock") != 0)
		return error_set(err, errlen, "unknown device '%s' (vsock or fs)", o->kind);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is_option(a, "--socket")) {
			o->socket = option_value(argc, argv, &i, "--socket");
			if (!*o->socket)
				return error_set(err, errlen, "--socket: no path given");
			continue;
		}
		if (fs && is_option(a, "--share")) {
			const char *v = option_value(argc, argv, &i, "--share");
			if (o->nshares)
				return error_set(err, errlen, "--share %s: one share per device",
				                 v);
			if (share_add(o->shares, &o->nshares, "--share", v, err, errlen))
				return -1;
			continue;
		}
		int took = fs ? 0 : parse_vsock_option(argc, argv, &i, &o->vsock, err, errlen);
		if (took < 0)
			return -1;
		if (!took)
			return error_set(err, errlen, "unknown option '%s'", a);
	}
	if (!o->socket)
		return error_set(err, errlen,
		                 "--socket PATH is required (where the front end connects)");
	if (fs && !o->nshares)
		return error_set(err, errlen,
		                 "--share DIR[:rw] is required (the directory to serve)");
	return 0;
}
