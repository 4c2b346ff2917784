"""The partitions every per-(tenant, day) asset shares: a dynamic ``tenant`` dimension times a
daily ``date`` dimension in Europe/Madrid.

A ``date`` partition D is the business morning of D: the cycle that runs at 08:00 on D loads the
sales of D - 1, forecasts D .. D + 6 and validates the forecast made for D - 1.
``end_offset=1`` makes today's partition exist at 08:00 today.

The first day is ``BAKERY_PARTITION_START`` (ISO date, default 2025-01-01); keep tenants x days
well under Dagster's recommended 100,000 partitions per asset (see docs/SCALING.md).
"""

import os
import re
import warnings
from datetime import date

import dagster as dg

from bakery_orchestration.core.errors import BakeryError

TIMEZONE = "Europe/Madrid"
DEFAULT_START = "2025-01-01"
# Matched whole (`fullmatch`): `$` alone also matches before a final newline. ASCII only.
TENANT_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}", re.ASCII)

tenant_partitions = dg.DynamicPartitionsDefinition(name="tenant")
date_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("BAKERY_PARTITION_START", DEFAULT_START),
    timezone=TIMEZONE,
    end_offset=1,
)
tenant_day_partitions = dg.MultiPartitionsDefinition(
    {"tenant": tenant_partitions, "date": date_partitions}
)

with warnings.catch_warnings():
    # MultiPartitionMapping is marked beta; it is the documented way to say "same tenant, the
    # day before" and is pinned with the Dagster version, so the warning is noise to operators.
    warnings.simplefilter("ignore", dg.BetaWarning)
    previous_day = dg.MultiPartitionMapping(
        {
            "date": dg.DimensionPartitionMapping(
                "date", dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)
            ),
            "tenant": dg.DimensionPartitionMapping("tenant", dg.IdentityPartitionMapping()),
        }
    )


def validate_slug(slug: str) -> str:
    """Return ``slug`` if it is a valid tenant key, else raise a one-line error."""
    if not isinstance(slug, str) or not TENANT_SLUG.fullmatch(slug):
        raise BakeryError(
            f"invalid tenant slug {slug!r}: use 1-63 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return slug


def partition_key(tenant: str, day: date | str) -> dg.MultiPartitionKey:
    """The partition key for one tenant and one business day."""
    day_key = day if isinstance(day, str) else day.isoformat()
    return dg.MultiPartitionKey({"tenant": validate_slug(tenant), "date": day_key})


def split_key(key: dg.MultiPartitionKey | str) -> tuple[str, date]:
    """(tenant slug, date) of a partition key, validating the tenant."""
    if not isinstance(key, dg.MultiPartitionKey):
        day, tenant = str(key).split("|")
        key = dg.MultiPartitionKey({"tenant": tenant, "date": day})
    dims = key.keys_by_dimension
    return validate_slug(dims["tenant"]), date.fromisoformat(dims["date"])
