"""How long `import kubelab` takes: it is paid by every notebook, test and CLI call."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5


def importtime_us(module: str = "kubelab") -> float:
    """Cumulative import time of ``module`` in microseconds, from ``python -X importtime``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                          capture_output=True, text=True, check=True)
    # lines: "import time:  self [us] | cumulative | imported package"
    for line in proc.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[2].strip() == module:
            return float(fields[1])
    raise RuntimeError(f"{module} not in -X importtime output")


def wall_ms(code: str, runs: int = RUNS) -> float:
    """Median wall time of ``python -c code`` in milliseconds."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run() -> list[tuple[str, float, str]]:
    return [
        ("import kubelab, cumulative (-X importtime)", importtime_us(), "us"),
        (f"python -c 'import kubelab', median of {RUNS}", wall_ms("import kubelab"), "ms"),
        (f"python -c 'pass' (interpreter start), median of {RUNS}", wall_ms("pass"), "ms"),
    ]
