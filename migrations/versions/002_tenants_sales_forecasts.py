"""tenants, products, daily sales, forecasts and validation

Revision ID: 002_tenants_sales_forecasts
Revises: 001_initial_schema
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from bakery_orchestration.db.triggers import create_updated_at_trigger, drop_updated_at_trigger
from bakery_orchestration.db.types import JSONDocument, gen_uuid, utcnow

revision = "002_tenants_sales_forecasts"
down_revision = "001_initial_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'active'"), nullable=False
        ),
        sa.Column(
            "tier", sa.String(length=20), server_default=sa.text("'starter'"), nullable=False
        ),
        sa.Column(
            "timezone",
            sa.String(length=64),
            server_default=sa.text("'Europe/Madrid'"),
            nullable=False,
        ),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("subdivision", sa.String(length=10), nullable=True),
        sa.Column("closed_weekdays", JSONDocument, server_default=sa.text("'[]'"), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'cancelled')", name="ck_tenants_status"
        ),
        sa.CheckConstraint(
            "tier IN ('starter', 'professional', 'enterprise')", name="ck_tenants_tier"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "daily_sales",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("sales_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "product_id"),
    )
    with op.batch_alter_table("daily_sales", schema=None) as batch_op:
        batch_op.create_index(
            "ix_daily_sales_tenant_sales_date", ["tenant_id", "sales_date"], unique=False
        )

    op.create_table(
        "demand_forecasts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("p10", sa.Float(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=False),
        sa.Column("p90", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "product_id", "target_date"),
    )
    op.create_table(
        "forecast_models",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column(
            "trained_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("details", JSONDocument, nullable=True),
        sa.Column("retrain_reason", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forecast_models", schema=None) as batch_op:
        batch_op.create_index(
            "ix_forecast_models_tenant_as_of", ["tenant_id", "as_of"], unique=False
        )

    op.create_table(
        "products",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.Column("unit_cost", sa.Float(), nullable=False),
        sa.Column("salvage_value", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("batch_size", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "oven_minutes_per_batch", sa.Float(), server_default=sa.text("0"), nullable=False
        ),
        sa.CheckConstraint("batch_size >= 1", name="ck_products_batch_size"),
        sa.CheckConstraint("unit_price >= 0 AND unit_cost >= 0", name="ck_products_prices"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "product_id"),
    )
    op.create_table(
        "sales_quarantine",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("dagster_run_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "line"),
    )
    op.create_table(
        "validation_product_metrics",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("forecast", sa.Float(), nullable=True),
        sa.Column("p10", sa.Float(), nullable=True),
        sa.Column("p90", sa.Float(), nullable=True),
        sa.Column("abs_error", sa.Float(), nullable=True),
        sa.Column("ape", sa.Float(), nullable=True),
        sa.Column("within_interval", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "product_id"),
    )
    op.create_table(
        "validation_runs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("validated_date", sa.Date(), nullable=False),
        sa.Column("forecast_lines", sa.Integer(), nullable=False),
        sa.Column("scored_lines", sa.Integer(), nullable=False),
        sa.Column("mae", sa.Float(), nullable=True),
        sa.Column("mape", sa.Float(), nullable=True),
        sa.Column("rmse", sa.Float(), nullable=True),
        sa.Column("r2", sa.Float(), nullable=True),
        sa.Column("wape", sa.Float(), nullable=True),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("bias", sa.Float(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("interval_coverage", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date"),
    )

    create_updated_at_trigger("tenants")


def downgrade() -> None:
    drop_updated_at_trigger("tenants")
    op.drop_table("validation_runs")
    op.drop_table("validation_product_metrics")
    op.drop_table("sales_quarantine")
    op.drop_table("products")
    with op.batch_alter_table("forecast_models", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_models_tenant_as_of")

    op.drop_table("forecast_models")
    op.drop_table("demand_forecasts")
    with op.batch_alter_table("daily_sales", schema=None) as batch_op:
        batch_op.drop_index("ix_daily_sales_tenant_sales_date")

    op.drop_table("daily_sales")
    op.drop_table("tenants")
