"""Run every benchmarks/bench_*.py and print one table of figures.

Each module exposes ``run() -> list[tuple[str, float, str]]``: (name, value, unit).
Figures are for reading and for notes on issues, never timed assertions.

    python benchmarks/run.py                 # all modules
    python benchmarks/run.py import          # only bench_import.py
    python benchmarks/run.py --json out.json # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):
    spec = importlib.util.spec_from_file_location(f"benchmarks.{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="module names without the bench_ prefix")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    paths = sorted(HERE.glob("bench_*.py"))
    if args.only:
        paths = [p for p in paths if p.stem.removeprefix("bench_") in args.only]
    rows: list[tuple[str, str, float, str]] = []
    failed = []
    for path in paths:
        started = time.perf_counter()
        try:
            results = load(path).run()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            traceback.print_exc()
            failed.append(path.stem)
            continue
        rows += [(path.stem, name, float(value), unit) for name, value, unit in results]
        print(f"# {path.stem}: {len(results)} figures in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    width = max([len(name) for _, name, _, _ in rows] + [len("figure")])
    print(f"{'module':<20} {'figure':<{width}} {'value':>12}  unit")
    for module, name, value, unit in rows:
        print(f"{module:<20} {name:<{width}} {value:>12.3f}  {unit}")
    if args.json:
        args.json.write_text(json.dumps(
            [{"module": m, "name": n, "value": v, "unit": u} for m, n, v, u in rows], indent=2) + "\n")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
