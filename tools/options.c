/* Parsing of `toro run` options and sizes. Kept free of side effects so the unit tests can drive
 * it. */
#include "toro.h"
#include "error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int parse_run_options(int argc, char **argv, struct run_options *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->mem = TORO_MEM_DEFAULT;
	o->cpus = 1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v;
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
		} else if (strcmp(a, "--stats") == 0) {
			o->stats = 1;
		} else if (a[0] == '-' && a[1]) {
			return error_set(err, errlen, "unknown option '%s'", a);
		} else if (!o->image) {
			o->image = a;
		} else {
			return error_set(err, errlen,
			                 "unexpected argument '%s' (application arguments go "
			                 "after --)",
			                 a);
		}
	}
	if (!o->image)
		return error_set(err, errlen, "no image given");
	return 0;
}
