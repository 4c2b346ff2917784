"""How long ``bakery-orch`` takes to answer before doing any work: ``--help`` and a usage error,
each a fresh process, median of repeats, with the load average printed (a 2-core machine shared
with other work inflates wall times).

Run: .venv/bin/python benchmarks/cli_startup.py [--repeats 15]
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
CASES = {"--help": ["--help"], "usage error": ["runs", "show"], "runs --help": ["runs", "--help"]}


def seconds(args: list[str]) -> float:
    command = [str(ROOT / ".venv" / "bin" / "bakery-orch"), *args]
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - start


@click.command()
@click.option("--repeats", type=click.IntRange(3, 200), default=15, show_default=True)
def main(repeats: int) -> None:
    print(f"load average {os.getloadavg()[0]:.2f}, python {sys.version.split()[0]}")
    for name, args in CASES.items():
        samples = [seconds(args) for _ in range(repeats)]
        print(
            f"{name:<12} median {statistics.median(samples):.3f} s "
            f"(min {min(samples):.3f}, max {max(samples):.3f}, {repeats} runs)"
        )


if __name__ == "__main__":
    main()
