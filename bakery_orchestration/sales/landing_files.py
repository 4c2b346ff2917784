"""Sales landed as files, `{landing_dir}/{tenant}/{YYYY-MM-DD}.csv`; no Dagster here.

A file counts as changed when its mtime or its ctime moves. The ctime matters because copies that
keep the original mtime (`cp -p`, `rsync -t`) would otherwise land "in the past", behind the
cursor, and never be reported. Files changed within the last `settle_seconds` wait for the next
call: file timestamps tick coarsely (a few ms), so a file reported the instant it was written could
be rewritten within the same tick, keep its timestamp and never be reported again; the wait also
spares readers most half-written files.
"""

import csv
import json
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bakery_orchestration.sales.source_types import (
    ChangesPage,
    RawSales,
    SalesChange,
    SalesSourceError,
    rows_frame,
)

HEADER = ["date", "product", "quantity"]


def sales_file(landing_dir: Path, tenant: str, day: date) -> Path:
    if not tenant or "/" in tenant or tenant in (".", ".."):
        raise ValueError(f"invalid tenant slug {tenant!r}")
    return landing_dir / tenant / f"{day.isoformat()}.csv"


def read_sales_file(landing_dir: Path, tenant: str, day: date) -> RawSales:
    """The day's CSV as strings; found=False when the file does not exist (yet)."""
    path = sales_file(landing_dir, tenant, day)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            records = _records(handle)
    except FileNotFoundError:
        return RawSales(tenant, day, rows_frame([]), str(path), found=False)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as error:
        raise SalesSourceError(
            f"unreadable sales file for tenant {tenant!r} date {day.isoformat()}: {path}: {error}"
        ) from error
    return RawSales(tenant, day, rows_frame(records), str(path), found=True)


def _records(handle: TextIO) -> list[tuple[str, str, str, int]]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header != HEADER:
        raise ValueError(f"header is {header!r}, expected {','.join(HEADER)}")
    records = []
    for row in reader:
        if not row:
            continue
        if len(row) != len(HEADER):
            raise ValueError(f"line {reader.line_num} has {len(row)} fields, expected 3")
        records.append((row[0], row[1], row[2], reader.line_num))
    return records


@dataclass(frozen=True)
class FileCursor:
    """Position in the change feed: the newest change time seen and the files seen at that time."""

    changed_ns: int = -1
    seen: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | None) -> "FileCursor":
        if text is None:
            return cls()
        try:
            data = json.loads(text)
            return cls(int(data["changed_ns"]), frozenset(str(p) for p in data["seen"]))
        except (ValueError, KeyError, TypeError) as error:
            raise SalesSourceError(f"invalid landing-files cursor {text!r}: {error!r}") from error

    def dump(self) -> str:
        return json.dumps({"changed_ns": self.changed_ns, "seen": sorted(self.seen)})

    def is_before(self, changed_ns: int, relative: str) -> bool:
        """True when a file changed at `changed_ns` has not been reported yet."""
        if changed_ns == self.changed_ns:
            return relative not in self.seen
        return changed_ns > self.changed_ns

    def advance(self, changed_ns: int, relative: str) -> "FileCursor":
        if changed_ns == self.changed_ns:
            return FileCursor(changed_ns, self.seen | {relative})
        return FileCursor(changed_ns, frozenset({relative}))


def changes_since(
    landing_dir: Path, cursor: str | None, limit: int, settle_seconds: float = 1.0
) -> ChangesPage:
    """Files changed after `cursor`, oldest first, at most `limit`; other file names are ignored."""
    position = FileCursor.parse(cursor)
    settled_ns = time.time_ns() - int(settle_seconds * 1e9)
    pending = sorted(
        (changed_ns, relative, tenant, day)
        for changed_ns, relative, tenant, day in _landed_files(landing_dir)
        if changed_ns <= settled_ns and position.is_before(changed_ns, relative)
    )
    page = pending[:limit]
    items = []
    for changed_ns, relative, tenant, day in page:
        position = position.advance(changed_ns, relative)
        changed_at = datetime.fromtimestamp(changed_ns / 1e9, tz=UTC)
        items.append(SalesChange(tenant, day, changed_at))
    next_cursor = position.dump() if page else cursor
    return ChangesPage(items, next_cursor, has_more=len(pending) > limit)


def _landed_files(landing_dir: Path) -> list[tuple[int, str, str, date]]:
    found = []
    for path in landing_dir.glob("*/*.csv"):
        try:
            day = date.fromisoformat(path.stem)
            stat = path.stat()
        except (ValueError, FileNotFoundError):
            continue
        if day.isoformat() != path.stem:
            continue
        changed_ns = max(stat.st_mtime_ns, stat.st_ctime_ns)
        found.append((changed_ns, path.relative_to(landing_dir).as_posix(), path.parent.name, day))
    return found
