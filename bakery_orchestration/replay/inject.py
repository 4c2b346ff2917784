"""Faults a replay injects on given mornings, applied to plain frames (no Dagster, no I/O).

- ``missing-sales@D``: on the morning of D the sales of D - 1 have not arrived; their file lands
  after that morning's cycle, so only the late-sales path can load them.
- ``bad-rows@D``: a third of the rows landed on the morning of D (the sales of D - 1) are
  garbage: every third row, alternately with an unreadable quantity and an unknown date. The
  garbage replaces those rows, as a broken export would.
- ``demand-drop@D``: from D on, every product sells 70 % less (quantities of every day >= D
  scaled by 0.3 before they are landed).
"""

from dataclasses import dataclass
from datetime import date

import pandas as pd

from bakery_orchestration.core.errors import BakeryError

MISSING_SALES = "missing-sales"
BAD_ROWS = "bad-rows"
DEMAND_DROP = "demand-drop"
KINDS = (MISSING_SALES, BAD_ROWS, DEMAND_DROP)
DEMAND_DROP_SHARE = 0.7
GARBAGE_QUANTITY = "n/a"
GARBAGE_DATE = "0000-00-00"


@dataclass(frozen=True)
class Injection:
    kind: str
    day: date

    def __str__(self) -> str:
        return f"{self.kind}@{self.day.isoformat()}"


def parse_injection(text: str) -> Injection:
    """``KIND@YYYY-MM-DD``, e.g. ``missing-sales@2022-06-10``."""
    kind, _, day = text.partition("@")
    if kind not in KINDS:
        raise BakeryError(f"--inject {text!r}: the kind must be one of {', '.join(KINDS)}")
    try:
        return Injection(kind, date.fromisoformat(day))
    except ValueError as exc:
        raise BakeryError(f"--inject {text!r}: write KIND@YYYY-MM-DD") from exc


@dataclass(frozen=True)
class Injections:
    items: tuple[Injection, ...] = ()

    def on(self, kind: str, morning: date) -> bool:
        return Injection(kind, morning) in self.items

    def for_morning(self, morning: date) -> list[str]:
        return [str(i) for i in self.items if i.day == morning]

    def outside(self, first: date, last: date) -> list[Injection]:
        return [i for i in self.items if not first <= i.day <= last]


def with_demand_drops(sales: pd.DataFrame, injections: Injections) -> pd.DataFrame:
    """``sales`` with every day on or after a demand drop scaled down (drops compound)."""
    scaled = sales.copy()
    for item in injections.items:
        if item.kind == DEMAND_DROP:
            later = scaled["date"] >= item.day
            kept = scaled.loc[later, "quantity"] * (1 - DEMAND_DROP_SHARE)
            scaled.loc[later, "quantity"] = kept.round(3)
    return scaled


def landing_rows(day_sales: pd.DataFrame, garbage: bool) -> pd.DataFrame:
    """The day's rows as the text a POS export would land; with ``garbage``, every third row
    (rows 1, 4, 7, ...) is unreadable."""
    rows = pd.DataFrame(
        {
            "date": [d.isoformat() for d in day_sales["date"]],
            "product": day_sales["product"].astype(str).to_list(),
            "quantity": [_number(q) for q in day_sales["quantity"]],
        }
    )
    if garbage:
        for n, index in enumerate(range(0, len(rows), 3)):
            column, value = ("quantity", GARBAGE_QUANTITY) if n % 2 == 0 else ("date", GARBAGE_DATE)
            rows.loc[index, column] = value
    return rows


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text
