"""tenants.model_pool: tenants that share one demand model (opt-in pooling of a chain's stores)

Revision ID: 008_model_pool
Revises: 007_accuracy_and_receipts
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "008_model_pool"
down_revision = "007_accuracy_and_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL for every existing tenant: nothing changes until a tenant opts in.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("model_pool", sa.String(length=63), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("model_pool")
