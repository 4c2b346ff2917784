"""Tenants (bakeries) and their product master data."""

import sqlalchemy as sa

from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.types import UUID, JSONDocument, Timestamp, gen_uuid, utcnow

TENANT_STATUSES = ("active", "suspended", "cancelled")
TENANT_TIERS = ("starter", "professional", "enterprise")

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", UUID, primary_key=True, server_default=gen_uuid()),
    sa.Column("slug", sa.String(63), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'active'")),
    sa.Column("tier", sa.String(20), nullable=False, server_default=sa.text("'starter'")),
    sa.Column("timezone", sa.String(64), nullable=False, server_default=sa.text("'Europe/Madrid'")),
    sa.Column("country", sa.String(2), nullable=True),
    sa.Column("subdivision", sa.String(10), nullable=True),
    sa.Column("closed_weekdays", JSONDocument, nullable=False, server_default=sa.text("'[]'")),
    sa.Column("webhook_url", sa.Text, nullable=True),
    # whsec_<base64>: signs the webhook POSTs (notifications/signing.py); shown once when made.
    sa.Column("webhook_secret", sa.String(100), nullable=True),
    # Per-tenant overrides of the accuracy rules (validation/rules.py), e.g. {"level_factor": 3}.
    sa.Column("accuracy_rules", JSONDocument, nullable=True),
    # The tenants sharing one name here share one demand model fitted on all their sales (a
    # chain's stores that opted in); NULL: the tenant's model reads its own sales only.
    sa.Column("model_pool", sa.String(63), nullable=True),
    sa.Column("created_at", Timestamp, nullable=False, server_default=utcnow()),
    sa.Column("updated_at", Timestamp, nullable=False, server_default=utcnow(), onupdate=utcnow()),
    sa.CheckConstraint(f"status IN {TENANT_STATUSES}", name="ck_tenants_status"),
    sa.CheckConstraint(f"tier IN {TENANT_TIERS}", name="ck_tenants_tier"),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("tenant_id", UUID, sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_id", sa.String(100), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("unit_price", sa.Float, nullable=False),
    sa.Column("unit_cost", sa.Float, nullable=False),
    sa.Column("salvage_value", sa.Float, nullable=False, server_default=sa.text("0")),
    sa.Column("shelf_life_days", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("batch_size", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("oven_minutes_per_batch", sa.Float, nullable=False, server_default=sa.text("0")),
    sa.CheckConstraint("batch_size >= 1", name="ck_products_batch_size"),
    sa.CheckConstraint("unit_price >= 0 AND unit_cost >= 0", name="ck_products_prices"),
)
