"""The tenant registry and product master data: plain functions over a SQLAlchemy engine.

Slugs are validated before they reach SQL, and reach it only as bound parameters.
"""

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import validate_slug
from bakery_orchestration.db.schema import products, tenants
from bakery_orchestration.db.tenants import TENANT_STATUSES, TENANT_TIERS
from bakery_orchestration.notifications.addresses import check_webhook_url
from bakery_orchestration.notifications.signing import new_secret

PRODUCT_COLUMNS = ("product_id", "name", "unit_price", "unit_cost")
PRODUCT_OPTIONAL = {
    "salvage_value": 0.0,
    "shelf_life_days": 1,
    "batch_size": 1,
    "oven_minutes_per_batch": 0.0,
}
TIER_PRIORITY = {"starter": 0, "professional": 5, "enterprise": 10}


@dataclass(frozen=True)
class Tenant:
    id: uuid.UUID
    slug: str
    name: str
    status: str = "active"
    tier: str = "starter"
    timezone: str = "Europe/Madrid"
    country: str | None = None
    subdivision: str | None = None
    closed_weekdays: tuple[int, ...] = field(default_factory=tuple)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)  # never in logs
    model_pool: str | None = None  # tenants of one pool share a demand model; None: isolated

    @property
    def run_priority(self) -> int:
        """The ``dagster/priority`` of this tenant's runs: higher tiers go first."""
        return TIER_PRIORITY.get(self.tier, 0)


def _to_tenant(row: sa.RowMapping) -> Tenant:
    return Tenant(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        status=row["status"],
        tier=row["tier"],
        timezone=row["timezone"],
        country=row["country"],
        subdivision=row["subdivision"],
        closed_weekdays=tuple(row["closed_weekdays"] or ()),
        webhook_url=row["webhook_url"],
        webhook_secret=row["webhook_secret"],
        model_pool=row["model_pool"],
    )


def _check_choice(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise BakeryError(f"unknown {what} {value!r}: use one of {', '.join(allowed)}")


def add_tenant(
    engine: sa.Engine,
    slug: str,
    name: str,
    *,
    tier: str = "starter",
    timezone: str = "Europe/Madrid",
    country: str | None = None,
    subdivision: str | None = None,
    closed_weekdays: tuple[int, ...] = (),
    webhook_url: str | None = None,
) -> Tenant:
    """Register a bakery with a new webhook signing secret; an existing slug is an error."""
    validate_slug(slug)
    _check_lengths(slug, name=name, country=country, subdivision=subdivision)
    _check_choice(tier, TENANT_TIERS, "tier")
    if webhook_url:
        check_webhook_url(webhook_url)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BakeryError(f"tenant {slug}: unknown timezone {timezone!r}") from exc
    if any(d not in range(7) for d in closed_weekdays):
        raise BakeryError(f"tenant {slug}: closed weekdays must be 0 (Monday) to 6 (Sunday)")
    values = {
        "id": uuid.uuid4(),
        "slug": slug,
        "name": name,
        "tier": tier,
        "timezone": timezone,
        "country": country.upper() if country else None,
        "subdivision": subdivision,
        "closed_weekdays": sorted(set(closed_weekdays)),
        "webhook_url": webhook_url or None,
        "webhook_secret": new_secret(),
    }
    with engine.begin() as conn:
        exists = conn.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).first()
        if exists:
            raise BakeryError(f"tenant {slug} already exists")
        conn.execute(sa.insert(tenants).values(**values))
    return get_tenant(engine, slug)


def _check_lengths(slug: str, **values: str | None) -> None:
    """Values longer than their column are refused here, so SQLite (which would store them)
    and PostgreSQL (which would raise) give the same one-line error."""
    for column, value in values.items():
        limit = tenants.c[column].type.length
        if value is not None and len(value) > limit:
            raise BakeryError(
                f"tenant {slug}: {column} is {len(value)} characters, at most {limit} allowed"
            )
    country = values.get("country")
    if country is not None and not (len(country) == 2 and country.isascii() and country.isalpha()):
        raise BakeryError(f"tenant {slug}: country {country!r} is not a 2-letter ISO code")


def set_webhook_url(engine: sa.Engine, slug: str, url: str | None) -> Tenant:
    """Point the tenant's summaries at `url` (None: send none), checked like at registration."""
    tenant = get_tenant(engine, slug)
    if url:
        check_webhook_url(url)
    with engine.begin() as conn:
        conn.execute(
            sa.update(tenants).where(tenants.c.id == tenant.id).values(webhook_url=url or None)
        )
    return get_tenant(engine, slug)


def set_model_pool(engine: sa.Engine, slug: str, pool: str | None) -> Tenant:
    """Let the tenant's demand model train on the sales of every tenant of ``pool`` (None:
    its own sales only). A pool name follows the slug rules."""
    tenant = get_tenant(engine, slug)
    if pool is not None:
        try:
            validate_slug(pool)
        except BakeryError as exc:
            raise BakeryError(f"tenant {slug}: model pool {pool!r} is not a valid name") from exc
    with engine.begin() as conn:
        conn.execute(sa.update(tenants).where(tenants.c.id == tenant.id).values(model_pool=pool))
    return get_tenant(engine, slug)


def pool_members(engine: sa.Engine, pool: str) -> list[Tenant]:
    """The tenants of model pool ``pool`` that are not cancelled, by slug."""
    query = (
        sa.select(tenants)
        .where(tenants.c.model_pool == pool, tenants.c.status != "cancelled")
        .order_by(tenants.c.slug)
    )
    with engine.connect() as conn:
        return [_to_tenant(row) for row in conn.execute(query).mappings()]


def rotate_webhook_secret(engine: sa.Engine, slug: str) -> str:
    """Replace the tenant's signing secret; the new one is returned to be shown once."""
    tenant = get_tenant(engine, slug)
    secret = new_secret()
    with engine.begin() as conn:
        conn.execute(
            sa.update(tenants).where(tenants.c.id == tenant.id).values(webhook_secret=secret)
        )
    return secret


def get_tenant(engine: sa.Engine, slug: str) -> Tenant:
    validate_slug(slug)
    with engine.connect() as conn:
        row = conn.execute(sa.select(tenants).where(tenants.c.slug == slug)).mappings().first()
    if row is None:
        raise BakeryError(f"unknown tenant {slug}: add it with `bakery-orch tenants add {slug}`")
    return _to_tenant(row)


def list_tenants(engine: sa.Engine, status: str | None = None) -> list[Tenant]:
    query = sa.select(tenants).order_by(tenants.c.slug)
    if status is not None:
        query = query.where(tenants.c.status == status)
    with engine.connect() as conn:
        return [_to_tenant(row) for row in conn.execute(query).mappings()]


def set_status(engine: sa.Engine, slug: str, status: str) -> Tenant:
    _check_choice(status, TENANT_STATUSES, "status")
    tenant = get_tenant(engine, slug)
    with engine.begin() as conn:
        conn.execute(sa.update(tenants).where(tenants.c.id == tenant.id).values(status=status))
    return get_tenant(engine, slug)


def read_products_csv(path: Path) -> pd.DataFrame:
    """Product master data from a CSV with at least product_id,name,unit_price,unit_cost."""
    frame = pd.read_csv(path, dtype={"product_id": str, "name": str})
    missing = [c for c in PRODUCT_COLUMNS if c not in frame.columns]
    if missing:
        raise BakeryError(f"{path}: missing product columns {', '.join(missing)}")
    return frame


def upsert_products(engine: sa.Engine, slug: str, frame: pd.DataFrame) -> int:
    """Replace the tenant's product master data with ``frame``; returns the product count."""
    tenant = get_tenant(engine, slug)
    frame = frame.copy()
    for column, default in PRODUCT_OPTIONAL.items():
        if column not in frame.columns:
            frame[column] = default
        frame[column] = frame[column].fillna(default)
    bad = frame[(frame["batch_size"] < 1) | (frame["unit_price"] < 0) | (frame["unit_cost"] < 0)]
    if not bad.empty:
        raise BakeryError(
            f"tenant {slug}: invalid product rows {', '.join(bad['product_id'].astype(str))} "
            "(batch_size must be >= 1, prices >= 0)"
        )
    _check_product_lengths(frame, slug)
    rows = frame[list(PRODUCT_COLUMNS) + list(PRODUCT_OPTIONAL)].to_dict("records")
    with engine.begin() as conn:
        conn.execute(sa.delete(products).where(products.c.tenant_id == tenant.id))
        if rows:
            conn.execute(sa.insert(products), [{**r, "tenant_id": tenant.id} for r in rows])
    return len(rows)


def _check_product_lengths(frame: pd.DataFrame, slug: str) -> None:
    """Refuse ids and names longer than their columns here: PostgreSQL would fail on them
    and SQLite would keep them, so the two dialects agree only if neither sees them."""
    for column in ("product_id", "name"):
        limit = products.c[column].type.length
        long = frame[column].astype(str).str.len() > limit
        if long.any():
            first = str(frame.loc[long, column].iloc[0])[:40]
            raise BakeryError(
                f"tenant {slug}: {int(long.sum())} product {column}s longer than {limit} "
                f"characters (first: {first!r}...)"
            )


def load_products(engine: sa.Engine, tenant_id: uuid.UUID) -> pd.DataFrame:
    query = sa.select(products).where(products.c.tenant_id == tenant_id)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in products.columns])
    return frame.drop(columns=["tenant_id"]).sort_values("product_id", ignore_index=True)
