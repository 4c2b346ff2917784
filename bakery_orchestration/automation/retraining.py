"""When a tenant's demand model is retrained: one pure rule, and the figures it reads.

The weekly schedule retrains a tenant when its forecasts got bad (MAPE over the last 30 days above
30 %), got worse (MAPE up by more than 5 points against the 30 days before) or when its model is
stale (older than 30 days, or missing).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from bakery_orchestration.db.schema import forecast_models, validation_runs

WINDOW_DAYS = 30
MAPE_LIMIT = 30.0
MAPE_RISE_LIMIT = 5.0
MAX_MODEL_AGE_DAYS = 30

NO_MODEL = "no_model"
MAPE_TOO_HIGH = "mape_above_30"
MAPE_ROSE = "mape_rose_over_5_points"
MODEL_TOO_OLD = "model_older_than_30_days"


def retrain_decision(
    mape_30d: float | None, mape_30d_previous: float | None, model_age_days: int | None
) -> str | None:
    """The rule that calls for retraining, or None; ``model_age_days`` None means no model."""
    if model_age_days is None:
        return NO_MODEL
    if mape_30d is not None and mape_30d > MAPE_LIMIT:
        return MAPE_TOO_HIGH
    if (
        mape_30d is not None
        and mape_30d_previous is not None
        and mape_30d - mape_30d_previous > MAPE_RISE_LIMIT
    ):
        return MAPE_ROSE
    if model_age_days > MAX_MODEL_AGE_DAYS:
        return MODEL_TOO_OLD
    return None


@dataclass(frozen=True)
class ModelHealth:
    mape_30d: float | None
    mape_30d_previous: float | None
    model_age_days: int | None

    def decision(self) -> str | None:
        return retrain_decision(self.mape_30d, self.mape_30d_previous, self.model_age_days)


def model_health(conn: sa.Connection, tenant_id: UUID, today: date) -> ModelHealth:
    """Mean daily MAPE over partitions (today-30, today] and the 30 days before; model age."""
    return ModelHealth(
        mape_30d=_mean_mape(conn, tenant_id, today - timedelta(days=WINDOW_DAYS), today),
        mape_30d_previous=_mean_mape(
            conn,
            tenant_id,
            today - timedelta(days=2 * WINDOW_DAYS),
            today - timedelta(days=WINDOW_DAYS),
        ),
        model_age_days=_model_age_days(conn, tenant_id, today),
    )


def _mean_mape(conn: sa.Connection, tenant_id: UUID, after: date, until: date) -> float | None:
    query = sa.select(sa.func.avg(validation_runs.c.mape)).where(
        validation_runs.c.tenant_id == tenant_id,
        validation_runs.c.partition_date > after,
        validation_runs.c.partition_date <= until,
    )
    value = conn.execute(query).scalar()
    return float(value) if value is not None else None


def _model_age_days(conn: sa.Connection, tenant_id: UUID, today: date) -> int | None:
    query = sa.select(sa.func.max(forecast_models.c.trained_at)).where(
        forecast_models.c.tenant_id == tenant_id
    )
    trained_at = conn.execute(query).scalar()
    if trained_at is None:
        return None
    if isinstance(trained_at, str):  # SQLite hands back the server default's text as is
        trained_at = datetime.fromisoformat(trained_at)
    return (today - trained_at.date()).days
