"""The known exports and how each is recognised from its header line."""

from collections.abc import Callable

import pandas as pd

from bakery_orchestration.sales.importers import daily, item_lines, orders_wide, ticket_lines
from bakery_orchestration.sales.importers.parsing import Parsed
from bakery_orchestration.sales.importers.result import ImportFormatError

Parser = Callable[[pd.DataFrame, pd.Series], Parsed]

# Checked in this order: the first format whose columns are all in the header wins.
FORMATS: dict[str, tuple[tuple[str, ...], Parser]] = {
    "ticket_lines": (ticket_lines.COLUMNS, ticket_lines.parse),
    "item_lines": (item_lines.COLUMNS, item_lines.parse),
    "orders_wide": (orders_wide.COLUMNS, orders_wide.parse),
    "daily": (daily.COLUMNS, daily.parse),
}


def normalized(header: list[str]) -> list[str]:
    """Column names compared without case, surrounding spaces or a byte-order mark."""
    return [name.lstrip("\ufeff").strip().lower() for name in header]


def matches(fmt: str, header: list[str]) -> bool:
    """Whether the header has every column of `fmt` (and a product column for orders_wide)."""
    columns = FORMATS[fmt][0]
    names = normalized(header)
    if fmt == "orders_wide" and len(set(names) - set(columns)) == 0:
        return False
    return set(columns) <= set(names)


def describe_formats() -> str:
    """Each known format with its columns, on one line."""
    return "; ".join(f"{fmt} ({','.join(columns)})" for fmt, (columns, _) in FORMATS.items())


def detect_format(header: list[str]) -> str:
    """The name of the export whose columns the header has; `ImportFormatError` if none."""
    for fmt in FORMATS:
        if matches(fmt, header):
            return fmt
    shown = ",".join(header)[:120]
    raise ImportFormatError(f"unknown sales export header {shown!r}; known: {describe_formats()}")


def check_format(fmt: str, header: list[str]) -> None:
    """`ImportFormatError` unless `fmt` is a known format and the header fits it."""
    if fmt not in FORMATS:
        raise ImportFormatError(f"unknown format {fmt!r}; known: {describe_formats()}")
    if not matches(fmt, header):
        shown = ",".join(header)[:120]
        raise ImportFormatError(f"header {shown!r} is not {fmt}; known: {describe_formats()}")
