"""Wall and CPU time of ``bakery-orch replay`` (the command, child process included).

Run: .venv/bin/python benchmarks/replay.py [--repeat 1] [--inject KIND@DAY ...]
Target (issue 12): the French bakery, 28 mornings from 2022-06-01, within 10 minutes on 2 cores.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

FRENCH = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "french_bakery" / "daily_units.csv"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(arguments: list[str]) -> tuple[float, float]:
    command = [str(Path(sys.executable).parent / "bakery-orch"), "replay", *arguments, "--json"]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "replay.log"
        wall, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([*command, "--log-file", str(log)], check=True, capture_output=True)
        return time.perf_counter() - wall, _children_cpu() - cpu


@click.command()
@click.option("--file", "path", type=click.Path(exists=True), default=str(FRENCH))
@click.option("--start", default="2022-06-01", show_default=True)
@click.option("--days", default=28, show_default=True)
@click.option("--country", default="FR", show_default=True)
@click.option("--inject", "injections", multiple=True)
@click.option("--repeat", default=1, show_default=True)
def main(path, start, days, country, injections, repeat) -> None:
    """Time the replay command and print the median wall and CPU seconds."""
    arguments = [path, "--start", start, "--days", str(days), "--country", country]
    arguments += [f"--inject={item}" for item in injections]
    click.echo(f"load before: {os.getloadavg()[0]:.1f}")
    runs = [_once(arguments) for _ in range(repeat)]
    click.echo(f"load after: {os.getloadavg()[0]:.1f}")
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    click.echo(f"replay {days} mornings, {repeat} run(s): wall {wall:.0f} s, CPU {cpu:.0f} s")


if __name__ == "__main__":
    main()
