"""``bakery-orch demo``: set up generated bakeries and run their daily cycle locally."""

import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import click
from tqdm import tqdm

from bakery_orchestration.partitions import TIMEZONE


@click.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Default: today, Madrid.")
@click.option("--tenants", "count", type=click.IntRange(1, 500), default=3, show_default=True)
@click.pass_context
def demo(ctx: click.Context, day: datetime | None, count: int) -> None:
    """Generate COUNT bakeries with two years of sales and run the daily cycle for DATE."""
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.demo.report import print_report
    from bakery_orchestration.demo.run import run_demo
    from bakery_orchestration.instance import dagster_home, dagster_instance
    from bakery_orchestration.resources import local_resources

    url = ctx.obj["database_url"]
    the_day: date = day.date() if day else datetime.now(ZoneInfo(TIMEZONE)).date()
    defs = build_definitions(local_resources(url))
    with (
        dagster_instance() as instance,
        tqdm(total=2 * count, desc="daily cycle", unit="run", file=sys.stderr) as bar,
    ):
        runs = run_demo(
            defs, instance, url, day=the_day, count=count, on_run=lambda _run: bar.update()
        )
    print_report(url, runs, the_day, echo=click.echo)
    click.echo(f"\nSee it in the UI: DAGSTER_HOME={dagster_home()} dagster dev")
    if not all(run.success for run in runs):
        raise SystemExit(1)
