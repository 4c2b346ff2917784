"""Wall time of the backtest of a synthetic store chain (issue 14's held-aside chain's shape).

Run: .venv/bin/python benchmarks/forecast_chain.py [--tenants 35] [--products 3] [--workers 2]
Target: 35 stores x 3 products x 3 years, 56 origins each, under 10 minutes on 2 cores, with
production's retraining rule. The sales are synthetic (weekly and yearly shape, Poisson noise),
so only the time is meaningful here, not the accuracy.
"""

import os
import resource
import time

import click
import pandas as pd

from bakery_orchestration.forecasting.backtest import render_backtest, run_backtest
from bakery_orchestration.forecasting.synthetic import synthetic_sales


def chain(tenants: int, products: int, days: int) -> pd.DataFrame:
    """One sales frame with a tenant column; each store its own levels and noise."""
    stores = [
        synthetic_sales(products=products, days=days, seed=100 + i).assign(tenant=f"store{i:02d}")
        for i in range(tenants)
    ]
    return pd.concat(stores, ignore_index=True)


@click.command()
@click.option("--tenants", default=35, show_default=True)
@click.option("--products", default=3, show_default=True)
@click.option("--days", default=3 * 365, show_default=True)
@click.option("--workers", default=2, show_default=True)
def main(tenants: int, products: int, days: int, workers: int) -> None:
    """Backtest the chain and print the wall time, CPU time of this process and the load."""
    sales = chain(tenants, products, days)
    click.echo(f"load average before: {os.getloadavg()}")
    wall, cpu = time.perf_counter(), time.process_time()
    result = run_backtest(sales, workers=workers)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    click.echo(render_backtest(result))
    click.echo(
        f"{tenants} tenants x {products} products x {days} days, workers {workers}: "
        f"wall {time.perf_counter() - wall:.1f} s, CPU parent {time.process_time() - cpu:.1f} s "
        f"+ workers {children.ru_utime + children.ru_stime:.1f} s"
    )
    click.echo(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
