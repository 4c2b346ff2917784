"""Per-partition plain-language insights (the ``insights`` asset)."""

import sqlalchemy as sa

from bakery_orchestration.db.columns import partition_key_columns
from bakery_orchestration.db.metadata import metadata

insights = sa.Table(
    "insights",
    metadata,
    *partition_key_columns(),
    sa.Column("rank", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("product_id", sa.String(100), nullable=True),
    sa.Column("value", sa.Float, nullable=True),
    sa.Column("message", sa.Text, nullable=False),
)
