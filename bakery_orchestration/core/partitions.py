"""The partitions every per-(tenant, day) asset shares: a dynamic ``tenant`` dimension times a
daily ``date`` dimension in Europe/Madrid.

A ``date`` partition D is the business morning of D: the cycle that runs at 08:00 on D loads the
sales of D - 1, forecasts D .. D + 6 and validates the forecast made for D - 1.
``end_offset=1`` makes today's partition exist at 08:00 today.

The first day is read once, when the definitions load (``first_partition_day``):
``BAKERY_PARTITION_START`` (an ISO date) when set, else today in Europe/Madrid minus
``BAKERY_PARTITION_DAYS_KEPT`` days when that is set (a rolling window: each load moves it
forward; older days stay in the orchestration database), else 2025-01-01. Keep tenants x days
under Dagster's recommended 100,000 partitions per asset (docs/SCALING.md).
"""

import os
import re
import warnings
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from bakery_orchestration.core.errors import BakeryError

TIMEZONE = "Europe/Madrid"
DEFAULT_START = "2025-01-01"
START_ENV = "BAKERY_PARTITION_START"
DAYS_KEPT_ENV = "BAKERY_PARTITION_DAYS_KEPT"
# Matched whole (`fullmatch`): `$` alone also matches before a final newline. ASCII only.
TENANT_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}", re.ASCII)


def madrid_today(now: datetime | None = None) -> date:
    """The business day in the partitions' time zone at ``now`` (default: now)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(TIMEZONE)).date()


def first_partition_day(env: Mapping[str, str] = os.environ, today: date | None = None) -> date:
    """The first daily partition by the documented precedence: an explicit
    ``BAKERY_PARTITION_START`` wins (the demo, the replay and pinned deployments set it), then
    ``today - BAKERY_PARTITION_DAYS_KEPT`` (today in Europe/Madrid), then 2025-01-01."""
    start = env.get(START_ENV, "").strip()
    if start:
        try:
            return date.fromisoformat(start)
        except ValueError:
            raise BakeryError(f"{START_ENV}={start!r} is not an ISO date (YYYY-MM-DD)") from None
    kept = env.get(DAYS_KEPT_ENV, "").strip()
    if not kept:
        return date.fromisoformat(DEFAULT_START)
    if not kept.isdigit() or int(kept) < 1:
        raise BakeryError(f"{DAYS_KEPT_ENV}={kept!r}: use a whole number of days, 1 or more")
    return (today or madrid_today()) - timedelta(days=int(kept))


tenant_partitions = dg.DynamicPartitionsDefinition(name="tenant")
date_partitions = dg.DailyPartitionsDefinition(
    start_date=first_partition_day().isoformat(),
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


def window_start(now: datetime) -> date:
    """The first day still inside the window at ``now``. The definitions fix their start when
    they load; a process that has run since an earlier day (a code server, the daemon) still
    lists days that a run worker started now no longer has, so sensors and commands that pick
    past days ask this instead of ``date_partitions.start``."""
    return max(date_partitions.start.date(), first_partition_day(today=madrid_today(now)))


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
