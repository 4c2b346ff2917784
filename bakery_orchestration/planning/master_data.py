"""Planning master data from CSV: read, validate, and replace one tenant's rows.

Each kind (ingredients, recipes, suppliers, stock, capacity) has its required and optional
columns; a load replaces all of the tenant's rows of that kind in one transaction. Problems are
one-line ``BakeryError``s naming the tenant, the file and what is wrong.
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db import planning as tables
from bakery_orchestration.planning.procurement import parse_weekdays
from bakery_orchestration.tenants.registry import get_tenant, load_products

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Kind:
    table: sa.Table
    required: tuple[str, ...]
    optional: dict = field(default_factory=dict)
    non_negative: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()


KINDS = {
    "ingredients": Kind(
        tables.ingredients,
        ("ingredient_id", "unit"),
        {"name": None, "shelf_life_days": None, "safety_stock": 0.0},
        ("safety_stock",),
        ("ingredient_id",),
    ),
    "recipes": Kind(
        tables.recipes,
        ("product_id", "ingredient_id", "quantity_per_unit"),
        non_negative=("quantity_per_unit",),
        unique=("product_id", "ingredient_id"),
    ),
    "suppliers": Kind(
        tables.suppliers,
        ("supplier_id", "ingredient_id", "lead_time_days", "delivery_weekdays", "unit_price"),
        {"name": None, "min_order_qty": 0.0, "pack_size": 1.0},
        ("lead_time_days", "min_order_qty", "unit_price"),
        ("supplier_id", "ingredient_id"),
    ),
    "stock": Kind(
        tables.ingredient_stock,
        ("ingredient_id", "quantity"),
        {"expiry_date": None},
        ("quantity",),
    ),
    "capacity": Kind(
        tables.production_capacity,
        ("day", "oven_minutes"),
        non_negative=("oven_minutes",),
        unique=("unique_day",),
    ),
}


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV file as text columns with blanks as NaN (conversion happens in validation)."""
    try:
        return pd.read_csv(path, dtype=str, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BakeryError(f"{path}: cannot read CSV: {str(exc).splitlines()[0]}") from exc


def load_file(engine: sa.Engine, slug: str, kind: str, path: Path) -> int:
    """Replace the tenant's ``kind`` rows with the contents of the CSV at ``path``."""
    return replace(engine, slug, kind, read_csv(path), source=str(path))


def replace(
    engine: sa.Engine, slug: str, kind: str, frame: pd.DataFrame, source: str = "data"
) -> int:
    """Validate ``frame`` and replace the tenant's rows of ``kind``; returns rows written."""
    tenant = get_tenant(engine, slug)
    rows = validated(engine, tenant.id, kind, frame, where=f"tenant {slug}: {source}")
    table = KINDS[kind].table
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.tenant_id == tenant.id))
        if rows:
            conn.execute(sa.insert(table), [{**row, "tenant_id": tenant.id} for row in rows])
    return len(rows)


def validated(engine: sa.Engine, tenant_id, kind: str, frame: pd.DataFrame, where: str) -> list:
    """Rows of ``frame`` ready to insert, or a one-line error prefixed with ``where``."""
    spec = KINDS[kind]
    frame = _with_columns(frame, spec, where)
    try:
        for column in spec.non_negative:
            frame[column] = _numbers(frame[column], column, minimum=0)
        frame = CONVERTERS[kind](frame)
    except ValueError as exc:
        raise BakeryError(f"{where}: {exc}") from exc
    _refuse_duplicates(frame, spec.unique, where)
    _refuse_unknown_references(engine, tenant_id, kind, frame, where)
    columns = [c.name for c in spec.table.columns if c.name in frame.columns]
    return [_plain(row) for row in frame[columns].to_dict("records")]


def _with_columns(frame: pd.DataFrame, spec: Kind, where: str) -> pd.DataFrame:
    frame = frame.rename(columns=lambda c: str(c).strip().lower()).copy()
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise BakeryError(f"{where}: missing columns {', '.join(missing)}")
    if frame.empty:
        raise BakeryError(f"{where}: no rows")
    for column, default in spec.optional.items():
        if column not in frame.columns:
            frame[column] = default
    for column in spec.required:
        blank = frame[column].isna() | (frame[column].astype(str).str.strip() == "")
        if blank.any():
            raise BakeryError(f"{where}: empty {column} on line {int(blank.idxmax()) + 2}")
    return frame


def _numbers(values: pd.Series, column: str, minimum: float | None = None) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if minimum is not None:
        bad |= numbers < minimum
    if bad.any():
        line = int(bad.idxmax()) + 2
        limit = f" >= {minimum:g}" if minimum is not None else ""
        got = values[bad.idxmax()]
        raise ValueError(f"{column} must be a number{limit}, got {got!r} on line {line}")
    return numbers


def _ingredients(frame: pd.DataFrame) -> pd.DataFrame:
    frame["name"] = frame["name"].fillna(frame["ingredient_id"])
    shelf = _numbers(frame["shelf_life_days"], "shelf_life_days", minimum=1)
    frame["shelf_life_days"] = [None if pd.isna(v) else int(v) for v in shelf]
    frame["safety_stock"] = frame["safety_stock"].fillna(0.0)
    return frame


def _recipes(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def _suppliers(frame: pd.DataFrame) -> pd.DataFrame:
    frame["name"] = frame["name"].fillna(frame["supplier_id"])
    frame["lead_time_days"] = frame["lead_time_days"].astype(int)
    frame["min_order_qty"] = frame["min_order_qty"].fillna(0.0)
    frame["pack_size"] = _numbers(frame["pack_size"], "pack_size").fillna(1.0)
    if (frame["pack_size"] <= 0).any():
        raise ValueError("pack_size must be > 0")
    frame["delivery_weekdays"] = [_weekdays(v) for v in frame["delivery_weekdays"]]
    return frame


def _stock(frame: pd.DataFrame) -> pd.DataFrame:
    frame["expiry_date"] = [_date_or_none(v, "expiry_date") for v in frame["expiry_date"]]
    frame["lot"] = frame.groupby("ingredient_id").cumcount() + 1
    return frame


def _capacity(frame: pd.DataFrame) -> pd.DataFrame:
    days = [_capacity_day(str(v).strip().lower()) for v in frame["day"]]
    frame["weekday"] = [d if isinstance(d, int) else None for d in days]
    frame["capacity_date"] = [d if isinstance(d, date) else None for d in days]
    frame["unique_day"] = [str(d) for d in days]
    return frame


CONVERTERS = {
    "ingredients": _ingredients,
    "recipes": _recipes,
    "suppliers": _suppliers,
    "stock": _stock,
    "capacity": _capacity,
}


def _weekdays(value) -> list[int]:
    """Delivery weekdays from "0,2,4", "mon,wed,fri" or "mon wed" (Monday = 0)."""
    items = str(value).replace(";", ",").replace(" ", ",").split(",")
    names = [i.strip().lower()[:3] for i in items if i.strip()]
    numbers = [str(WEEKDAY_NAMES.index(n)) if n in WEEKDAY_NAMES else n for n in names]
    try:
        return sorted(parse_weekdays(",".join(numbers)))
    except ValueError as exc:
        raise ValueError(f"delivery_weekdays {value!r}: use 0-6 or mon..sun") from exc


def _capacity_day(value: str) -> int | date:
    if value[:3] in WEEKDAY_NAMES:
        return WEEKDAY_NAMES.index(value[:3])
    if value.isdigit() and int(value) in range(7):
        return int(value)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"day {value!r}: use mon..sun, 0-6 or an ISO date") from exc


def _date_or_none(value, column: str) -> date | None:
    if value is None or pd.isna(value) or str(value).strip() == "":
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{column} {value!r} is not an ISO date") from exc


def _refuse_duplicates(frame: pd.DataFrame, key: tuple[str, ...], where: str) -> None:
    if not key:
        return
    duplicated = frame[frame.duplicated(list(key), keep=False)]
    if not duplicated.empty:
        first = ", ".join(str(duplicated.iloc[0][c]) for c in key)
        raise BakeryError(f"{where}: more than one row for {'/'.join(key)} {first}")


def _refuse_unknown_references(engine, tenant_id, kind: str, frame: pd.DataFrame, where) -> None:
    if "ingredient_id" in frame.columns and kind != "ingredients":
        known = set(_ingredient_ids(engine, tenant_id))
        unknown = sorted(set(frame["ingredient_id"]) - known)
        if unknown:
            raise BakeryError(
                f"{where}: unknown ingredients {', '.join(unknown[:5])} "
                "(load the ingredients first: `bakery-orch planning load-ingredients`)"
            )
    if kind == "recipes":
        known = set(load_products(engine, tenant_id)["product_id"])
        unknown = sorted(set(frame["product_id"]) - known)
        if unknown:
            raise BakeryError(f"{where}: unknown products {', '.join(unknown[:5])}")


def _ingredient_ids(engine: sa.Engine, tenant_id) -> list[str]:
    table = tables.ingredients
    query = sa.select(table.c.ingredient_id).where(table.c.tenant_id == tenant_id)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _plain(row: dict) -> dict:
    return {
        key: None if not isinstance(value, list) and pd.isna(value) else _unbox(value)
        for key, value in row.items()
    }


def _unbox(value):
    return value.item() if hasattr(value, "item") else value
