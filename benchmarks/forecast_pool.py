"""A dev proxy of a store chain from the real files: per-store models against one pooled model.

Run: .venv/bin/python benchmarks/forecast_pool.py [--earlier 56] [--size 3] [--set field=value]
     [--mode isolated|pooled] [--log results.jsonl]
The held-aside chain (35 stores x a few products) is not available. This cuts each real file
into pseudo-stores of ``--size`` products: the products sold on >= 80 % of the trading days
before the dev window (that window and the final one are not read to choose them), by
decreasing volume, three consecutive ones a store (a remainder of one joins the last store).
Each store keeps the shop's trading days (a zero row on a trading day its products all missed),
so its closed days are the shop's; its shop features are its own products'. Then the dev
window (``--earlier 56``: the one before) is backtested with production's configuration,
``isolated`` (one model per store, as today) or ``pooled`` (one model for the file's stores).
"""

import dataclasses
import json
import os
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from forecast_dev import DATASETS, SHARED_DATA, parse_overrides

from bakery_orchestration.cli.backtest import file_calendar
from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting.backtest import run_backtest, select_products
from bakery_orchestration.forecasting.model import ModelConfig, TenantCalendar

HOLDOUT = 56


def pseudo_stores(sales: pd.DataFrame, size: int) -> pd.DataFrame:
    """``sales`` cut into stores of ``size`` products with a ``tenant`` column (see module doc)."""
    sales = ft.normalize_sales(sales)
    before = sales["date"].max() - pd.Timedelta(days=2 * HOLDOUT)
    matrix = ft.sales_matrix(sales[sales["date"] <= before], mask_before_launch=False)
    chosen = select_products(matrix, len(matrix.days), 0.8)
    volume = sales[sales["product"].isin(chosen)].groupby("product")["quantity"].sum()
    ranked = list(volume.sort_values(ascending=False).index)
    groups = [ranked[i : i + size] for i in range(0, len(ranked), size)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2] += groups.pop()
    trading = np.sort(sales["date"].unique())
    frames = []
    for k, products in enumerate(groups):
        store = sales[sales["product"].isin(products)]
        missed = np.setdiff1d(trading, store["date"].unique())
        filler = pd.DataFrame({"date": missed, "product": products[0], "quantity": 0.0})
        frames.append(pd.concat([store, filler]).assign(tenant=f"store{k:02d}"))
    return pd.concat(frames, ignore_index=True).sort_values(["tenant", "date", "product"])


@click.command()
@click.option("--set", "pairs", multiple=True, help="A ModelConfig override, field=value.")
@click.option("--earlier", default=0, show_default=True)
@click.option("--size", default=3, show_default=True)
@click.option("--mode", type=click.Choice(["isolated", "pooled"]), multiple=True)
@click.option("--dataset", "names", multiple=True, type=click.Choice(sorted(DATASETS)))
@click.option("--workers", default=1, show_default=True)
@click.option("--log", type=click.Path(dir_okay=False, path_type=Path))
def main(pairs, earlier, size, mode, names, workers, log) -> None:
    """Backtest the pseudo-store chains of every file, isolated and/or pooled."""
    overrides = parse_overrides(pairs)
    config = dataclasses.replace(ModelConfig(), **overrides)
    click.echo(f"dev-{earlier}, size {size}, overrides {overrides}, load {os.getloadavg()}")
    for name in names or tuple(DATASETS):
        path = SHARED_DATA / DATASETS[name]
        country, subdivision = file_calendar(path, None)
        sales = pd.read_csv(path, parse_dates=["date"])
        if earlier:
            sales = sales[sales["date"] <= sales["date"].max() - pd.Timedelta(days=earlier)]
        chain = pseudo_stores(sales, size)
        stores = sorted(chain["tenant"].unique())
        for how in mode or ("isolated", "pooled"):
            cpu, wall = time.process_time(), time.perf_counter()
            result = run_backtest(
                chain,
                window="dev",
                calendars=TenantCalendar(country=country, subdivision=subdivision),
                config=config,
                pools=dict.fromkeys(stores, "chain") if how == "pooled" else None,
                workers=workers,
            )
            data = result.to_dict()
            m = data["methods"]
            row = {
                "file": name,
                "mode": how,
                "earlier": earlier,
                "stores": len(stores),
                "wape": {k: round(v["wape"], 2) for k, v in m.items()},
                "bias": round(m["model"]["bias"], 1),
                "cover": round(m["model"]["coverage_p10_p90"], 1),
                "points": data["points"],
                "fits": data["model_fits"],
                "cpu_s": round(time.process_time() - cpu, 1),
                "wall_s": round(time.perf_counter() - wall, 1),
                "overrides": overrides,
            }
            baselines = " ".join(f"{k} {v:.2f}" for k, v in row["wape"].items() if k != "model")
            click.echo(
                f"{name:<14} {how:<9} {len(stores)} stores  model {row['wape']['model']:6.2f}  "
                f"{baselines}  bias {row['bias']:+.1f}  cover {row['cover']:.1f}  "
                f"points {row['points']}  fits {row['fits']}  cpu {row['cpu_s']} s  "
                f"wall {row['wall_s']} s"
            )
            if log is not None:
                with log.open("a") as out:
                    out.write(json.dumps(row, default=list) + "\n")


if __name__ == "__main__":
    main()
