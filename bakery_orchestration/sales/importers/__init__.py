"""Importers for real point-of-sale exports, into daily units per product.

`import_sales(path)` recognises the export from its header (or is told with `fmt=`), reads it
with vectorised pandas and returns an `ImportResult`: daily units per date and product, and
every data line set aside with its reason, so nothing is dropped without a trace. Known exports:

- `ticket_lines`: French bakery ticket lines, returns netted in (see `ticket_lines`).
- `item_lines`: one row per item sold, no quantity column (see `item_lines`).
- `orders_wide`: one row per order, one column of units per product (see `orders_wide`).
- `daily`: plain `date,product,quantity`.

The file must be UTF-8 (a BOM is fine) unless `encoding=` names another; a gzip or zip file
and a byte the encoding cannot read are one-line `ImportFormatError`s.

Reasons for setting a line aside: `blank_row`, `corrupt_line` (a NUL byte), then the format's
own (`invalid_date`, `missing_product`, `invalid_quantity`, `negative_quantity`,
`invalid_price`, `zero_price`, `not_a_product`, `no_units`; the `daily` format uses the
landing-file rules and reasons instead), then the rules every way sales enter shares
(`sales.validation`: `future_date`, `quantity_out_of_range`, `product_too_long`,
`unknown_product`, `implausible_quantity`). Product names are kept without surrounding spaces,
as everywhere sales enter.
"""

from pathlib import Path

import pandas as pd

from bakery_orchestration.sales.importers.formats import (
    FORMATS,
    check_format,
    detect_format,
    normalized,
)
from bakery_orchestration.sales.importers.parsing import first_reason
from bakery_orchestration.sales.importers.reading import (
    line_numbers,
    line_texts,
    nul_lines,
    read_header,
    read_table,
    read_text,
)
from bakery_orchestration.sales.importers.result import (
    ImportFormatError,
    ImportResult,
    daily_units,
)
from bakery_orchestration.sales.validation import MAX_UNITS, Ceilings, SalesRules, entry_reasons

NO_CEILINGS = Ceilings(default=MAX_UNITS)

__all__ = ["FORMATS", "ImportFormatError", "ImportResult", "detect_format", "import_sales"]


def import_sales(
    path: Path,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    rules: SalesRules | None = None,
) -> ImportResult:
    """Daily units per product of the export at `path`, and its set-aside lines.

    `rules` are the tenant's (latest date, products, ceilings; see `sales.validation`); without
    them only the rules that need no tenant apply.
    """
    text = read_text(path, encoding)
    header = read_header(text)
    if fmt is None:
        fmt = detect_format(header)
    else:
        check_format(fmt, header)
    table = canonical_columns(read_table(text), FORMATS[fmt][0])
    lines = line_numbers(text, len(table))
    set_aside = first_reason(
        [("corrupt_line", lines.isin(nul_lines(text))), ("blank_row", table.eq("").all(axis=1))],
        table.index,
    )
    keep = set_aside == ""
    entries, rejected = FORMATS[fmt][1](table[keep], lines[keep])
    entries = entries.assign(product=entries["product"].astype(str).str.strip())
    entries, refused = tenant_rules(entries, rules or SalesRules(ceilings=NO_CEILINGS))
    daily, non_positive = daily_units(entries)
    rejected = pd.concat(
        [pd.DataFrame({"line": lines[~keep], "reason": set_aside[~keep]}), rejected, refused]
    )
    return ImportResult(fmt, daily, with_raw_text(rejected, text), len(table), non_positive)


def tenant_rules(entries: pd.DataFrame, rules: SalesRules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entries passing the shared rules, and the lines refused by them (once per line: a wide
    order's line is refused whole when any of its product cells is)."""
    reason = entry_reasons(entries, rules)
    refused = pd.DataFrame({"line": entries["line"], "reason": reason})[reason != ""]
    refused = refused.drop_duplicates("line")
    return entries[~entries["line"].isin(refused["line"])], refused


def canonical_columns(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The format's own columns renamed to their lowercase names; other columns untouched."""
    renames = {
        name: canonical
        for name, canonical in zip(table.columns, normalized(list(table.columns)), strict=True)
        if canonical in columns
    }
    return table.rename(columns=renames)


def with_raw_text(rejected: pd.DataFrame, text: str) -> pd.DataFrame:
    """Rejected lines in file order, each with its text as found in the file."""
    ordered = rejected.astype({"line": "int64", "reason": object}).sort_values("line")
    return pd.DataFrame(
        {
            "line": ordered["line"].to_numpy(),
            "raw": pd.Series(line_texts(text, ordered["line"]), dtype=object),
            "reason": ordered["reason"].to_numpy(),
        }
    )
