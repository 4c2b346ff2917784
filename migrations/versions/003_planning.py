"""planning

Revision ID: 003_planning
Revises: 002_tenants_sales_forecasts
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from bakery_orchestration.db.types import JSONDocument, gen_uuid, utcnow

revision = "003_planning"
down_revision = "002_tenants_sales_forecasts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_summaries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("payload", JSONDocument, nullable=False),
        sa.Column("delivery_status", sa.String(length=20), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.CheckConstraint(
            "delivery_status IN ('sent', 'failed', 'skipped')",
            name="ck_daily_summaries_delivery_status",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date"),
    )
    op.create_table(
        "ingredient_stock",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("lot", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.CheckConstraint("quantity >= 0", name="ck_ingredient_stock_quantity"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "ingredient_id", "lot"),
    )
    op.create_table(
        "ingredients",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("safety_stock >= 0", name="ck_ingredients_safety_stock"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "ingredient_id"),
    )
    op.create_table(
        "inventory_projections",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("projection_date", sa.Date(), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.Column("opening", sa.Float(), nullable=False),
        sa.Column("receipts", sa.Float(), nullable=False),
        sa.Column("consumption", sa.Float(), nullable=False),
        sa.Column("expired", sa.Float(), nullable=False),
        sa.Column("closing", sa.Float(), nullable=False),
        sa.Column("shortage", sa.Float(), nullable=False),
        sa.Column("safety_stock", sa.Float(), nullable=False),
        sa.Column("shelf_life_days", sa.Float(), nullable=True),
        sa.Column("below_safety", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "projection_date", "ingredient_id"),
    )
    op.create_table(
        "procurement_proposals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("supplier_id", sa.String(length=100), nullable=False),
        sa.Column("po_number", sa.String(length=40), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("packs", sa.Integer(), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("expected_delivery_date", sa.Date(), nullable=True),
        sa.Column("need_date", sa.Date(), nullable=False),
        sa.Column("shortfall", sa.Float(), nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=True),
        sa.Column("total_cost", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "ingredient_id"),
    )
    op.create_table(
        "production_capacity",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("capacity_date", sa.Date(), nullable=True),
        sa.Column("oven_minutes", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "(weekday IS NULL AND capacity_date IS NOT NULL) OR "
            "(weekday IS NOT NULL AND capacity_date IS NULL AND weekday BETWEEN 0 AND 6)",
            name="ck_production_capacity_day",
        ),
        sa.CheckConstraint("oven_minutes >= 0", name="ck_production_capacity_minutes"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("production_capacity", schema=None) as batch_op:
        batch_op.create_index(
            "ux_production_capacity_date", ["tenant_id", "capacity_date"], unique=True
        )
        batch_op.create_index(
            "ux_production_capacity_weekday", ["tenant_id", "weekday"], unique=True
        )

    op.create_table(
        "production_plans",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("p10", sa.Float(), nullable=False),
        sa.Column("p50", sa.Float(), nullable=False),
        sa.Column("p90", sa.Float(), nullable=False),
        sa.Column("forecast_method", sa.String(length=20), nullable=True),
        sa.Column("critical_ratio", sa.Float(), nullable=False),
        sa.Column("quantile_used", sa.Float(), nullable=False),
        sa.Column("forecast_quantity_raw", sa.Float(), nullable=False),
        sa.Column("expected_sales", sa.Float(), nullable=False),
        sa.Column("expected_waste", sa.Float(), nullable=False),
        sa.Column("expected_stockout_units", sa.Float(), nullable=False),
        sa.Column("oven_minutes", sa.Float(), nullable=False),
        sa.Column("capacity_minutes", sa.Float(), nullable=True),
        sa.Column("margin", sa.Float(), nullable=False),
        sa.Column("cut_units", sa.Integer(), nullable=False),
        sa.Column("cut_reason", sa.String(length=20), server_default=sa.text("''"), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "partition_date", "product_id"),
    )
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("po_number", sa.String(length=40), nullable=False),
        sa.Column("supplier_id", sa.String(length=100), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("expected_delivery_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default=sa.text("'open'"), nullable=False),
        sa.Column(
            "source", sa.String(length=20), server_default=sa.text("'manual'"), nullable=False
        ),
        sa.Column("partition_date", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("total_cost", sa.Float(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=utcnow(), nullable=False
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source IN ('procurement', 'manual')", name="ck_purchase_orders_source"),
        sa.CheckConstraint(
            "status IN ('open', 'received', 'cancelled')", name="ck_purchase_orders_status"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "po_number", name="uq_purchase_orders_number"),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_orders_tenant_partition", ["tenant_id", "partition_date"], unique=False
        )

    op.create_table(
        "recipes",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("quantity_per_unit", sa.Float(), nullable=False),
        sa.CheckConstraint("quantity_per_unit >= 0", name="ck_recipes_quantity"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "product_id", "ingredient_id"),
    )
    op.create_table(
        "suppliers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("supplier_id", sa.String(length=100), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("min_order_qty", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.Column("pack_size", sa.Float(), server_default=sa.text("1"), nullable=False),
        sa.Column("delivery_weekdays", JSONDocument, nullable=False),
        sa.Column("unit_price", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "lead_time_days >= 0 AND min_order_qty >= 0 AND pack_size > 0 AND unit_price >= 0",
            name="ck_suppliers_terms",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "supplier_id", "ingredient_id"),
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("purchase_order_id", sa.Uuid(), nullable=False),
        sa.Column("ingredient_id", sa.String(length=100), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("partition_date", sa.Date(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("packs", sa.Integer(), nullable=True),
        sa.Column("unit_price", sa.Float(), nullable=True),
        sa.Column("total_cost", sa.Float(), nullable=True),
        sa.Column("expected_delivery_date", sa.Date(), nullable=True),
        sa.Column("need_date", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["purchase_order_id"], ["purchase_orders.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("purchase_order_id", "ingredient_id"),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_order_lines_tenant_partition",
            ["tenant_id", "partition_date"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_lines_tenant_partition")

    op.drop_table("purchase_order_lines")
    op.drop_table("suppliers")
    op.drop_table("recipes")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_orders_tenant_partition")

    op.drop_table("purchase_orders")
    op.drop_table("production_plans")
    with op.batch_alter_table("production_capacity", schema=None) as batch_op:
        batch_op.drop_index("ux_production_capacity_weekday")
        batch_op.drop_index("ux_production_capacity_date")

    op.drop_table("production_capacity")
    op.drop_table("procurement_proposals")
    op.drop_table("inventory_projections")
    op.drop_table("ingredients")
    op.drop_table("ingredient_stock")
    op.drop_table("daily_summaries")
