"""``bakery-orch backtest``: a rolling-origin backtest of the production forecaster against the
seasonal-naive and 4-week weekday-mean baselines, on a ``date,product,quantity[,tenant]`` file."""

import json
import sys
from pathlib import Path

import click
import pandas as pd
from tqdm import tqdm

from bakery_orchestration.errors import BakeryError


def _horizons(text: str) -> list[int]:
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-"))
            values = list(range(first, last + 1))
        else:
            values = [int(part) for part in text.split(",")]
    except ValueError as exc:
        raise click.BadParameter(f"{text!r}: use a range like 1-7 or a list like 1,3,7") from exc
    if not values or min(values) < 1 or max(values) > 7:
        raise click.BadParameter(f"{text!r}: horizons are between 1 and 7")
    return values


def read_sales_file(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    missing = {"date", "product", "quantity"} - set(frame.columns)
    if missing:
        raise BakeryError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
    frame["date"] = pd.to_datetime(frame["date"])
    frame["product"] = frame["product"].astype(str)
    return frame


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--holdout-days", type=click.IntRange(7, 365), default=56, show_default=True)
@click.option("--horizons", default="1-7", show_default=True, help="e.g. 1-7 or 1,7")
@click.option("--refit-every", type=click.IntRange(1, 365), default=7, show_default=True)
@click.option("--min-share", type=click.FloatRange(0, 1), default=0.8, show_default=True)
@click.option("--product", "products", multiple=True, help="Only these products (repeatable).")
@click.option("--country", help="Holiday calendar of the bakery, e.g. FR.")
@click.option("--json", "as_json", is_flag=True, help="A JSON document on stdout.")
def backtest(file, holdout_days, horizons, refit_every, min_share, products, country, as_json):
    """Rolling-origin backtest of the forecaster on FILE (date,product,quantity[,tenant])."""
    from bakery_orchestration.forecasting.backtest import render_backtest, run_backtest
    from bakery_orchestration.forecasting.model import TenantCalendar

    sales = read_sales_file(file)
    with tqdm(desc="backtest origins", unit="origin", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        result = run_backtest(
            sales,
            holdout_days=holdout_days,
            horizons=_horizons(horizons),
            min_share=min_share,
            refit_every=refit_every,
            products=list(products) or None,
            progress=progress,
            calendars=TenantCalendar(country=country) if country else None,
        )
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        click.echo(render_backtest(result))
