/* The PVH loader: checks that an image fits the guest, then writes its segments and the boot
 * structures (GDT, hvm_start_info, memory map, command line, MP table) into guest RAM at the
 * addresses of layout.h. The vCPU state for the PVH entry is set up in vm.c. */
#ifndef VMM_KVM_PVH_H
#define VMM_KVM_PVH_H

#include <stddef.h>
#include <stdint.h>

#include <toro/abi/start_info.h>

#include "guest.h"
#include "image.h"
#include "mptable.h"

/* Selectors of the GDT written at LAYOUT_GDT_ADDR, as the PVH entry's segments use them. */
#define PVH_GDT_ENTRIES 4
#define PVH_SEL_CODE    0x08
#define PVH_SEL_DATA    0x10
#define PVH_SEL_TSS     0x18

/* Whether every segment of img lies inside guest RAM and clear of the boot structures, and the
 * command line fits the kernel's limit (TORO_CMDLINE_MAX). Needs only the layout of m, not its mapping. Returns 0, or -1 with
 * a one-line reason in err. */
int pvh_check(const struct image *img, const struct guest_mem *m, const char *cmdline, int cpus,
              char *err, size_t errlen);

/* Fills map with the e820-style memory map of m; returns the number of entries (at most max). */
uint32_t pvh_memmap(const struct guest_mem *m, struct hvm_memmap_table_entry *map, uint32_t max);

/* Writes everything into mapped, zero-filled guest RAM (BSS is therefore left as it is). Call
 * pvh_check first. Returns 0, or -1 with a reason in err. */
int pvh_load(const struct image *img, const struct guest_mem *m, const char *cmdline, int cpus,
             const struct mptable_cpu_info *cpu, char *err, size_t errlen);

/* The argument module (TORO_ARGS_MAGIC, include/toro/abi/start_info.h) of len bytes: whether it
 * fits m beside img (0, or -1 with a reason in err), and, after pvh_load, writing it and the
 * module list that names it. */
int pvh_check_module(const struct image *img, const struct guest_mem *m, size_t len, char *err,
                     size_t errlen);
void pvh_load_module(const struct guest_mem *m, const void *data, size_t len);

#endif
