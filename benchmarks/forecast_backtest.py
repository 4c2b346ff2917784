"""Backtest the demand model against the baselines on the real bakery files in ../shared/data.

Run: .venv/bin/python benchmarks/forecast_backtest.py [--dataset french_bakery] [--window dev]
     [--json OUT]
Production's configuration (the file's holiday calendar, production's retraining rule), the
reference protocol of ../shared/data/README.md (holdout 56 days, horizons 1-7, products sold on
>= 80 % of trading days). ``--window dev`` scores the 56 days before the final 56: every
default is chosen there; ``final`` (the default) is reported only.
"""

import json
from pathlib import Path

import click
import pandas as pd

from bakery_orchestration.cli.backtest import file_calendar
from bakery_orchestration.forecasting.backtest import render_backtest, run_backtest
from bakery_orchestration.forecasting.model import TenantCalendar

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = {
    "french_bakery": "french_bakery/daily_units.csv",
    "breadbasket": "breadbasket/daily_item_lines.csv",
    "korean_bakery": "korean_bakery/daily_units.csv",
}


@click.command()
@click.option("--dataset", "names", multiple=True, type=click.Choice(sorted(DATASETS)))
@click.option("--window", type=click.Choice(["final", "dev"]), default="final", show_default=True)
@click.option("--refit-every", type=int, help="Instead of production's retraining rule.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path))
def main(names: tuple[str, ...], window: str, refit_every: int | None, json_out: Path | None):
    """Print the backtest table of each dataset (all three by default)."""
    results = {}
    for name in names or tuple(DATASETS):
        path = SHARED_DATA / DATASETS[name]
        country, subdivision = file_calendar(path, None)
        sales = pd.read_csv(path, parse_dates=["date"])
        result = run_backtest(
            sales,
            window=window,
            refit_every=refit_every,
            calendars=TenantCalendar(country=country, subdivision=subdivision),
        )
        click.echo(f"== {name} ({DATASETS[name]}, window {window}, holidays {country})")
        click.echo(render_backtest(result))
        results[name] = result.to_dict()
    if json_out is not None:
        json_out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
