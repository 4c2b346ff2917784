"""Plain daily sales: `date,product,quantity`, one row per product and day."""

import pandas as pd

from bakery_orchestration.sales.importers.parsing import (
    Parsed,
    first_reason,
    is_blank,
    parse_dates,
    parse_numbers,
    split_rows,
)

COLUMNS = ("date", "product", "quantity")


def parse(table: pd.DataFrame, lines: pd.Series) -> Parsed:
    """Quantities as written; unreadable or negative rows rejected."""
    dates = parse_dates(table["date"])
    quantity = parse_numbers(table["quantity"])
    reason = first_reason(
        [
            ("invalid_date", dates.isna()),
            ("missing_product", is_blank(table["product"])),
            ("invalid_quantity", quantity.isna()),
            ("negative_quantity", quantity < 0),
        ],
        table.index,
    )
    return split_rows(lines, reason, dates, table["product"], quantity)
