#!/usr/bin/env python3
"""Maps an icount-plugin.c histogram (hist=FILE: "0xPC COUNT" lines) onto the functions of an
ELF's symbol table and prints where the instructions went, most first, with how often each
function was entered (the count of its first instruction). With a second histogram
(BASE), prints the difference per function: a run of 2N operations less a run of N gives what N
operations cost, with boot and exit cancelled.
usage: profile.py ELF HIST [BASE] [--per N] [--top K]"""
import argparse
import bisect
import subprocess
import sys


def functions(elf):
    """The ELF's code symbols as (sorted addresses, names)."""
    out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True, text=True,
                         check=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            addrs.append(int(f[0], 16))
            names.append(f[2])
    return addrs, names


def per_function(path, addrs, names):
    """{function: [instructions, entries]} of a histogram."""
    counts = {}
    with open(path) as f:
        for line in f:
            pc, n = line.split()
            pc, n = int(pc, 16), int(n)
            i = bisect.bisect_right(addrs, pc) - 1
            c = counts.setdefault(names[i] if i >= 0 else "?", [0, 0])
            c[0] += n
            if i >= 0 and addrs[i] == pc:
                c[1] += n
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("elf")
    p.add_argument("hist")
    p.add_argument("base", nargs="?")
    p.add_argument("--per", type=float, default=1, help="divide every count by this")
    p.add_argument("--top", type=int, default=25)
    a = p.parse_args()
    addrs, names = functions(a.elf)
    counts = per_function(a.hist, addrs, names)
    if a.base:
        for name, (n, calls) in per_function(a.base, addrs, names).items():
            c = counts.setdefault(name, [0, 0])
            c[0] -= n
            c[1] -= calls
    total = sum(n for n, _ in counts.values())
    rows = sorted(counts.items(), key=lambda kv: -abs(kv[1][0]))
    print(f"  {'function':<40} {'instructions':>13} {'share':>7} {'entered':>9}")
    for name, (n, calls) in rows[:a.top]:
        if n == 0:
            break
        share = 100.0 * n / total if total else 0.0
        print(f"  {name:<40} {n / a.per:>13.1f} {share:>6.1f}% {calls / a.per:>9.2f}")
    rest = sum(n for _, (n, _) in rows[a.top:])
    if rest:
        print(f"  {'(the rest)':<40} {rest / a.per:>13.1f} {100.0 * rest / total:>6.1f}%")
    print(f"  {'total':<40} {total / a.per:>13.1f}")


if __name__ == "__main__":
    try:
        main()
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print(f"profile.py: {e}", file=sys.stderr)
        sys.exit(2)
