"""Function-length percentiles (lines from `def` to the last line of the body) for a package tree."""

from __future__ import annotations

import argparse
import ast
import statistics
from pathlib import Path


def function_lengths(root: Path) -> list[tuple[int, str]]:
    """Length and `path:name` of every function and method under `root` (nested ones included)."""
    found: list[tuple[int, str]] = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                found.append((end - node.lineno + 1, f"{path}:{node.lineno} {node.name}"))
    return found


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, round(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", nargs="?", default="service", type=Path)
    parser.add_argument("--top", type=int, default=5, help="also list the N longest functions")
    parser.add_argument("--over", type=int, default=30, help="count the functions longer than this")
    args = parser.parse_args()
    found = sorted(function_lengths(args.root))
    lengths = [length for length, _ in found]
    print(f"{args.root}: {len(lengths)} functions")
    over = sum(length > args.over for length in lengths)
    print(
        f"p50 {percentile(lengths, 0.5)}  p90 {percentile(lengths, 0.9)}  max {lengths[-1]}  "
        f"mean {statistics.mean(lengths):.1f}  over {args.over} lines: {over}"
    )
    for length, where in found[::-1][: args.top]:
        print(f"  {length:4d}  {where}")


if __name__ == "__main__":
    main()
