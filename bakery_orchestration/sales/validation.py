"""The one validation path for sales, however they enter: landing files, the Sales Service and
`bakery-orch import-sales`.

Every incoming row ends up either in the validated sales or in quarantine with exactly one
reason, the first that applies in this order:

- `missing_field`: date, product or quantity absent or blank.
- `invalid_date`: the date is not a real calendar date from 1900 to 2199 written `YYYY-MM-DD`
  (`2026-3-5`, `05/03/2026`, `2026-02-30`, `9999-12-31`, a time or a time-zone offset are all
  refused; the years bound what every library on the way can hold).
- `date_outside_partition`: a tenant-day's rows only: the date is not the partition's sales day.
- `future_date`: an import's rows only: the date is after the day of the import (e.g. 2099).
- `non_numeric_quantity`: not a finite number written with a decimal point (`3`, `2.5`).
- `negative_quantity`: below zero; zero is a valid "sold nothing".
- `quantity_out_of_range`: above 2,147,483,647 (`MAX_UNITS`, a 32-bit integer), which no
  count of loaves can be (`1e308`, `99999999999999999999999`).
- `product_too_long`: a product name longer than the 100 characters the database keeps; checked
  here so that SQLite (which would keep it) and PostgreSQL (which would fail) agree.
- `unknown_product`: not in the tenant's product master (skipped when it has none).
- `duplicate_row`: the same date, product and quantity text as an earlier valid row.
- `implausible_quantity`: the row's units exceed the product's ceiling (see `SalesLimits`), or
  the remaining valid rows of that product and day do together: then every one of them is set
  aside, so a sum that would reach infinity is never stored.

Values are compared with surrounding spaces removed (` baguette ` is `baguette`); quarantine
keeps them as they came. Rows without a `line` column are numbered 1, 2, ... in payload order.

POS exports whose lines are not one product-day each (ticket lines, item lines, wide orders)
are parsed by their importer, which sets aside lines its format cannot read; their entries then
pass `entry_reasons` and `total_reasons`, the same date, range, length, product and ceiling
rules as above.
"""

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.settings import MAX_UNITS_ENV, max_units_per_day
from bakery_orchestration.db.schema import daily_sales

FIELDS = ("date", "product", "quantity")
REASONS = (
    "missing_field",
    "invalid_date",
    "date_outside_partition",
    "future_date",
    "non_numeric_quantity",
    "negative_quantity",
    "quantity_out_of_range",
    "product_too_long",
    "unknown_product",
    "duplicate_row",
    "implausible_quantity",
)
MAX_UNITS = 2**31 - 1
PRODUCT_LENGTH = daily_sales.c.product_id.type.length
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@dataclass(frozen=True)
class SalesLimits:
    """The most units of one product a tenant can plausibly sell in one day.

    A product with history may sell up to `history_factor` times its best day of the last
    `history_days` days (never less than `history_floor`); a product without history, and every
    product whatever its history, at most `max_units`. History rows above `max_units` are never
    taken as a product's best day, nor fed to the model.
    """

    max_units: float = 100_000.0
    history_factor: float = 10.0
    history_floor: float = 100.0
    history_days: int = 365

    def __post_init__(self) -> None:
        if not 0 < self.max_units <= MAX_UNITS:
            raise ValueError(f"max_units must be within 1..{MAX_UNITS}, got {self.max_units}")

    @classmethod
    def configured(cls) -> "SalesLimits":
        """The limits with the operator's `BAKERY_MAX_UNITS_PER_DAY`, if set."""
        max_units = max_units_per_day()
        if max_units is None:
            return cls()
        if not 0 < max_units <= MAX_UNITS:
            raise BakeryError(f"{MAX_UNITS_ENV} must be within 1..{MAX_UNITS}, got {max_units:g}")
        return cls(max_units=max_units)

    def ceilings(self, best_days: Mapping[str, float]) -> "Ceilings":
        """Each product's ceiling from its best day (products not listed get `max_units`)."""
        per_product = {
            product: min(self.max_units, max(self.history_floor, self.history_factor * best))
            for product, best in best_days.items()
        }
        return Ceilings(per_product, self.max_units)


@dataclass(frozen=True)
class Ceilings:
    """Units per product-day above which sales are implausible; `default` for other products."""

    per_product: Mapping[str, float] = field(default_factory=dict)
    default: float = SalesLimits().max_units

    def of(self, products: pd.Series) -> pd.Series:
        return products.map(self.per_product).fillna(self.default).astype(float)


@dataclass(frozen=True)
class SalesRules:
    """What the rows are checked against: one sales day (a tenant-day) or a latest date (an
    import), the tenant's products (None: no product master) and the ceilings."""

    day: date | None = None
    latest: date | None = None
    known_products: frozenset[str] | None = None
    ceilings: Ceilings = field(default_factory=Ceilings)


@dataclass(frozen=True)
class ValidatedSales:
    """Sales per product (and date), and the rows set aside with their reason.

    `sales` has columns product and quantity for a tenant-day (`day` set), and date, product and
    quantity for an import (`day` None).
    """

    tenant: str
    day: date | None
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
    raw: pd.DataFrame,
    *,
    tenant: str,
    day: date | None,
    known_products: set[str] | None,
    ceilings: Ceilings | None = None,
    latest: date | None = None,
) -> ValidatedSales:
    """Split raw string rows into sales summed per product (and date) and quarantined rows.

    With `day`, the rows are one tenant-day's (landing file, Sales Service); without it they are
    an import's, dated at most `latest`.
    """
    missing = [name for name in FIELDS if name not in raw.columns]
    if missing:
        raise ValueError(f"sales rows lack column(s) {', '.join(missing)}")
    known = frozenset(known_products) if known_products is not None else None
    rules = SalesRules(day, latest, known, ceilings or Ceilings())
    values = raw[list(FIELDS)].apply(stripped)
    reason = row_reasons(values, rules)
    good = reason == ""
    keys = ["product"] if day is not None else ["date", "product"]
    sales = (
        values[good]
        .assign(quantity=pd.to_numeric(values["quantity"][good]).astype(float))
        .groupby(keys, as_index=False, sort=True)["quantity"]
        .sum()
    )
    counts = {name: int((reason == name).sum()) for name in REASONS}
    return ValidatedSales(tenant, day, sales, quarantine_rows(raw, reason, good), len(raw), counts)


def stripped(column: pd.Series) -> pd.Series:
    """Text without surrounding spaces; None where absent, blank or NaN."""
    text = column.astype("string").str.strip()
    text = text.mask(text.eq("").fillna(False))
    return text.astype(object).where(text.notna(), None)


def row_reasons(values: pd.DataFrame, rules: SalesRules) -> pd.Series:
    """The first failing rule's reason for each row of stripped text, "" for a valid one."""
    dates = parse_iso_dates(values["date"])
    quantity = pd.to_numeric(values["quantity"], errors="coerce").astype(float)
    entries = pd.DataFrame({"date": dates, "product": values["product"], "quantity": quantity})
    reason = first_reason(
        [
            ("missing_field", values.isna().any(axis=1)),
            ("invalid_date", dates.isna()),
            *_date_rules(entries, rules),
            ("non_numeric_quantity", ~np.isfinite(quantity)),
            ("negative_quantity", quantity < 0),
            *_entry_rules(entries, rules),
        ],
        values.index,
    )
    repeat = values[reason == ""].duplicated(keep="first")
    reason = reason.mask(repeat.reindex(values.index, fill_value=False), "duplicate_row")
    return _fill(reason, total_reasons(entries, reason, rules.ceilings))


def entry_reasons(entries: pd.DataFrame, rules: SalesRules) -> pd.Series:
    """Reasons for parsed entries (date, product, quantity) of a POS export, "" where valid:
    the date, range, length and product rules, then the product-day ceilings."""
    entries = entries.assign(date=entries["date"].dt.date)
    reason = first_reason(
        [*_date_rules(entries, rules), *_entry_rules(entries, rules)], entries.index
    )
    return _fill(reason, total_reasons(entries, reason, rules.ceilings))


def total_reasons(entries: pd.DataFrame, reason: pd.Series, ceilings: Ceilings) -> pd.Series:
    """`implausible_quantity` for each valid entry above its product's ceiling, then for every
    remaining entry of a product-day whose units together exceed it."""
    valid = entries[reason == ""]
    ceiling = ceilings.of(valid["product"])
    alone = valid["quantity"] > ceiling
    rest = valid[~alone]
    totals = rest.groupby(["date", "product"])["quantity"].transform("sum")
    together = totals > ceiling[~alone]
    flagged = pd.Series("", index=entries.index, dtype=object)
    flagged[alone[alone].index.union(together[together].index)] = "implausible_quantity"
    return flagged


def _date_rules(entries: pd.DataFrame, rules: SalesRules) -> list[tuple[str, pd.Series]]:
    dates = entries["date"]
    if rules.day is not None:
        return [("date_outside_partition", dates.notna() & (dates != rules.day))]
    if rules.latest is not None:
        return [("future_date", dates.notna() & (dates.fillna(date.min) > rules.latest))]
    return []


def _entry_rules(entries: pd.DataFrame, rules: SalesRules) -> list[tuple[str, pd.Series]]:
    products = entries["product"].astype("string")
    checks = [
        ("quantity_out_of_range", entries["quantity"] > MAX_UNITS),
        ("product_too_long", products.str.len().gt(PRODUCT_LENGTH).fillna(False)),
    ]
    if rules.known_products is not None:
        checks.append(("unknown_product", ~entries["product"].isin(rules.known_products)))
    return checks


def parse_iso_dates(text: pd.Series) -> pd.Series:
    """Real calendar dates written exactly `YYYY-MM-DD` as `date` objects; None otherwise."""
    distinct = {value: _iso_date(value) for value in text.dropna().unique()}
    return text.map(distinct).astype(object).where(text.notna(), None)


def _iso_date(value: object) -> date | None:
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return parsed if FIRST_DATE <= parsed <= LAST_DATE else None


def first_reason(rules: list[tuple[str, pd.Series]], index: pd.Index) -> pd.Series:
    """For each row, the first rule's reason whose mask is true, or "" when none is."""
    if not rules:
        return pd.Series("", index=index, dtype=object)
    masks = [pd.Series(mask, index=index).fillna(False).to_numpy(dtype=bool) for _, mask in rules]
    reasons = np.select(masks, [reason for reason, _ in rules], default="")
    return pd.Series(reasons, index=index, dtype=object)


def _fill(reason: pd.Series, later: pd.Series) -> pd.Series:
    """`reason` where set, else the reason of a rule checked after it."""
    return reason.where(reason != "", later)


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
