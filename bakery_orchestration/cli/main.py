"""The ``bakery-orch`` command line.

click, because Dagster already depends on it (nothing new to install), it composes sub-command
groups from separate modules, and its testing runner drives commands in-process.

Commands are registered lazily in ``COMMANDS``: a command's module (and whatever it imports:
Dagster, pandas, scikit-learn, SQLAlchemy) is imported only when that command runs, so
``bakery-orch --help`` and usage errors answer at once. To add a command, add one line there.
"""

import importlib
import sys

import click

from bakery_orchestration.core.errors import BakeryError

USAGE_ERROR_EXIT = 2

# name: ("module:attribute", the one line shown by `bakery-orch --help`)
COMMANDS = {
    "backfill": (
        "bakery_orchestration.cli.backfill:backfill",
        "Backfill a tenant's days through the Dagster webserver.",
    ),
    "backtest": (
        "bakery_orchestration.cli.backtest:backtest",
        "Rolling-origin backtest of the forecaster on a sales file.",
    ),
    "db": ("bakery_orchestration.cli.db:db", "Migrate and inspect the orchestration database."),
    "deliveries": (
        "bakery_orchestration.cli.deliveries:deliveries",
        "Purchase orders: what is expected, recording receipts.",
    ),
    "demo": (
        "bakery_orchestration.cli.demo:demo",
        "Run the daily cycle on generated bakeries, locally.",
    ),
    "import-sales": (
        "bakery_orchestration.cli.sales:import_sales_command",
        "Import a POS export as a tenant's sales history.",
    ),
    "planning": (
        "bakery_orchestration.cli.planning:planning",
        "Load recipes, ingredients, suppliers, stock, capacity.",
    ),
    "replay": (
        "bakery_orchestration.cli.replay:replay",
        "Replay a real sales history as one tenant, morning by morning.",
    ),
    "runs": ("bakery_orchestration.cli.runs:runs", "Inspect orchestration runs (the audit trail)."),
    "status": (
        "bakery_orchestration.cli.status:status",
        "Today's cycle per tenant and the open alerts.",
    ),
    "tenants": ("bakery_orchestration.cli.tenants:tenants", "Register and manage bakeries."),
}


class BakeryGroup(click.Group):
    """Loads commands on demand; prints every expected failure as one ``error: ...`` line."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, _, attribute = COMMANDS[name][0].partition(":")
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BakeryError as exc:
            _fail(str(exc))
        except Exception as exc:
            reason = _database_problem(exc)
            if reason is None:
                raise
            _fail(f"cannot use the orchestration database: {reason}")

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's main, with its multi-line usage block replaced by one line and exit code 2."""
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help())
            code = 0
        except click.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            _fail(_one_line(exc.format_message()) + hint, USAGE_ERROR_EXIT)
        except click.ClickException as exc:
            _fail(_one_line(exc.format_message()), exc.exit_code)
        except click.Abort:
            _fail("aborted")
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def _one_line(message: str) -> str:
    text = " ".join(message.split()).rstrip(".")
    return text[:1].lower() + text[1:]


def _database_problem(exc: Exception) -> str | None:
    """The first line of a database connection error, without importing SQLAlchemy: if it was
    never imported, ``exc`` cannot be one of its errors."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.OperationalError):
        return None
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group(cls=BakeryGroup)
@click.option(
    "--database-url",
    envvar="BAKERY_DATABASE_URL",
    default=None,
    help="Orchestration database URL (default: $BAKERY_DATABASE_URL, else a local SQLite file).",
)
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Run and inspect the daily operations of many bakeries."""
    from bakery_orchestration.core.settings import database_url as resolve

    ctx.obj = {"database_url": resolve(database_url)}
