"""Vectorised parsing of raw CSV text fields, shared by the sales importers.

Every parser turns a table of strings into `Parsed`: the usable entries (one per product sold on
a file line) and the rejected file lines with the first reason that applies to each.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

UTC_OFFSET = r"[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)\s*$"


class Parsed(NamedTuple):
    """Usable entries (line, date, product, quantity) and rejected lines (line, reason)."""

    entries: pd.DataFrame
    rejected: pd.DataFrame


def on_distinct(text: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """`convert` applied once per distinct value and spread back over the column.

    Export columns repeat a few values (dates, prices, quantities, names) over many lines, and
    pandas string methods run at Python speed per element: converting the distinct values only
    keeps a few hundred thousand lines fast.
    """
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    converted = convert(pd.Series(distinct, dtype=object)).to_numpy()
    return pd.Series(converted[codes], index=text.index)


def parse_dates(text: pd.Series) -> pd.Series:
    """ISO dates, with or without a time of day, normalized to midnight; NaT where unreadable
    or where the time carries a UTC offset."""
    return on_distinct(text, _dates).astype("datetime64[ns]")


def parse_numbers(text: pd.Series) -> pd.Series:
    """Finite floats written with a decimal point; NaN where empty, not a number or infinite."""
    return on_distinct(text, _numbers).astype(float)


def parse_euros(text: pd.Series) -> pd.Series:
    """Prices written the French way (`"1,20 €"`, any spaces) as floats; NaN where unreadable."""
    return on_distinct(text, _euros).astype(float)


def is_blank(text: pd.Series) -> pd.Series:
    """True where a field is empty or only whitespace."""
    return on_distinct(text, lambda distinct: distinct.str.strip() == "").astype(bool)


def _dates(text: pd.Series) -> pd.Series:
    # A time with a UTC offset names an instant, not the bakery's day: unreadable, not guessed.
    local = text.str.strip().mask(text.str.contains(UTC_OFFSET, regex=True, na=False))
    return pd.to_datetime(local, format="ISO8601", errors="coerce").dt.normalize()


def _numbers(text: pd.Series) -> pd.Series:
    values = pd.to_numeric(text.str.strip(), errors="coerce").astype(float)
    return values.where(np.isfinite(values))


def _euros(text: pd.Series) -> pd.Series:
    return _numbers(text.str.replace(r"[\s€]", "", regex=True).str.replace(",", ".", regex=False))


def first_reason(rules: list[tuple[str, pd.Series]], index: pd.Index) -> pd.Series:
    """For each row, the first rule's reason whose mask is true, or "" when none is."""
    masks = [mask.to_numpy(dtype=bool) for _, mask in rules]
    reasons = np.select(masks, [reason for reason, _ in rules], default="")
    return pd.Series(reasons, index=index, dtype=object)


def split_rows(
    lines: pd.Series, reason: pd.Series, dates: pd.Series, products: pd.Series, quantity
) -> Parsed:
    """One entry per row without a reason; the others rejected with theirs."""
    good = reason == ""
    entries = pd.DataFrame(
        {"line": lines[good], "date": dates[good], "product": products[good]}
    ).assign(quantity=quantity if np.isscalar(quantity) else quantity[good])
    return Parsed(entries, pd.DataFrame({"line": lines[~good], "reason": reason[~good]}))
