"""The ``bakery-orch`` command line.

click, because Dagster already depends on it (nothing new to install), it composes sub-command
groups from separate modules, and its testing runner drives commands in-process.
"""

import sys

import click
import sqlalchemy.exc

from bakery_orchestration.cli.backtest import backtest
from bakery_orchestration.cli.db import db
from bakery_orchestration.cli.deliveries import deliveries
from bakery_orchestration.cli.demo import demo
from bakery_orchestration.cli.planning import planning
from bakery_orchestration.cli.replay import replay
from bakery_orchestration.cli.runs import runs
from bakery_orchestration.cli.sales import import_sales_command
from bakery_orchestration.cli.tenants import tenants
from bakery_orchestration.errors import BakeryError


class FriendlyGroup(click.Group):
    """Turns expected failures into one readable line and a non-zero exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BakeryError as exc:
            _fail(str(exc))
        except sqlalchemy.exc.OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            _fail(f"cannot use the orchestration database: {reason}")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group(cls=FriendlyGroup)
@click.option(
    "--database-url",
    envvar="BAKERY_DATABASE_URL",
    default=None,
    help="Orchestration database URL (default: $BAKERY_DATABASE_URL, else a local SQLite file).",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Run and inspect the daily operations of many bakeries."""
    from bakery_orchestration.settings import database_url as resolve

    ctx.obj = {"database_url": resolve(database_url)}


cli.add_command(db)
cli.add_command(deliveries)
cli.add_command(backtest)
cli.add_command(demo)
cli.add_command(planning)
cli.add_command(replay)
cli.add_command(runs)
cli.add_command(import_sales_command)
cli.add_command(tenants)
