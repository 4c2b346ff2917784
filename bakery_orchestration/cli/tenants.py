"""``bakery-orch tenants``: the bakery registry and its product master data."""

from pathlib import Path

import click

from bakery_orchestration.cli.database import open_engine as _engine
from bakery_orchestration.instance import dagster_instance, register_tenant_partitions
from bakery_orchestration.tenants import registry

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _closed_days(value: str) -> tuple[int, ...]:
    if not value:
        return ()
    names = [v.strip().lower()[:3] for v in value.split(",")]
    unknown = [n for n in names if n not in WEEKDAYS]
    if unknown:
        raise click.BadParameter(f"unknown weekday(s) {', '.join(unknown)}; use mon..sun")
    return tuple(WEEKDAYS.index(n) for n in names)


def _describe(tenant: registry.Tenant) -> str:
    closed = ",".join(WEEKDAYS[d] for d in tenant.closed_weekdays) or "-"
    region = "-".join(filter(None, [tenant.country, tenant.subdivision])) or "-"
    return (
        f"{tenant.slug:<24} {tenant.status:<10} {tenant.tier:<13} {tenant.timezone:<16} "
        f"{region:<7} closed:{closed:<8} {tenant.name}"
    )


@click.group()
def tenants() -> None:
    """Register and manage bakeries (tenants)."""


@tenants.command()
@click.argument("slug")
@click.option("--name", help="Display name (default: the slug).")
@click.option(
    "--tier", default="starter", show_default=True, help="starter|professional|enterprise"
)
@click.option("--timezone", default="Europe/Madrid", show_default=True)
@click.option("--country", help="ISO country code for public holidays, e.g. ES.")
@click.option("--subdivision", help="Region code for regional holidays, e.g. MD.")
@click.option("--closed", default="", help="Weekly closing days, e.g. 'mon' or 'sun,mon'.")
@click.option("--webhook-url", help="Where the daily summary is posted.")
@click.option("--products", "products_csv", type=click.Path(exists=True, path_type=Path))
@click.pass_context
def add(ctx, slug, name, tier, timezone, country, subdivision, closed, webhook_url, products_csv):
    """Register bakery SLUG and its Dagster partition."""
    engine = _engine(ctx)
    tenant = registry.add_tenant(
        engine,
        slug,
        name or slug,
        tier=tier,
        timezone=timezone,
        country=country,
        subdivision=subdivision,
        closed_weekdays=_closed_days(closed),
        webhook_url=webhook_url,
    )
    if products_csv:
        count = registry.upsert_products(engine, slug, registry.read_products_csv(products_csv))
        click.echo(f"loaded {count} products")
    register_tenant_partitions(dagster_instance(), [tenant])
    click.echo(f"added {_describe(tenant)}")
    _show_secret_once(tenant.webhook_secret)


def _show_secret_once(secret: str) -> None:
    click.echo(f"webhook signing secret (shown once, give it to the bakery): {secret}")


@tenants.command("list")
@click.option("--status", type=click.Choice(["active", "suspended", "cancelled"]))
@click.pass_context
def list_(ctx, status):
    """List bakeries."""
    for tenant in registry.list_tenants(_engine(ctx), status):
        click.echo(_describe(tenant))


@tenants.command()
@click.argument("slug")
@click.pass_context
def show(ctx, slug):
    """Show one bakery and its products."""
    engine = _engine(ctx)
    tenant = registry.get_tenant(engine, slug)
    click.echo(_describe(tenant))
    signed = "signed" if tenant.webhook_secret else "unsigned"
    click.echo(f"id: {tenant.id}  webhook: {tenant.webhook_url or '-'} ({signed})")
    click.echo(f"model pool: {tenant.model_pool or '- (own sales only)'}")
    products = registry.load_products(engine, tenant.id)
    click.echo(f"{len(products)} products")
    for row in products.itertuples():
        click.echo(
            f"  {row.product_id:<24} price {row.unit_price:>6.2f} cost {row.unit_cost:>6.2f} "
            f"batch {row.batch_size:>3} shelf life {row.shelf_life_days}d"
        )


def _set_status(ctx, slug: str, status: str) -> None:
    tenant = registry.set_status(_engine(ctx), slug, status)
    click.echo(f"{tenant.slug} is {tenant.status}")


@tenants.command()
@click.argument("slug")
@click.pass_context
def suspend(ctx, slug):
    """Stop scheduling SLUG (its history is kept)."""
    _set_status(ctx, slug, "suspended")


@tenants.command()
@click.argument("slug")
@click.pass_context
def activate(ctx, slug):
    """Schedule SLUG again."""
    _set_status(ctx, slug, "active")


@tenants.command("set-webhook")
@click.argument("slug")
@click.argument("url", required=False)
@click.pass_context
def set_webhook(ctx, slug, url):
    """Post SLUG's daily summary to URL (no URL: post none)."""
    tenant = registry.set_webhook_url(_engine(ctx), slug, url)
    click.echo(f"{tenant.slug}: webhook {tenant.webhook_url or '-'}")


@tenants.command("set-model-pool")
@click.argument("slug")
@click.argument("pool", required=False)
@click.pass_context
def set_model_pool(ctx, slug, pool):
    """Train SLUG's demand model on the sales of every tenant of POOL (a chain's stores that
    opted in); no POOL: on SLUG's own sales only. Takes effect at the next model fit."""
    tenant = registry.set_model_pool(_engine(ctx), slug, pool)
    click.echo(f"{tenant.slug}: model pool {tenant.model_pool or '- (own sales only)'}")


@tenants.command("rotate-webhook-secret")
@click.argument("slug")
@click.pass_context
def rotate_webhook_secret(ctx, slug):
    """Give SLUG a new webhook signing secret; the old one stops verifying at once."""
    _show_secret_once(registry.rotate_webhook_secret(_engine(ctx), slug))


@tenants.command("load-products")
@click.argument("slug")
@click.argument("csv_file", type=click.Path(exists=True, path_type=Path))
@click.pass_context
def load_products(ctx, slug, csv_file):
    """Replace SLUG's product master data from CSV_FILE."""
    count = registry.upsert_products(_engine(ctx), slug, registry.read_products_csv(csv_file))
    click.echo(f"{slug}: {count} products loaded")
