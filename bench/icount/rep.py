#!/usr/bin/env python3
"""Counts a histogram's REP string instructions as hardware does: once per instruction, not once
per iteration. icount-plugin.c counts TCG executions, and QEMU executes a REP MOVS/STOS/CMPS/SCAS/
LODS/INS/OUTS once per iteration plus a final check, so a 4 KiB `rep movsq` counts 513 where a
CPU's instructions-retired counter counts 1. For each REP instruction of the ELF the histogram
(hist=FILE: "0xPC COUNT" lines) reached, the instructions it stands for are the executions of the
instruction after it (each REP, once done, falls through to it once); the rest are iterations.
Prints "iterations N" (the counts to take off the plugin's total) and, with --per, N / PER. The
instruction after a REP must not be reached another way: one that is a jump target in the ELF is
reported on stderr and makes the exit status 1.
usage: rep.py ELF HIST [--per N]"""
import argparse
import re
import subprocess
import sys

REP = re.compile(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(repz?|repnz|repe|repne) "
                 r"(?:rex\.W )?(movs|stos|cmps|scas|lods|ins|outs)")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(\S.*)?$")
TARGET = re.compile(r"\b(?:j[a-z]+|call|loop[a-z]*)\s+([0-9a-f]+) <")


def disassembly(elf):
    """The ELF's instructions in address order, as (address, is a REP string instruction), and
    every address a direct jump or call names."""
    out = subprocess.run(["objdump", "-d", "-w", elf],
                         capture_output=True, text=True, check=True).stdout
    insns, targets = [], set()
    for line in out.splitlines():
        m = INSN.match(line)
        if not m or m.group(2) is None:
            continue  # a continuation line of a long instruction's bytes
        insns.append((int(m.group(1), 16), REP.match(line) is not None))
        t = TARGET.search(m.group(2))
        if t:
            targets.add(int(t.group(1), 16))
    return insns, targets


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("elf")
    p.add_argument("hist")
    p.add_argument("--per", type=float, default=0)
    a = p.parse_args()
    counts = {}
    with open(a.hist) as f:
        for line in f:
            pc, n = line.split()
            counts[int(pc, 16)] = counts.get(int(pc, 16), 0) + int(n)
    insns, targets = disassembly(a.elf)
    iterations, status = 0, 0
    for i, (pc, rep) in enumerate(insns):
        if not rep or not counts.get(pc) or i + 1 == len(insns):
            continue
        after = insns[i + 1][0]
        if after in targets:
            print(f"rep.py: 0x{after:x}, after the REP at 0x{pc:x}, is a jump target: "
                  "its count is not the REP's", file=sys.stderr)
            status = 1
        iterations += counts[pc] - counts.get(after, 0)
    print(f"iterations {iterations}" + (f" {iterations / a.per:.1f}" if a.per else ""))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print(f"rep.py: {e}", file=sys.stderr)
        sys.exit(2)
