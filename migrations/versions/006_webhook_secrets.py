"""tenants.webhook_secret: the per-tenant key that signs webhook POSTs

Revision ID: 006_webhook_secrets
Revises: 005_alerts
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "006_webhook_secrets"
down_revision = "005_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing tenants get no secret: their summaries stay unsigned until an operator runs
    # `bakery-orch tenants rotate-webhook-secret` and hands the secret to the bakery.
    with op.batch_alter_table("tenants") as batch:
        batch.add_column(sa.Column("webhook_secret", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("webhook_secret")
