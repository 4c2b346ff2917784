"""Materialization metadata a baker and an operator can read in the Dagster UI: Markdown tables,
rounded figures, and headline figures keyed per tenant.

The UI plots each numeric metadata key over an asset's materializations. A tenant-day asset
mixes every tenant's materializations in one series, so headline figures are also recorded under
a key that names the tenant (``units to bake [bakery-a]``): each such plot is one bakery's
history. Pure functions; no Dagster beyond the metadata value types.
"""

from collections.abc import Iterable, Mapping, Sequence

import dagster as dg

MAX_TABLE_ROWS = 40


def rounded(value: float | int | None, digits: int = 1) -> float | None:
    """``value`` rounded for reading; None stays None (not measured is not 0)."""
    return None if value is None else round(float(value), digits)


def markdown_table(
    rows: Iterable[Mapping], columns: Sequence[tuple[str, str]], empty: str = "nothing"
) -> dg.MetadataValue:
    """A Markdown table of ``rows`` with ``columns`` as (key, header); floats to one decimal,
    at most MAX_TABLE_ROWS rows (the rest counted below the table)."""
    rows = list(rows)
    if not rows:
        return dg.MetadataValue.md(f"_{empty}_")
    header = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = [
        "| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |"
        for row in rows[:MAX_TABLE_ROWS]
    ]
    more = len(rows) - MAX_TABLE_ROWS
    tail = [f"\n_and {more} more rows_"] if more > 0 else []
    return dg.MetadataValue.md("\n".join([header, rule, *body, *tail]))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("|", "\\|")


def per_tenant(tenant: str, figures: Mapping[str, float | int | None]) -> dict:
    """``figures`` under keys that name the tenant, for per-tenant plots in the UI."""
    return {f"{name} [{tenant}]": value for name, value in figures.items() if value is not None}
