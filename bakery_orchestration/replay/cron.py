"""When a cron schedule ticks between two instants: enough of cron (numbers, ``*``, lists,
ranges, steps; Sunday as 0 or 7) to replay a schedule's ticks without a daemon. No Dagster.

Dagster's own cron iterator is private API, and none of the maintained cron libraries is a
dependency of the project; replays only need whole minutes over a few weeks.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bakery_orchestration.core.errors import BakeryError

FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))


def _values(text: str, low: int, high: int, name: str, cron: str) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                first, last = low, high
            elif "-" in base:
                first, last = (int(v) for v in base.split("-"))
            else:
                first = last = int(base)
        except ValueError as exc:
            raise BakeryError(f"cron {cron!r}: unsupported {name} field {text!r}") from exc
        if step < 1 or first < low or last > high or first > last:
            raise BakeryError(f"cron {cron!r}: {name} field {text!r} is out of range")
        values |= set(range(first, last + 1, step))
    return values


def _matcher(cron: str):
    parts = cron.split()
    if len(parts) != 5:
        raise BakeryError(f"cron {cron!r}: expected 5 fields")
    sets = [_values(p, lo, hi, n, cron) for p, (n, lo, hi) in zip(parts, FIELDS, strict=True)]
    minutes, hours, days, months, weekdays = sets
    weekdays = {d % 7 for d in weekdays}  # cron: 0 and 7 are Sunday
    day_any, weekday_any = parts[2] == "*", parts[4] == "*"

    def matches(t: datetime) -> bool:
        if t.minute not in minutes or t.hour not in hours or t.month not in months:
            return False
        day_ok, weekday_ok = t.day in days, (t.isoweekday() % 7) in weekdays
        if day_any or weekday_any:  # cron: when both are restricted, either one may match
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    return matches


def ticks_between(cron: str, timezone: str, after: datetime, until: datetime) -> list[datetime]:
    """Tick times in ``(after, until]``, as aware datetimes in the schedule's timezone."""
    matches = _matcher(cron)
    zone = ZoneInfo(timezone)
    t = after.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    found = []
    while t <= until:
        local = t.astimezone(zone)
        if matches(local):
            found.append(local)
        t += timedelta(minutes=1)
    return found
