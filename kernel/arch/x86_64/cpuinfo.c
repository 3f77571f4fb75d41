/* The processor's identity for /proc/cpuinfo (kernel/fs/proc.c), from CPUID: vendor, brand
 * string, family/model/stepping with the extended fields folded in as Linux does, and the
 * feature flags by Linux's names. Only features usable here are named: the kernel enables no
 * XSAVE state (kernel/arch/x86_64/fpu.c), so AVX and what needs it are left out. */
#include <kernel/arch.h>
#include <kernel/string.h>

#include "io.h"

/* Linux's names (arch/x86/include/asm/cpufeatures.h) by register bit; NULL: not reported. */
static const char *const leaf1_edx[32] = {
    "fpu",  "vme",  "de",   "pse", "tsc",  "msr", "pae",   "mce", "cx8",     "apic", NULL,
    "sep",  "mtrr", "pge",  "mca", "cmov", "pat", "pse36", "pn",  "clflush", NULL,   "dts",
    "acpi", "mmx",  "fxsr", "sse", "sse2", "ss",  "ht",    "tm",  "ia64",    "pbe",
};

static const struct {
	unsigned bit;
	const char *name;
} leaf1_ecx[] = {
    {0, "pni"},     {1, "pclmulqdq"}, {9, "ssse3"},       {13, "cx16"},
    {19, "sse4_1"}, {20, "sse4_2"},   {22, "movbe"},      {23, "popcnt"},
    {25, "aes"},    {30, "rdrand"},   {31, "hypervisor"},
};

static const struct {
	unsigned bit;
	const char *name;
} ext_edx[] = {
    {11, "syscall"},
    {20, "nx"},
    {27, "rdtscp"},
    {29, "lm"},
};

static void flag_add(char *flags, size_t *at, size_t cap, const char *name)
{
	size_t n = strlen(name);
	if (*at + n + 2 > cap)
		return;
	if (*at)
		flags[(*at)++] = ' ';
	memcpy(flags + *at, name, n);
	*at += n;
	flags[*at] = 0;
}

void arch_cpu_info(struct arch_cpu_info *out)
{
	uint32_t r[4];
	memset(out, 0, sizeof(*out));
	cpuid(0, 0, r);
	memcpy(out->vendor, &r[1], 4);
	memcpy(out->vendor + 4, &r[3], 4);
	memcpy(out->vendor + 8, &r[2], 4);
	cpuid(1, 0, r);
	unsigned family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf;
	if (family == 0xf)
		family += (r[0] >> 20) & 0xff;
	if (family >= 6)
		model += ((r[0] >> 16) & 0xf) << 4;
	out->family = family;
	out->model = model;
	out->stepping = r[0] & 0xf;
	size_t at = 0;
	for (unsigned b = 0; b < 32; b++)
		if (leaf1_edx[b] && (r[3] >> b & 1))
			flag_add(out->flags, &at, sizeof(out->flags), leaf1_edx[b]);
	for (size_t i = 0; i < sizeof(leaf1_ecx) / sizeof(leaf1_ecx[0]); i++)
		if (r[2] >> leaf1_ecx[i].bit & 1)
			flag_add(out->flags, &at, sizeof(out->flags), leaf1_ecx[i].name);
	cpuid(0x80000000u, 0, r);
	uint32_t max_ext = r[0];
	if (max_ext >= 0x80000001u) {
		cpuid(0x80000001u, 0, r);
		for (size_t i = 0; i < sizeof(ext_edx) / sizeof(ext_edx[0]); i++)
			if (r[3] >> ext_edx[i].bit & 1)
				flag_add(out->flags, &at, sizeof(out->flags), ext_edx[i].name);
	}
	if (max_ext >= 0x80000004u) {
		for (uint32_t leaf = 0; leaf < 3; leaf++) {
			cpuid(0x80000002u + leaf, 0, r);
			memcpy(out->model_name + 16 * leaf, r, 16);
		}
		/* Brand strings are padded with leading spaces on some CPUs. */
		char *s = out->model_name;
		while (*s == ' ')
			s++;
		memmove(out->model_name, s, strlen(s) + 1);
	} else {
		memcpy(out->model_name, "unknown", 8);
	}
}
