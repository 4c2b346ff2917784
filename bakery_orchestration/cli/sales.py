"""``bakery-orch import-sales``: load a POS export into a tenant's sales history.

The rows pass the rules every way sales enter shares (`sales.validation`), with the tenant's
products, today's date in the tenant's time zone and the product ceilings from its history.
Only the product-days the file carries are replaced, unless `--replace-days`. A file with more
than `--max-bad-share` of its lines set aside is refused whole: a wrong file (another format, a
future-dated export) stores nothing.
"""

import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa
from tqdm import tqdm

from bakery_orchestration.cli.tenants import _engine
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.settings import bakery_home
from bakery_orchestration.sales.history import StoredSales, best_days, store_sales_history
from bakery_orchestration.sales.importers import ImportResult, import_sales
from bakery_orchestration.sales.importers.formats import FORMATS
from bakery_orchestration.sales.importers.result import ImportFormatError
from bakery_orchestration.sales.validation import SalesLimits, SalesRules
from bakery_orchestration.tenants.registry import Tenant, get_tenant, load_products


@click.command("import-sales")
@click.option("--tenant", required=True, help="The bakery whose history this is.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), help="Default: detected.")
@click.option("--encoding", help="The file's encoding if not UTF-8, e.g. latin-1 or cp1252.")
@click.option(
    "--replace-days",
    is_flag=True,
    help="Remove every stored sale of the file's days first (default: only the product-days "
    "in the file are replaced, the day's other products stay).",
)
@click.option(
    "--max-bad-share",
    type=click.FloatRange(0, 1),
    default=0.2,
    show_default=True,
    help="Refuse the file when more than this share of its lines is set aside.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_sales_command(
    ctx: click.Context,
    tenant: str,
    fmt: str | None,
    encoding: str | None,
    replace_days: bool,
    max_bad_share: float,
    file: Path,
) -> None:
    """Import FILE (ticket lines, item lines, wide orders or date,product,quantity) as TENANT's
    daily sales; lines set aside are kept in a CSV and counted per reason."""
    engine = _engine(ctx)
    registered = get_tenant(engine, tenant)
    try:
        result = import_sales(
            file, fmt=fmt, encoding=encoding, rules=tenant_rules(engine, registered)
        )
    except ImportFormatError as exc:
        raise BakeryError(f"tenant {tenant}: {file}: {exc}") from exc
    rejected_file = _keep_rejected(result, tenant, file)
    _refuse_if_mostly_bad(result, tenant, file, max_bad_share, rejected_file)
    with tqdm(total=1, desc=f"store {file.name}", file=sys.stderr, disable=None) as stage:
        stored = store_sales_history(engine, registered.id, result.daily, replace_days=replace_days)
        stage.update()
    click.echo(_summary(result, stored, tenant, replace_days))
    for reason, number in sorted(result.rejected_counts.items()):
        click.echo(f"  set aside {reason}: {number}")
    if rejected_file:
        click.echo(f"  lines set aside kept in {rejected_file}")


def tenant_rules(engine: sa.Engine, tenant: Tenant) -> SalesRules:
    """The tenant's validation rules: its products, its today, its products' ceilings."""
    limits = SalesLimits.configured()
    known = set(load_products(engine, tenant.id)["product_id"])
    return SalesRules(
        latest=datetime.now(ZoneInfo(tenant.timezone)).date(),
        known_products=frozenset(known) if known else None,
        ceilings=limits.ceilings(best_days(engine, tenant.id, limits)),
    )


def _refuse_if_mostly_bad(
    result: ImportResult, tenant: str, file: Path, max_bad_share: float, kept: Path | None
) -> None:
    bad = len(result.rejected)
    if not result.lines_read or bad / result.lines_read <= max_bad_share:
        return
    first = result.rejected.iloc[0]
    raise BakeryError(
        f"tenant {tenant}: {file}: {bad} of {result.lines_read} lines set aside "
        f"({_reasons(result)}; first: line {first['line']} {first['reason']}), more than "
        f"{max_bad_share:.0%}: nothing imported; lines set aside kept in {kept}"
    )


def _reasons(result: ImportResult) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(result.rejected_counts.items()))


def _summary(result: ImportResult, stored: StoredSales, tenant: str, replace_days: bool) -> str:
    counts = result.counts
    others = (
        f"{stored.removed} other product-days of those days removed"
        if replace_days
        else "the days' other products kept"
    )
    return (
        f"{tenant}: {result.fmt} export, {counts['lines_read']} lines read, "
        f"{stored.written} product-days stored ({stored.replaced} replaced, {stored.added} added, "
        f"{others}; {counts['products']} products, {counts['days']} days), "
        f"{counts['lines_rejected']} lines set aside"
    )


def _keep_rejected(result: ImportResult, tenant: str, source: Path) -> Path | None:
    if result.rejected.empty:
        return None
    folder = bakery_home() / "rejected" / tenant
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{source.stem}-{stamp}.csv"
    result.rejected.to_csv(path, index=False)
    return path
