"""``bakery-orch backtest``: a rolling-origin backtest of the production forecaster against the
seasonal-naive, 4-week weekday-mean and exponential-smoothing baselines, on a
``date,product,quantity[,tenant]`` file.

Production's configuration by default: production's retraining rule, and the file's holiday
calendar: ``--country``, else a sidecar ``<file>.calendar.json`` (``{"country": "FR",
"subdivision": null}``), else the known files of ../shared/data (KNOWN_FILES). The tenants of
a multi-tenant file are one chain that opted in to one model pool (``--no-pool``: isolated),
the default chosen on the pseudo-store chains of docs/FORECASTING.md.
"""

import json
import sys
from pathlib import Path

import click
import pandas as pd
from tqdm import tqdm

from bakery_orchestration.core.errors import BakeryError

# Holiday calendars of the shared real-data files, keyed by their last two path parts.
KNOWN_FILES = {
    ("french_bakery", "daily_units.csv"): ("FR", None),
    ("breadbasket", "daily_item_lines.csv"): ("GB", "SCT"),
    ("korean_bakery", "daily_units.csv"): ("KR", None),
}
NO_CALENDAR = "none"


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


def file_calendar(path: Path, country: str | None) -> tuple[str | None, str | None]:
    """(country, subdivision) for the file: the option, the sidecar, or the known-file table."""
    if country is not None:
        return (None, None) if country.lower() == NO_CALENDAR else (country, None)
    sidecar = path.with_name(path.name + ".calendar.json")
    if sidecar.exists():
        try:
            spec = json.loads(sidecar.read_text())
            return spec["country"], spec.get("subdivision")
        except (ValueError, KeyError, TypeError) as exc:
            raise BakeryError(f'{sidecar}: expected {{"country": ...}}: {exc}') from exc
    return KNOWN_FILES.get((path.parent.name, path.name), (None, None))


def file_pools(sales: pd.DataFrame) -> dict[str, str] | None:
    """Every tenant of a multi-tenant file in one model pool (the file is one chain)."""
    if "tenant" not in sales.columns:
        return None
    return dict.fromkeys(sales["tenant"].astype(str).unique(), "file")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--holdout-days", type=click.IntRange(7, 365), default=56, show_default=True)
@click.option("--horizons", default="1-7", show_default=True, help="e.g. 1-7 or 1,7")
@click.option(
    "--window",
    type=click.Choice(["final", "dev"]),
    default="final",
    show_default=True,
    help="final: the last holdout (report only); dev: the holdout before it (tune here).",
)
@click.option(
    "--refit-every",
    type=click.IntRange(1, 365),
    help="Refit every N origins instead of production's retraining rule.",
)
@click.option("--min-share", type=click.FloatRange(0, 1), default=0.8, show_default=True)
@click.option("--product", "products", multiple=True, help="Only these products (repeatable).")
@click.option(
    "--country",
    help="Holiday calendar, e.g. FR, or 'none'; default: the file's sidecar or known calendar.",
)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option(
    "--pool/--no-pool",
    default=True,
    show_default=True,
    help="The tenants of a multi-tenant file are one chain whose stores share one model, as "
    "production fits tenants of one model pool; --no-pool: one model per tenant.",
)
@click.option("--json", "as_json", is_flag=True, help="A JSON document on stdout.")
def backtest(
    file, holdout_days, window, horizons, refit_every, min_share, products, country, workers,
    pool, as_json,
):  # fmt: skip
    """Rolling-origin backtest of the forecaster on FILE (date,product,quantity[,tenant])."""
    from bakery_orchestration.forecasting.backtest import render_backtest, run_backtest
    from bakery_orchestration.forecasting.model import TenantCalendar

    sales = read_sales_file(file)
    pools = file_pools(sales) if pool else None
    country, subdivision = file_calendar(file, country)
    click.echo(f"holiday calendar: {country or 'none'} {subdivision or ''}", err=True)
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
            window=window,
            products=list(products) or None,
            progress=progress,
            calendars=TenantCalendar(country=country, subdivision=subdivision),
            workers=workers,
            pools=pools,
        )
    if as_json:
        summary = {
            **result.to_dict(),
            "window": window,
            "country": country,
            "pooled": pools is not None,
        }
        click.echo(json.dumps(summary, indent=2, default=str))
    else:
        click.echo(render_backtest(result))
