"""``bakery-orch db``: migrate and inspect the orchestration database schema."""

import click

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db import migrate


def _url(ctx: click.Context) -> str:
    return ctx.obj["database_url"]


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.group()
def db() -> None:
    """Migrate and inspect the orchestration database."""


@db.command()
@click.argument("revision", default="head")
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Upgrade the schema to REVISION (default: head)."""
    migrate.upgrade(_url(ctx), revision)
    click.echo(f"{_safe(_url(ctx))} is at {migrate.current_revision(_url(ctx))}")


@db.command()
@click.argument("revision")
@click.pass_context
def downgrade(ctx: click.Context, revision: str) -> None:
    """Downgrade the schema to REVISION (`base` removes everything)."""
    migrate.downgrade(_url(ctx), revision)
    click.echo(f"{_safe(_url(ctx))} is at {migrate.current_revision(_url(ctx)) or 'base'}")


@db.command()
@click.pass_context
def current(ctx: click.Context) -> None:
    """Print the database's revision and the code's head revision."""
    state = migrate.schema_state(_url(ctx))
    click.echo(f"current: {state.current or 'base'}")
    click.echo(f"head:    {state.head}")


@db.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Exit non-zero when the database is behind the code's head revision."""
    state = migrate.schema_state(_url(ctx))
    if not state.up_to_date:
        raise BakeryError(
            f"database {_safe(_url(ctx))} is at {state.current or 'base'}, the code needs "
            f"{state.head}: run `bakery-orch db upgrade`"
        )
    click.echo(f"database is up to date ({state.head})")
