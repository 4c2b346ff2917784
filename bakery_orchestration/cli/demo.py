"""``bakery-orch demo``: set up generated bakeries and run their daily cycle locally.

The demo sets ``BAKERY_PARTITION_START`` a week before its first day, before the code
location is imported (the partitions read it then), so the UI's partition bars are mostly the
demo's own days; the UI commands it prints carry the same setting.
"""

import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

PARTITION_TIMEZONE = "Europe/Madrid"  # partitions.TIMEZONE, read before partitions is imported
PARTITIONS_BEFORE_FIRST_DAY = timedelta(weeks=1)
REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


@click.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today, Madrid.")
@click.option("--tenants", "count", type=click.IntRange(1, 500), default=3, show_default=True)
@click.option(
    "--days",
    type=click.IntRange(2, 60),
    default=14,
    show_default=True,
    help="Mornings run per tenant, ending on --date.",
)
@click.pass_context
def demo(ctx: click.Context, day: datetime | None, count: int, days: int) -> None:
    """Generate COUNT bakeries with two years of sales and run the daily cycle of each of the
    --days mornings up to DATE. Exit 1 if a run or an ERROR check failed."""
    the_day: date = day.date() if day else datetime.now(ZoneInfo(PARTITION_TIMEZONE)).date()
    first_day = the_day - timedelta(days=days - 1)
    partition_start = (first_day - PARTITIONS_BEFORE_FIRST_DAY).isoformat()
    os.environ["BAKERY_PARTITION_START"] = partition_start
    runs, event_log = _run(ctx.obj["database_url"], the_day, count, days)

    from bakery_orchestration.demo.report import render_report, ui_hints

    hints = ui_hints(REPOSITORY_ROOT, _ui_environment(ctx.obj["database_url"], partition_start))
    for line in render_report(ctx.obj["database_url"], runs, event_log, hints):
        click.echo(line)
    if any(run.verdict == "failed" for run in runs):
        raise SystemExit(1)


def _run(url: str, day: date, count: int, days: int):
    from tqdm import tqdm

    from bakery_orchestration.core.settings import bakery_home
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.demo.run import run_demo
    from bakery_orchestration.instance import dagster_instance
    from bakery_orchestration.resources import local_resources

    # Not under DAGSTER_HOME/logs: Dagster keeps its own telemetry files there.
    event_log = bakery_home() / "logs" / f"demo-{datetime.now():%Y%m%dT%H%M%S}.log"
    defs = build_definitions(local_resources(url))
    with (
        dagster_instance() as instance,
        tqdm(total=days * count, desc="daily cycle", unit="run", file=sys.stderr) as bar,
    ):
        runs = run_demo(
            defs,
            instance,
            url,
            day=day,
            count=count,
            days=days,
            event_log=event_log,
            on_run=lambda run: bar.set_postfix_str(f"{run.day} {run.tenant}") or bar.update(),
        )
    return runs, event_log


def _ui_environment(url: str, partition_start: str) -> dict[str, str]:
    """What the code location needs to see the demo's instance, database and partitions."""
    from bakery_orchestration.core.settings import bakery_home, default_database_url
    from bakery_orchestration.instance import dagster_home

    environment = {
        "DAGSTER_HOME": str(dagster_home().resolve()),
        "BAKERY_HOME": str(bakery_home()),
        "BAKERY_PARTITION_START": partition_start,
    }
    if url != default_database_url():
        environment["BAKERY_DATABASE_URL"] = url
    return environment
