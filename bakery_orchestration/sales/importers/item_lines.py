"""Item lines without quantities (The Bread Basket): `Date,Time,Transaction,Item`.

Each row is one unit of one item. `NONE` rows are not products (786 in the Bread Basket export)
and are rejected as `not_a_product`. Item names lose their surrounding spaces, as everywhere
sales enter: the published `daily_item_lines.csv` keeps `Coffee granules ` with its space.

The published aggregate has one Muffin fewer on 2016-10-31 than the export's lines: line 347
starts with a NUL byte, which made pandas read its date as empty, so the line fell out of the
aggregate. The importer rejects that line as `corrupt_line` (see `reading`) and so matches the
published figures exactly, with the line kept aside rather than guessed at.
"""

import pandas as pd

from bakery_orchestration.sales.importers.parsing import (
    Parsed,
    first_reason,
    is_blank,
    parse_dates,
    split_rows,
)

COLUMNS = ("date", "time", "transaction", "item")


def parse(table: pd.DataFrame, lines: pd.Series) -> Parsed:
    """One unit per item line; `NONE` lines and unreadable dates rejected."""
    dates = parse_dates(table["date"])
    item = table["item"]
    reason = first_reason(
        [
            ("invalid_date", dates.isna()),
            ("missing_product", is_blank(item)),
            ("not_a_product", item.str.strip().str.upper() == "NONE"),
        ],
        table.index,
    )
    return split_rows(lines, reason, dates, item, 1.0)
