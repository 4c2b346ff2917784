"""Row validation of one tenant's sales for one day, as landed (CSV or HTTP payload).

Every incoming row ends up either in the validated sales or in quarantine with exactly one
reason, the first that applies in this order:

- `missing_field`: date, product or quantity absent or blank.
- `date_outside_partition`: the date is not the partition's day written `YYYY-MM-DD` (an
  unreadable date included: it cannot be shown to belong to the partition).
- `non_numeric_quantity`: not a finite number written with a decimal point (`3`, `2.5`).
- `negative_quantity`: below zero; zero is a valid "sold nothing".
- `unknown_product`: not in `known_products` (skipped when that is None).
- `duplicate_row`: the same date, product and quantity text as an earlier valid row.

Values are compared with surrounding spaces removed; quarantine keeps them as they came. Rows
without a `line` column are numbered 1, 2, ... in payload order.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

FIELDS = ("date", "product", "quantity")
REASONS = (
    "missing_field",
    "date_outside_partition",
    "non_numeric_quantity",
    "negative_quantity",
    "unknown_product",
    "duplicate_row",
)


@dataclass(frozen=True)
class ValidatedSales:
    """A tenant-day's sales per product, and the rows set aside with their reason."""

    tenant: str
    day: date
    sales: pd.DataFrame
    quarantine: pd.DataFrame
    total_rows: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def good_rows(self) -> int:
        """Rows that made it into `sales`."""
        return self.total_rows - len(self.quarantine)

    @property
    def bad_share(self) -> float:
        """Quarantined rows over all rows; 0.0 for an empty payload."""
        return len(self.quarantine) / self.total_rows if self.total_rows else 0.0


def validate_sales_rows(
    raw: pd.DataFrame, *, tenant: str, day: date, known_products: set[str] | None
) -> ValidatedSales:
    """Split raw string rows into sales summed per product and quarantined rows."""
    missing = [name for name in FIELDS if name not in raw.columns]
    if missing:
        raise ValueError(f"sales rows lack column(s) {', '.join(missing)}")
    values = raw[list(FIELDS)].apply(stripped)
    reason = row_reasons(values, day, known_products)
    good = reason == ""
    sales = (
        values[good]
        .assign(quantity=pd.to_numeric(values["quantity"][good]).astype(float))
        .groupby("product", as_index=False, sort=True)["quantity"]
        .sum()
    )
    counts = {name: int((reason == name).sum()) for name in REASONS}
    return ValidatedSales(tenant, day, sales, quarantine_rows(raw, reason, good), len(raw), counts)


def stripped(column: pd.Series) -> pd.Series:
    """Text without surrounding spaces; None where absent, blank or NaN."""
    text = column.astype("string").str.strip()
    text = text.mask(text.eq("").fillna(False))
    return text.astype(object).where(text.notna(), None)


def row_reasons(values: pd.DataFrame, day: date, known: set[str] | None) -> pd.Series:
    """The first failing rule's reason for each row, "" for a valid one."""
    dates = pd.to_datetime(values["date"], format="%Y-%m-%d", errors="coerce")
    quantity = pd.to_numeric(values["quantity"], errors="coerce").astype(float)
    unknown = ~values["product"].isin(known) if known is not None else values["product"].isna()
    rules = [
        values.isna().any(axis=1),
        dates != pd.Timestamp(day),
        ~np.isfinite(quantity),
        quantity < 0,
        unknown,
    ]
    reason = pd.Series(np.select(rules, REASONS[:-1], default=""), index=values.index)
    valid = reason == ""
    repeat = values[valid].duplicated(keep="first").reindex(values.index, fill_value=False)
    return reason.mask(repeat, REASONS[-1]).astype(object)


def quarantine_rows(raw: pd.DataFrame, reason: pd.Series, good: pd.Series) -> pd.DataFrame:
    """Quarantined rows in payload order: line, the row as it came (as CSV text), reason."""
    bad = raw[~good]
    if "line" in raw.columns:
        lines = pd.to_numeric(bad["line"], errors="coerce").fillna(0).to_numpy()
    else:
        lines = np.flatnonzero(~good.to_numpy()) + 1
    fields = bad[list(FIELDS)].astype(object).where(bad[list(FIELDS)].notna(), "")
    return pd.DataFrame(
        {
            "line": pd.Series(lines, dtype="int64"),
            "raw": pd.Series(
                [csv_text(row) for row in fields.itertuples(index=False)], dtype=object
            ),
            "reason": pd.Series(reason[~good].to_numpy(), dtype=object),
        }
    )


def csv_text(fields: tuple) -> str:
    """Fields written back as one CSV line, quoted where a field needs it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()
