"""When a tenant's demand model is retrained: the figures the rule reads.

The rule itself is ``validation.rules.retrain_decision`` (the seed's three triggers — error above
a limit, error risen over 30 days, model too old — with limits relative to the tenant's own
achievable error, so a healthy tenant never trips them).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import sqlalchemy as sa

from bakery_orchestration.db.schema import forecast_models
from bakery_orchestration.validation.history import scored_days, tenant_rules
from bakery_orchestration.validation.rules import (
    AccuracyRules,
    ScoredDay,
    pooled_wape,
    retrain_decision,
)


@dataclass(frozen=True)
class ModelHealth:
    last: list[ScoredDay]
    previous: list[ScoredDay]
    model_age_days: int | None
    rules: AccuracyRules

    def decision(self) -> str | None:
        return retrain_decision(self.last, self.previous, self.model_age_days, self.rules)

    def __str__(self) -> str:
        def pct(value):
            return "n/a" if value is None else f"{value:.1f}%"

        return (
            f"WAPE 30d {pct(pooled_wape(self.last))} (naive {pct(pooled_wape(self.last, True))}),"
            f" previous 30d {pct(pooled_wape(self.previous))}, model age "
            f"{'none' if self.model_age_days is None else f'{self.model_age_days} days'}"
        )


def model_health(conn: sa.Connection, tenant_id: UUID, today: date) -> ModelHealth:
    """Scored days of partitions (today-30, today] and the 30 days before; model age."""
    rules = tenant_rules(conn, tenant_id)
    window = timedelta(days=rules.retrain_window_days)
    return ModelHealth(
        last=scored_days(conn, tenant_id, today - window, today),
        previous=scored_days(conn, tenant_id, today - 2 * window, today - window),
        model_age_days=_model_age_days(conn, tenant_id, today),
        rules=rules,
    )


def _model_age_days(conn: sa.Connection, tenant_id: UUID, today: date) -> int | None:
    """Days since the newest model's data ends (``as_of``): what it has not seen, whenever it
    was trained (a replay or a backfill trains models for past days)."""
    query = sa.select(sa.func.max(forecast_models.c.as_of)).where(
        forecast_models.c.tenant_id == tenant_id
    )
    as_of = conn.execute(query).scalar()
    if as_of is None:
        return None
    if isinstance(as_of, str):  # SQLite may hand a date back as text
        as_of = date.fromisoformat(as_of[:10])
    return (today - as_of).days
