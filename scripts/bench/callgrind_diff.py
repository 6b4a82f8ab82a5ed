#!/usr/bin/env python3
"""Per-operation instruction counts from two callgrind profiles of different workload sizes.

    callgrind_diff.py SMALL.out LARGE.out OPERATIONS [--inclusive] [--top N]

Each function's count in SMALL is subtracted from its count in LARGE and divided by OPERATIONS
(the difference in operations between the two runs), so start-up and warm-up cancel out. Needs
`callgrind_annotate` (valgrind). Profile with SWIFT_DETERMINISTIC_HASHING=1 so counts repeat.
"""

import argparse
import re
import subprocess


def load(path, inclusive):
    output = subprocess.run(
        ["callgrind_annotate", "--auto=no", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", path],
        capture_output=True, text=True, check=True,
    ).stdout
    counts = {}
    for line in output.splitlines():
        match = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+(.*)", line)
        if match and "PROGRAM TOTALS" not in line:
            name = re.sub(r"'\d+", "", match.group(2))  # callgrind's recursion suffixes
            counts[name] = counts.get(name, 0) + int(match.group(1).replace(",", ""))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("small")
    parser.add_argument("large")
    parser.add_argument("operations", type=float)
    parser.add_argument("--inclusive", action="store_true", help="inclusive rather than self counts")
    parser.add_argument("--top", type=int, default=40)
    options = parser.parse_args()
    small, large = load(options.small, options.inclusive), load(options.large, options.inclusive)
    rows = sorted(((large.get(name, 0) - small.get(name, 0)) / options.operations, name) for name in set(small) | set(large))
    for per_operation, name in reversed(rows[-options.top:]):
        print(f"{per_operation:12,.0f}  {name}")


if __name__ == "__main__":
    main()
