"""Backtest the demand model against the baselines on the real bakery files in ../shared/data.

Run: .venv/bin/python benchmarks/forecast_backtest.py [--dataset french_bakery] [--json OUT]
Each dataset is backtested with the reference protocol of ../shared/data/README.md (holdout
56 days, horizons 1-7, products sold on >= 80 % of trading days, weekly refit).
"""

import json
from pathlib import Path

import click
import pandas as pd

from bakery_orchestration.forecasting.backtest import render_backtest, run_backtest
from bakery_orchestration.forecasting.model import TenantCalendar

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = {
    "french_bakery": ("french_bakery/daily_units.csv", TenantCalendar(country="FR")),
    "breadbasket": (
        "breadbasket/daily_item_lines.csv",
        TenantCalendar(country="GB", subdivision="SCT"),
    ),
    "korean_bakery": ("korean_bakery/daily_units.csv", TenantCalendar(country="KR")),
}


@click.command()
@click.option("--dataset", "names", multiple=True, type=click.Choice(sorted(DATASETS)))
@click.option("--refit-every", default=7, show_default=True)
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path))
def main(names: tuple[str, ...], refit_every: int, json_out: Path | None) -> None:
    """Print the backtest table of each dataset (all three by default)."""
    results = {}
    for name in names or tuple(DATASETS):
        path, calendar = DATASETS[name]
        sales = pd.read_csv(SHARED_DATA / path, parse_dates=["date"])
        result = run_backtest(sales, refit_every=refit_every, calendars=calendar)
        click.echo(f"== {name} ({path}, holidays {calendar.country})")
        click.echo(render_backtest(result))
        results[name] = result.to_dict()
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
