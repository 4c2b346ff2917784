"""Per (tenant, partition date) outputs of the daily graph: sales, forecasts, validation.

Every table here carries ``tenant_id`` and ``partition_date``, the key the IO manager replaces
in one transaction when a partition is materialized again.
"""

import sqlalchemy as sa

from bakery_orchestration.db.columns import partition_key_columns, tenant_column
from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.types import UUID, JSONDocument, Timestamp, gen_uuid, utcnow

daily_sales = sa.Table(
    "daily_sales",
    metadata,
    *partition_key_columns(),
    sa.Column("product_id", sa.String(100), primary_key=True),
    sa.Column("sales_date", sa.Date, nullable=False),
    sa.Column("quantity", sa.Float, nullable=False),
)
sa.Index("ix_daily_sales_tenant_sales_date", daily_sales.c.tenant_id, daily_sales.c.sales_date)

# What the sales source answered for a tenant-day: ``received`` (a file or payload, possibly
# empty), ``missing`` (nothing yet on a trading day: the day is planned degraded), ``closed`` (no
# sales expected: the tenant's calendar) or ``unreadable``. Written with ``daily_sales``.
SALES_RECEIPT_STATES = ("received", "missing", "closed", "unreadable")
sales_receipts = sa.Table(
    "sales_receipts",
    metadata,
    *partition_key_columns(),
    sa.Column("sales_date", sa.Date, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("rows_received", sa.Integer, nullable=True),
    sa.Column("rows_quarantined", sa.Integer, nullable=True),
    sa.Column("checked_at", Timestamp, nullable=False, server_default=utcnow()),
    sa.CheckConstraint(f"state IN {SALES_RECEIPT_STATES}", name="ck_sales_receipts_state"),
)

sales_quarantine = sa.Table(
    "sales_quarantine",
    metadata,
    *partition_key_columns(),
    sa.Column("line", sa.Integer, primary_key=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("raw", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=True),
    sa.Column("dagster_run_id", sa.String(64), nullable=True),
)

forecast_models = sa.Table(
    "forecast_models",
    metadata,
    sa.Column("id", UUID, primary_key=True, server_default=gen_uuid()),
    tenant_column(primary_key=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("trained_at", Timestamp, nullable=False, server_default=utcnow()),
    sa.Column("format", sa.String(20), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("details", JSONDocument, nullable=True),
    sa.Column("retrain_reason", sa.String(100), nullable=True),
)
sa.Index("ix_forecast_models_tenant_as_of", forecast_models.c.tenant_id, forecast_models.c.as_of)

demand_forecasts = sa.Table(
    "demand_forecasts",
    metadata,
    *partition_key_columns(),
    sa.Column("product_id", sa.String(100), primary_key=True),
    sa.Column("target_date", sa.Date, primary_key=True),
    sa.Column("horizon", sa.Integer, nullable=False),
    sa.Column("p10", sa.Float, nullable=False),
    sa.Column("p50", sa.Float, nullable=False),
    sa.Column("p90", sa.Float, nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("model_id", UUID, nullable=True),
)

validation_runs = sa.Table(
    "validation_runs",
    metadata,
    *partition_key_columns(),
    sa.Column("validated_date", sa.Date, nullable=False),
    sa.Column("forecast_lines", sa.Integer, nullable=False),
    sa.Column("scored_lines", sa.Integer, nullable=False),
    sa.Column("mae", sa.Float, nullable=True),
    sa.Column("mape", sa.Float, nullable=True),
    sa.Column("rmse", sa.Float, nullable=True),
    sa.Column("r2", sa.Float, nullable=True),
    sa.Column("wape", sa.Float, nullable=True),
    sa.Column("accuracy", sa.Float, nullable=True),
    sa.Column("bias", sa.Float, nullable=True),
    sa.Column("coverage", sa.Float, nullable=True),
    sa.Column("interval_coverage", sa.Float, nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    sa.Column("created_at", Timestamp, nullable=False, server_default=utcnow()),
    # Sums over the scored lines, so rolling windows pool errors by volume (WAPE), and the
    # seasonal-naive forecast's error on the same lines (the baseline the rules compare with).
    sa.Column("actual_units", sa.Float, nullable=True),
    sa.Column("abs_error_units", sa.Float, nullable=True),
    sa.Column("naive_abs_error_units", sa.Float, nullable=True),
    sa.Column("naive_wape", sa.Float, nullable=True),
)

validation_product_metrics = sa.Table(
    "validation_product_metrics",
    metadata,
    *partition_key_columns(),
    sa.Column("product_id", sa.String(100), primary_key=True),
    sa.Column("actual", sa.Float, nullable=True),
    sa.Column("forecast", sa.Float, nullable=True),
    sa.Column("p10", sa.Float, nullable=True),
    sa.Column("p90", sa.Float, nullable=True),
    sa.Column("abs_error", sa.Float, nullable=True),
    sa.Column("ape", sa.Float, nullable=True),
    sa.Column("within_interval", sa.Boolean, nullable=True),
)
