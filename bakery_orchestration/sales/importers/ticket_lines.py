"""French bakery ticket lines: `,date,time,ticket_number,article,Quantity,unit_price`.

One row per article on a ticket, with a leading unnamed index column, ticket numbers written as
floats (`150040.0`), prices written like `"0,90 €"` and returns as lines with a negative
quantity. Daily units per article are the ticket quantities summed over the day, returns netted
in: the data README's `revenue / unit price` whenever the article had one price that day.

Where the published `daily_units.csv` will differ (the raw file is not shared, so this is read
off the published aggregates, not checked line by line):
- It is `round(revenue / unit_price, 2)` with one price per article-day (true of all 29,150
  rows), so a day on which the price changed gets a fractional figure: BANETTE 2022-06-28 is
  34.25 € / 1.10 € = 31.14, though 34.25 € is no whole number of 1.10 € loaves and BANETTE
  costs 1.15 € from the next day on. Summed ticket quantities give whole units there.
- Lines at a zero price are rejected (`zero_price`): the README's definition has no quantity
  for them. The published aggregate dropped whole article-days whose one price was zero, four
  of them with revenue (DIVERS PATISSERIE 2021-05-01, 7 €); here the paid lines still count.
"""

import pandas as pd

from bakery_orchestration.sales.importers.parsing import (
    Parsed,
    first_reason,
    is_blank,
    parse_dates,
    parse_euros,
    parse_numbers,
    split_rows,
)

COLUMNS = ("date", "time", "ticket_number", "article", "quantity", "unit_price")


def parse(table: pd.DataFrame, lines: pd.Series) -> Parsed:
    """Signed ticket quantities per line; unreadable or zero-price lines rejected."""
    dates = parse_dates(table["date"])
    quantity = parse_numbers(table["quantity"])
    price = parse_euros(table["unit_price"])
    reason = first_reason(
        [
            ("invalid_date", dates.isna()),
            ("missing_product", is_blank(table["article"])),
            ("invalid_quantity", quantity.isna()),
            ("invalid_price", price.isna() | (price < 0)),
            ("zero_price", price == 0),
        ],
        table.index,
    )
    return split_rows(lines, reason, dates, table["article"], quantity)
