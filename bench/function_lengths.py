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
    args = parser.parse_args()
    found = sorted(function_lengths(args.root))
    lengths = [length for length, _ in found]
    print(f"{args.root}: {len(lengths)} functions")
    print(
        f"p50 {percentile(lengths, 0.5)}  p90 {percentile(lengths, 0.9)}  max {lengths[-1]}  mean {statistics.mean(lengths):.1f}"
    )
    for length, where in found[-args.top :][::-1]:
        print(f"  {length:4d}  {where}")


if __name__ == "__main__":
    main()
