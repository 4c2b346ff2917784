"""The forecasting use case shared by the assets and the CLI: pick the right model version for a
day (never one that saw sales on or after it), train one when there is none, and forecast."""

import uuid
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.forecasting.model import DemandModel, TenantCalendar
from bakery_orchestration.forecasting.store import latest_model, save_model
from bakery_orchestration.sales.history import load_sales_history
from bakery_orchestration.tenants.registry import Tenant

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


def train_model(engine: sa.Engine, tenant: Tenant, as_of: date, reason: str) -> TrainedModel:
    """Fit on the tenant's sales before ``as_of`` and store the new version."""
    history = load_sales_history(engine, tenant.id, before=as_of, days=TRAINING_DAYS)
    model = DemandModel.fit(history, as_of=as_of, calendar=tenant_calendar(tenant))
    details = {
        "history_rows": len(history),
        "implausible_history_rows": history.attrs["implausible_rows"],
        "products": len(model.products),
        "first_day": history["date"].min().date().isoformat() if len(history) else None,
    }
    model_id = save_model(engine, tenant.id, model, reason=reason, details=details)
    return TrainedModel(model_id, model, len(history))


@dataclass(frozen=True)
class ForecastRun:
    forecast: pd.DataFrame
    model_id: uuid.UUID | None
    model_as_of: date | None
    trained_now: bool


def forecast_for_day(engine: sa.Engine, tenant: Tenant, day: date) -> ForecastRun:
    """P10/P50/P90 per product for ``day`` .. ``day`` + 6 from the sales before ``day``."""
    stored = latest_model(engine, tenant.id, as_of=day)
    trained_now = stored is None
    if stored is None:
        try:
            trained = train_model(engine, tenant, day, reason="no model for this date yet")
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
    return ForecastRun(forecast, model_id, as_of, trained_now)


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
