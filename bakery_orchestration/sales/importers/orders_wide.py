"""Wide order export (Chuncheon bakery): `datetime,day of week,total,place,<product>...`.

A row is one order and each product column holds the units of that product in the order
(empty for none). Rows with a datetime but no units are rejected as `no_units`: the export's
last row (2020-06-18 14:52, nothing else) and one order of 2019-12-07 14:02 whose total is
13,600 won but whose product cells are all empty. The 233 trailing all-empty rows are
`blank_row`. Product names are the column names, verbatim (`vanila latte`); two columns,
`croque monsieur` and `mad garlic`, never hold a unit. `day of week` and `total` are not used:
the weekday label is wrong at least once (2019-07-28 11:14 is a Sunday labelled `Mon`).
"""

import pandas as pd

from bakery_orchestration.sales.importers.parsing import (
    Parsed,
    first_reason,
    is_blank,
    parse_dates,
    parse_numbers,
)

COLUMNS = ("datetime", "day of week", "total", "place")


def parse(table: pd.DataFrame, lines: pd.Series) -> Parsed:
    """One entry per non-empty product cell of every readable order."""
    cells = table.drop(columns=list(COLUMNS))
    units = cells.apply(parse_numbers)
    dates = parse_dates(table["datetime"])
    reason = first_reason(
        [
            ("invalid_date", dates.isna()),
            ("invalid_quantity", (units.isna() & ~cells.apply(is_blank)).any(axis=1)),
            ("negative_quantity", (units < 0).any(axis=1)),
            ("no_units", units.fillna(0).eq(0).all(axis=1)),
        ],
        table.index,
    )
    good = reason == ""
    entries = (
        units[good]
        .assign(line=lines[good], date=dates[good])
        .melt(id_vars=["line", "date"], var_name="product", value_name="quantity")
        .dropna(subset=["quantity"])
    )
    return Parsed(entries, pd.DataFrame({"line": lines[~good], "reason": reason[~good]}))
