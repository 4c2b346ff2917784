"""Wall time of ``bakery-orch backtest`` on a synthetic store chain of the held-aside chain's shape.

Run: .venv/bin/python benchmarks/forecast_chain.py [--tenants 35] [--products 3] [--days 1095]
     [--workers 2] [--keep FILE]
Issue 14's target: 35 stores x 3 products x several years, 56 origins each, under 10 minutes
on 2 cores, with production's configuration (its retraining rule; no holiday calendar here).
The chain itself is not available to the team: the file is SYNTHETIC
(``synthetic.store_chain_sales``: real-looking weekly and yearly shapes, trend, over-dispersed
noise, closed days, late launches, spikes), written as ``date,product,quantity,tenant`` and
backtested by the same command the project owner runs. Only the time is meaningful; the
accuracy of a synthetic chain says little about the real one.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from bakery_orchestration.forecasting.synthetic import store_chain_sales

CLI = Path(sys.executable).with_name("bakery-orch")


@click.command()
@click.option("--tenants", default=35, show_default=True)
@click.option("--products", default=3, show_default=True)
@click.option("--days", default=3 * 365, show_default=True)
@click.option("--workers", default=2, show_default=True)
@click.option("--keep", type=click.Path(dir_okay=False, path_type=Path), help="Keep the CSV.")
def main(tenants: int, products: int, days: int, workers: int, keep: Path | None) -> None:
    """Write the chain's CSV, run the backtest command on it, print wall and CPU time."""
    sales = store_chain_sales(tenants=tenants, products=products, days=days)
    with tempfile.TemporaryDirectory() as tmp:
        path = keep or Path(tmp) / "chain.csv"
        sales.assign(date=sales["date"].dt.date)[["date", "product", "quantity", "tenant"]].to_csv(
            path, index=False
        )
        command = [str(CLI), "backtest", str(path), "--country", "none", "--json"]
        command += ["--workers", str(workers)]
        click.echo(f"{len(sales)} rows; {' '.join(command)}")
        click.echo(f"load average before: {os.getloadavg()}")
        wall = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - wall
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads(done.stdout)
    for method, scores in data["methods"].items():
        cover = scores.get("coverage_p10_p90")
        cover = f"  cover {cover:.1f} %" if cover is not None else ""
        click.echo(f"{method:<16} WAPE {scores['wape']:6.2f} %  bias {scores['bias']:+6.1f}{cover}")
    click.echo(
        f"SYNTHETIC chain, {tenants} tenants x {products} products x {days} days, "
        f"{data['points']} points, {data['model_fits']} model fits, workers {workers}: "
        f"wall {wall:.1f} s, CPU {cpu.ru_utime + cpu.ru_stime:.1f} s"
    )
    click.echo(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
