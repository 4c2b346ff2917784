"""The forecasting use case shared by the assets and the CLI: pick the right model version for a
day (never one that saw sales on or after it), train one when there is none, and forecast."""

import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.forecasting.model import DemandModel, ModelConfig, TenantCalendar
from bakery_orchestration.forecasting.serialization import ModelFormatError
from bakery_orchestration.forecasting.store import (
    StoredModel,
    latest_model,
    pooled_model,
    save_model,
)
from bakery_orchestration.sales.history import load_sales_history
from bakery_orchestration.tenants.registry import Tenant, pool_members

FORECAST_HORIZON = 7
TRAINING_DAYS = 730


def tenant_calendar(tenant: Tenant) -> TenantCalendar:
    return TenantCalendar(
        country=tenant.country,
        subdivision=tenant.subdivision,
        closed_weekdays=tuple(tenant.closed_weekdays),
    )


@dataclass(frozen=True)
class TrainedModel:
    id: uuid.UUID
    model: DemandModel
    history_rows: int
    first_day: date | None
    fit_seconds: float
    reason: str
    pool: tuple[str, ...] = ()  # the tenants whose sales the model was fitted on, if pooled

    def metadata(self) -> dict:
        """What a ``forecast_model`` materialization records, whichever path trained it."""
        return {
            "model_id": str(self.id),
            "reason": self.reason,
            "training_window": f"{self.first_day or 'none'} .. {self.model.as_of}",
            "as_of": self.model.as_of.isoformat(),
            "products": len(self.model.products),
            "history_rows": self.history_rows,
            "fit_seconds": round(self.fit_seconds, 2),
            **({"pool_tenants": ", ".join(self.pool)} if self.pool else {}),
        }


def train_model(engine: sa.Engine, tenant: Tenant, as_of: date, reason: str) -> TrainedModel:
    """Fit on the tenant's sales before ``as_of`` (with its model pool's, if it is in one) and
    store the new version."""
    history = load_sales_history(engine, tenant.id, before=as_of, days=TRAINING_DAYS)
    started = time.perf_counter()
    if tenant.model_pool is None:
        pool = {}
        model = DemandModel.fit(history, as_of=as_of, calendar=tenant_calendar(tenant))
    else:
        pool = pool_histories(engine, tenant, as_of)
        model = _pool_model(engine, tenant, pool, as_of)
    fit_seconds = time.perf_counter() - started
    first_day = history["date"].min().date() if len(history) else None
    details = {
        "history_rows": len(history),
        "implausible_history_rows": history.attrs["implausible_rows"],
        "products": len(model.products),
        "first_day": first_day.isoformat() if first_day else None,
        "fit_seconds": round(fit_seconds, 3),
        **({"model_pool": tenant.model_pool, "pool_tenants": sorted(pool)} if pool else {}),
        **({"pool_digest": pool_digest(pool)} if pool else {}),
    }
    model_id = save_model(engine, tenant.id, model, reason=reason, details=details)
    return TrainedModel(
        model_id, model, len(history), first_day, fit_seconds, reason, tuple(sorted(pool))
    )


def _pool_model(
    engine: sa.Engine,
    tenant: Tenant,
    pool: dict[str, tuple[pd.DataFrame, TenantCalendar]],
    as_of: date,
) -> DemandModel:
    """The tenant's copy of its pool's model for ``as_of``: from a copy another member stored
    after fitting the pool on exactly these sales (the fit is deterministic, so the copy is the
    same bytes), else from a new pooled fit. Each member of a 35-store pool retrained the same
    day would otherwise refit the same pool."""
    members = [m for m in pool_members(engine, tenant.model_pool) if m.slug in pool]
    ids = [m.id for m in members if m.id != tenant.id]
    shared = pooled_model(engine, ids, as_of, pool_digest(pool)) if ids else None
    sales, calendar = pool[tenant.slug]
    if shared is not None:
        return shared.for_member(sales, calendar)
    return DemandModel.fit_pool(pool, as_of=as_of)[tenant.slug]


def pool_digest(pool: dict[str, tuple[pd.DataFrame, TenantCalendar]]) -> str:
    """SHA-256 of what a pooled fit reads: each member's slug, calendar and sales rows, and
    the model configuration."""
    digest = hashlib.sha256(repr(ModelConfig()).encode())
    for slug, (history, calendar) in sorted(pool.items()):
        digest.update(f"{slug}|{calendar!r}|{len(history)}".encode())
        rows = history[["date", "product", "quantity"]].sort_values(["date", "product"])
        digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def pool_histories(
    engine: sa.Engine, tenant: Tenant, as_of: date
) -> dict[str, tuple[pd.DataFrame, TenantCalendar]]:
    """Sales before ``as_of`` and calendar of every tenant of ``tenant``'s model pool that has
    sales (the tenant itself always: too little history of its own fails the fit)."""
    members = {t.slug: t for t in pool_members(engine, tenant.model_pool)} | {tenant.slug: tenant}
    pool = {}
    for slug, member in sorted(members.items()):
        history = load_sales_history(engine, member.id, before=as_of, days=TRAINING_DAYS)
        if len(history) or slug == tenant.slug:
            pool[slug] = (history, tenant_calendar(member))
    return pool


@dataclass(frozen=True)
class ForecastRun:
    forecast: pd.DataFrame
    model_id: uuid.UUID | None
    model_as_of: date | None
    trained: TrainedModel | None
    """The model trained in this step (none stored for the date, or the stored one unreadable)."""

    @property
    def trained_now(self) -> bool:
        return self.trained is not None


def _usable_model(engine: sa.Engine, tenant: Tenant, day: date) -> tuple[StoredModel | None, str]:
    """The stored model for ``day``, or None and why a new one must be trained."""
    try:
        stored = latest_model(engine, tenant.id, as_of=day)
    except (BakeryError, ModelFormatError) as exc:  # format or feature change, corruption
        return None, f"stored model unreadable ({exc})"[:100]
    return stored, "no model for this date yet"


def forecast_for_day(engine: sa.Engine, tenant: Tenant, day: date) -> ForecastRun:
    """P10/P50/P90 per product for ``day`` .. ``day`` + 6 from the sales before ``day``. A model
    is trained in the step when none is stored for the date or the stored one cannot be read,
    so the morning never fails for it."""
    stored, reason = _usable_model(engine, tenant, day)
    trained = None
    if stored is None:
        try:
            trained = train_model(engine, tenant, day, reason=reason)
        except ValueError:  # too little history for any model: seasonal naive for every product
            trained = None
        model_id, model, as_of = (trained.id, trained.model, day) if trained else (None, None, None)
    else:
        model_id, model, as_of = stored.id, stored.model, stored.as_of
    history = load_sales_history(engine, tenant.id, before=day, days=400)
    if model is None:
        forecast = cold_start_forecast(history, day, tenant_calendar(tenant))
    else:
        forecast = model.predict(history, origin=day, horizon=FORECAST_HORIZON)
    return ForecastRun(forecast, model_id, as_of, trained)


def cold_start_forecast(history: pd.DataFrame, day: date, calendar: TenantCalendar) -> pd.DataFrame:
    """Same weekday last week for each product seen in the last four weeks; zero when closed."""
    recent = history[history["date"] >= pd.Timestamp(day) - pd.Timedelta(days=28)]
    rows = []
    for product in sorted(recent["product"].unique()):
        sold = recent[recent["product"] == product].set_index("date")["quantity"]
        for h in range(FORECAST_HORIZON):
            target = pd.Timestamp(day) + pd.Timedelta(days=h)
            closed = target.dayofweek in calendar.closed_weekdays
            last_week = target - pd.Timedelta(days=7 * (1 + h // 7))
            value = 0.0 if closed else float(sold.get(last_week, 0.0))
            method = "closed" if closed else "seasonal_naive"
            rows.append((product, target, h + 1, value, value, value, method))
    return pd.DataFrame(rows, columns=["product", "date", "horizon", "p10", "p50", "p90", "method"])


def forecast_summary(rows: pd.DataFrame, model_id: uuid.UUID | None) -> dict:
    """The compact forecast downstream services read from ``orchestration_runs.forecast_data``:
    P50 units per day, the top products of the first day, the model and the fallback count."""
    per_day = rows.groupby(rows["target_date"].astype(str))["p50"].sum().round(1)
    first = rows[rows["horizon"] == 1].nlargest(5, "p50")
    return {
        "products": int(rows["product_id"].nunique()),
        "units_p50_by_day": per_day.to_dict(),
        "top_products_day1": {r.product_id: round(float(r.p50), 1) for r in first.itertuples()},
        "model_id": str(model_id) if model_id else None,
        "fallback_lines": int((rows["method"] == "seasonal_naive").sum()),
    }
