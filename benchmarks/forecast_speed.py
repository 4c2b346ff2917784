"""Speed of the demand model on synthetic data: one tenant, 150 products, two years of history.

Run: .venv/bin/python benchmarks/forecast_speed.py [--fast] [--products 150] [--days 730]
     [--set field=value ...]   (ModelConfig overrides, as forecast_dev.py's)
Targets (issues 7 and 14): a fit with all quantiles <= 5 CPU-s; one origin's prediction <= 0.2 s.
``--pool N`` times instead one pooled fit of a synthetic chain of N stores x 3 products over the
same days (what production's ``train_model`` does for each tenant of a model pool).
"""

import dataclasses
import os
import statistics
import time
from datetime import timedelta

import click
from forecast_dev import parse_overrides

from bakery_orchestration.forecasting.model import DemandModel, ModelConfig, TenantCalendar
from bakery_orchestration.forecasting.synthetic import store_chain_sales, synthetic_sales


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls, and the last result.

    CPU time is what the call costs on an idle machine (the fit runs on one thread); wall
    time also counts waiting for a core on a shared machine.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


@click.command()
@click.option("--products", default=150, show_default=True)
@click.option("--days", default=730, show_default=True)
@click.option("--repeat", default=5, show_default=True, help="Predictions timed (median).")
@click.option("--fit-repeat", default=3, show_default=True, help="Fits timed (median).")
@click.option("--fast", is_flag=True, help="Use ModelConfig.fast() instead of the default.")
@click.option("--pool", type=int, help="Time one pooled fit of this many 3-product stores.")
@click.option("--set", "pairs", multiple=True, help="A ModelConfig override, field=value.")
def main(
    products: int, days: int, repeat: int, fit_repeat: int, fast: bool, pool: int, pairs: tuple
) -> None:
    """Time DemandModel.fit and DemandModel.predict and print the figures."""
    if pool:
        _time_pool(pool, days, fit_repeat)
        return
    sales = synthetic_sales(products=products, days=days, closed_weekdays=(2,))
    as_of = (sales["date"].max() + timedelta(days=1)).date()
    calendar = TenantCalendar(country="FR", closed_weekdays=(2,))
    config = dataclasses.replace(
        ModelConfig.fast() if fast else ModelConfig(), **parse_overrides(pairs)
    )
    click.echo(f"load average before: {os.getloadavg()}")
    fit_wall, fit_cpu, model = _timed(
        lambda: DemandModel.fit(sales, as_of=as_of, calendar=calendar, config=config), fit_repeat
    )
    model.predict(sales, origin=as_of)  # warm caches (holiday calendar)
    pred_wall, pred_cpu, forecast = _timed(lambda: model.predict(sales, origin=as_of), repeat)
    click.echo(f"history: {products} products x {days} days, {len(sales)} sales rows")
    click.echo(f"config: {'fast' if fast else 'default'} {config}")
    click.echo(f"fit, all quantiles: wall {fit_wall:.2f} s, cpu {fit_cpu:.2f} s (target < 5 s)")
    click.echo(
        f"predict one origin, {len(forecast)} rows: wall {pred_wall:.3f} s, "
        f"cpu {pred_cpu:.3f} s (target < 0.2 s)"
    )
    click.echo(f"serialized model: {len(model.to_bytes()) / 1024:.0f} KiB")
    click.echo(f"load average after: {os.getloadavg()}")


def _time_pool(stores: int, days: int, repeat: int) -> None:
    chain = store_chain_sales(tenants=stores, products=3, days=days)
    as_of = (chain["date"].max() + timedelta(days=1)).date()
    members = {t: (g, TenantCalendar()) for t, g in chain.groupby("tenant")}
    click.echo(f"load average before: {os.getloadavg()}")
    wall, cpu, models = _timed(lambda: DemandModel.fit_pool(members, as_of=as_of), repeat)
    click.echo(
        f"pooled fit of {len(models)} stores x 3 products x {days} days ({len(chain)} rows): "
        f"wall {wall:.2f} s, cpu {cpu:.2f} s"
    )
    click.echo(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
