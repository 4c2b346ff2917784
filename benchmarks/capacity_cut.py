"""Speed of production planning with an oven-capacity cut, for a sane and an absurd forecast.

Run: .venv/bin/python benchmarks/capacity_cut.py [--products 150] [--repeat 5]
Issue 13: the cut used to remove one batch per loop pass (1.55 s per 100,000 units); it must
not grow with the forecast. Prints the median wall and CPU seconds and the load average.
"""

import os
import statistics
import time

import click
import numpy as np
import pandas as pd

from bakery_orchestration.planning.production import plan_production


def _timed(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _inputs(products: int, largest: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(13)
    names = [f"product-{i:03d}" for i in range(products)]
    p50 = rng.uniform(5, 80, products)
    p50[0] = largest
    forecast = pd.DataFrame({"product": names, "p10": p50 * 0.7, "p50": p50, "p90": p50 * 1.4})
    master = pd.DataFrame(
        {
            "product": names,
            "unit_price": rng.uniform(1, 5, products),
            "unit_cost": rng.uniform(0.2, 1.0, products),
            "salvage_value": 0.0,
            "batch_size": rng.integers(1, 12, products),
            "oven_minutes_per_batch": rng.choice([5.0, 10.0, 20.0], products),
        }
    )
    master.loc[0, "batch_size"] = 1
    return forecast, master


@click.command()
@click.option("--products", default=150, show_default=True)
@click.option("--capacity", default=1440.0, show_default=True, help="Oven minutes in the day.")
@click.option("--repeat", default=5, show_default=True)
@click.option(
    "--largest",
    type=float,
    multiple=True,
    default=(50.0, 1e5, 1e8, 1.5e9),
    show_default=True,
    help="The first product's P50 forecast, units (repeatable).",
)
def main(products: int, capacity: float, repeat: int, largest: tuple[float, ...]) -> None:
    """Time plan_production with a capacity cut for increasingly absurd first products."""
    click.echo(f"load average before: {os.getloadavg()[0]:.1f}")
    for units in largest:
        forecast, master = _inputs(products, units)
        wall, cpu = _timed(lambda f=forecast, m=master: plan_production(f, m, capacity), repeat)
        click.echo(
            f"{products} products, first forecast {units:,.0f} units (batch 1), capacity "
            f"{capacity:.0f} min: median wall {wall:.3f} s, cpu {cpu:.3f} s ({repeat} runs)"
        )
    click.echo(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
