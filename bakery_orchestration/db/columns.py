"""Columns shared by many tables: the tenant reference and the (tenant, partition date) key."""

import sqlalchemy as sa

from bakery_orchestration.db.types import UUID


def tenant_column(primary_key: bool = True) -> sa.Column:
    """``tenant_id`` referencing ``tenants.id``; the tenant's rows go when the tenant goes."""
    return sa.Column(
        "tenant_id",
        UUID,
        sa.ForeignKey("tenants.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def partition_key_columns() -> list[sa.Column]:
    """The key the IO manager replaces in one transaction: (tenant_id, partition_date)."""
    return [tenant_column(), sa.Column("partition_date", sa.Date, primary_key=True)]
