"""``bakery-orch import-sales``: load a POS export into a tenant's sales history."""

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from tqdm import tqdm

from bakery_orchestration.cli.tenants import _engine
from bakery_orchestration.errors import BakeryError
from bakery_orchestration.sales.history import store_sales_history
from bakery_orchestration.sales.importers import import_sales
from bakery_orchestration.sales.importers.formats import FORMATS
from bakery_orchestration.sales.importers.result import ImportFormatError
from bakery_orchestration.settings import bakery_home
from bakery_orchestration.tenants.registry import get_tenant


@click.command("import-sales")
@click.option("--tenant", required=True, help="The bakery whose history this is.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), help="Default: detected.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_sales_command(ctx: click.Context, tenant: str, fmt: str | None, file: Path) -> None:
    """Import FILE (ticket lines, item lines, wide orders or date,product,quantity) as TENANT's
    daily sales; rejected lines are kept aside in a CSV and counted."""
    engine = _engine(ctx)
    tenant_id = get_tenant(engine, tenant).id
    stages = tqdm(total=3, desc=f"import {file.name}", file=sys.stderr)
    with stages:
        try:
            result = import_sales(file, fmt=fmt)
        except ImportFormatError as exc:
            raise BakeryError(f"{file}: {exc}") from exc
        stages.update()
        stored = store_sales_history(engine, tenant_id, result.daily)
        stages.update()
        rejected_file = _keep_rejected(result.rejected, tenant, file)
        stages.update()
    counts = result.counts
    click.echo(
        f"{tenant}: {result.fmt} export, {counts['lines_read']} lines read, {stored} daily rows "
        f"stored ({counts['products']} products, {counts['days']} days), "
        f"{counts['lines_rejected']} lines rejected"
    )
    for reason, number in sorted(result.rejected_counts.items()):
        click.echo(f"  rejected {reason}: {number}")
    if rejected_file:
        click.echo(f"  rejected lines kept in {rejected_file}")


def _keep_rejected(rejected, tenant: str, source: Path) -> Path | None:
    if rejected.empty:
        return None
    folder = bakery_home() / "rejected" / tenant
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"{source.stem}-{stamp}.csv"
    rejected.to_csv(path, index=False)
    return path
