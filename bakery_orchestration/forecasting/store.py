"""Fitted demand models in the ``forecast_models`` table.

The payload is the model's own safe encoding (``DemandModel.to_bytes``: a ``.npz`` of plain
numeric arrays read with ``allow_pickle=False`` plus a JSON header; no pickle, so loading can
never execute code). Its SHA-256 is recorded beside it; loading refuses a payload whose digest
differs from the recorded one, so a corrupted or swapped blob is never decoded.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db.schema import forecast_models
from bakery_orchestration.forecasting.model import DemandModel

MODEL_FORMAT = "demand-model"


@dataclass(frozen=True)
class StoredModel:
    id: uuid.UUID
    as_of: date
    model: DemandModel
    retrain_reason: str | None


def save_model(
    engine: sa.Engine,
    tenant_id: uuid.UUID,
    model: DemandModel,
    *,
    reason: str,
    details: dict | None = None,
) -> uuid.UUID:
    """Store a new model version for the tenant and return its id."""
    payload = model.to_bytes()
    model_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(
            sa.insert(forecast_models).values(
                id=model_id,
                tenant_id=tenant_id,
                as_of=model.as_of,
                format=MODEL_FORMAT,
                sha256=hashlib.sha256(payload).hexdigest(),
                payload=payload,
                details=details or {},
                retrain_reason=reason,
            )
        )
    return model_id


def latest_model(engine: sa.Engine, tenant_id: uuid.UUID, as_of: date) -> StoredModel | None:
    """The newest model trained on data before ``as_of`` (never one that saw later sales)."""
    query = (
        sa.select(forecast_models)
        .where(forecast_models.c.tenant_id == tenant_id, forecast_models.c.as_of <= as_of)
        .order_by(forecast_models.c.as_of.desc(), forecast_models.c.trained_at.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    payload = bytes(row["payload"])
    if row["format"] != MODEL_FORMAT or hashlib.sha256(payload).hexdigest() != row["sha256"]:
        raise BakeryError(
            f"forecast model {row['id']} failed its integrity check (format {row['format']}, "
            "digest mismatch): retrain with `forecast_model` for this tenant"
        )
    return StoredModel(
        row["id"],
        row["as_of"],
        DemandModel.from_bytes(payload, expected_sha256=row["sha256"]),
        row["retrain_reason"],
    )


def pooled_model(
    engine: sa.Engine, tenant_ids: list[uuid.UUID], as_of: date, pool_digest: str
) -> DemandModel | None:
    """A model one of ``tenant_ids`` stored for ``as_of`` from a pooled fit on exactly the
    sales ``pool_digest`` names (``details["pool_digest"]``), or None."""
    query = (
        sa.select(forecast_models.c.id, forecast_models.c.details)
        .where(forecast_models.c.tenant_id.in_(tenant_ids), forecast_models.c.as_of == as_of)
        .order_by(forecast_models.c.trained_at.desc())
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        match = next(
            (r for r in rows if (r["details"] or {}).get("pool_digest") == pool_digest), None
        )
        if match is None:
            return None
        row = (
            conn.execute(sa.select(forecast_models).where(forecast_models.c.id == match["id"]))
            .mappings()
            .one()
        )
    payload = bytes(row["payload"])
    if row["format"] != MODEL_FORMAT or hashlib.sha256(payload).hexdigest() != row["sha256"]:
        return None  # an unreadable copy is not reused: the caller fits the pool itself
    return DemandModel.from_bytes(payload, expected_sha256=row["sha256"])


def model_history(engine: sa.Engine, tenant_id: uuid.UUID) -> list[dict]:
    """Every stored version of the tenant's model, newest first, without payloads."""
    columns = [c for c in forecast_models.c if c.name != "payload"]
    query = (
        sa.select(*columns)
        .where(forecast_models.c.tenant_id == tenant_id)
        .order_by(forecast_models.c.trained_at.desc())
    )
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
