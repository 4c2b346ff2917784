"""Which tenants are due for their daily cycle at a tick: pure, no Dagster.

The daily schedule evaluates every hour (UTC) and starts a tenant's cycle on the tick where the
tenant's local clock shows the configured hour, so every bakery runs at 08:00 its own time,
through both DST changes: on the spring-forward and fall-back days the local hour 08 still occurs
exactly once. A tenant in a zone with a half-hour offset runs at the first whole UTC hour whose
local hour is the configured one (08:30 in Asia/Kolkata).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bakery_orchestration.tenants.registry import Tenant

SCHEDULED_STATUS = "active"


@dataclass(frozen=True)
class DueCycle:
    tenant: Tenant
    day: date

    @property
    def run_key(self) -> str:
        return f"{self.tenant.slug}:{self.day.isoformat()}"


def due_cycles(tenants: Iterable[Tenant], tick: datetime, hour: int) -> list[DueCycle]:
    """Active tenants whose local time at ``tick`` (aware) is within ``hour``; their local day.

    Closed weekdays are not skipped: the cycle runs and its plans come out as zero.
    """
    due = []
    for tenant in tenants:
        if tenant.status != SCHEDULED_STATUS:
            continue
        local = tick.astimezone(ZoneInfo(tenant.timezone))
        if local.hour == hour:
            due.append(DueCycle(tenant, local.date()))
    return due
