"""``bakery-orch planning``: load a bakery's planning master data from CSV files.

Each command replaces all of the tenant's rows of that kind. Load ingredients first: recipes,
suppliers and stock refer to them.
"""

from pathlib import Path

import click

from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.planning import master_data

COMMANDS = {
    "load-ingredients": (
        "ingredients",
        "Columns: ingredient_id, unit [, name, shelf_life_days, safety_stock].",
    ),
    "load-recipes": (
        "recipes",
        "Columns: product_id, ingredient_id, quantity_per_unit (per unit of product).",
    ),
    "load-suppliers": (
        "suppliers",
        "Columns: supplier_id, ingredient_id, lead_time_days, delivery_weekdays (e.g. "
        '"mon,wed,fri" or "0,2,4"), unit_price [, name, min_order_qty, pack_size].',
    ),
    "load-stock": ("stock", "Columns: ingredient_id, quantity [, expiry_date]; one row per lot."),
    "set-capacity": (
        "capacity",
        "Columns: day (mon..sun, 0-6 or an ISO date overriding its weekday), oven_minutes.",
    ),
}


@click.group()
def planning() -> None:
    """Load recipes, ingredients, suppliers, stock and oven capacity for a bakery."""


def _command(name: str, kind: str, columns: str) -> click.Command:
    @click.argument("slug")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.pass_context
    def load(ctx: click.Context, slug: str, csv_file: Path) -> None:
        url = ctx.obj["database_url"]
        ensure_schema(url)
        engine = create_db_engine(url)
        try:
            count = master_data.load_file(engine, slug, kind, csv_file)
        finally:
            engine.dispose()
        click.echo(f"{slug}: {count} {kind} rows loaded from {csv_file}")

    load.__doc__ = f"Replace SLUG's {kind} with CSV_FILE. {columns}"
    return click.command(name)(load)


for _name, (_kind, _columns) in COMMANDS.items():
    planning.add_command(_command(_name, _kind, _columns))
