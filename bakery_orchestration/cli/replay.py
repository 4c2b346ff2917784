"""``bakery-orch replay``: a real sales history played back morning by morning through the daily
graph, to see what the system would have said each day."""

import sys
import tempfile
from datetime import datetime
from pathlib import Path

import click

from bakery_orchestration.core.errors import BakeryError


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First morning.")
@click.option("--days", type=click.IntRange(1, 366), required=True, help="Mornings to replay.")
@click.option("--tenant", help="The tenant to replay when FILE has a tenant column.")
@click.option("--country", help="Holiday calendar of the bakery, e.g. FR.")
@click.option(
    "--inject",
    "injections",
    multiple=True,
    metavar="KIND@YYYY-MM-DD",
    help="missing-sales, bad-rows or demand-drop on that morning (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="A JSON document on stdout.")
@click.option(
    "--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Where Dagster's logs go."
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the replay's database and Dagster instance in this new folder (default: a "
    "temporary folder, deleted at the end).",
)
def replay(file, start, days, tenant, country, injections, as_json, log_file, home):
    """Replay FILE (date,product,quantity[,tenant]) as one bakery from START for DAYS mornings."""
    from bakery_orchestration.replay.inject import parse_injection
    from bakery_orchestration.replay.inputs import check_window, read_replay_sales
    from bakery_orchestration.replay.process import spawn

    first = start.date()
    check_window(read_replay_sales(file, tenant), first, days)  # fail before the child starts
    for text in injections:
        item = parse_injection(text)
        if not 0 <= (item.day - first).days < days:
            raise BakeryError(f"--inject {text}: {item.day} is not one of the replayed mornings")
    _check_country(country)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    args = {
        "file": str(file.resolve()),
        "start": first.isoformat(),
        "days": days,
        "tenant": tenant,
        "country": country.upper() if country else None,
        "inject": list(injections),
        "json": as_json,
        "log_file": str(log_file or Path(tempfile.gettempdir()) / f"bakery-replay-{stamp}.log"),
    }
    if home is not None:
        if home.exists() and any(home.iterdir()):
            raise BakeryError(f"--home {home}: the folder is not empty")
        home.mkdir(parents=True, exist_ok=True)
        code = spawn(args, home.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="bakery-replay-") as folder:
            code = spawn(args, Path(folder))
    sys.exit(code)


def _check_country(country: str | None) -> None:
    import holidays

    if country and country.upper() not in holidays.list_supported_countries():
        raise BakeryError(f"--country {country}: not a country code the holiday calendar knows")
