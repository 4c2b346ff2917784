"""Sales landed as files, `{landing_dir}/{tenant}/{YYYY-MM-DD}.csv`; no Dagster here.

A file counts as changed when its mtime or its ctime moves. The ctime matters because copies that
keep the original mtime (`cp -p`, `rsync -t`) would otherwise land "in the past", behind the
cursor, and never be reported. Files changed within the last `settle_seconds` wait for the next
call: file timestamps tick coarsely (a few ms), so a file reported the instant it was written could
be rewritten within the same tick, keep its timestamp and never be reported again; the wait also
spares readers most half-written files.

Only a regular file directly inside its tenant's folder is read: a symlinked file or tenant folder,
a FIFO or a device is refused with one line naming tenant, date and path, and nothing of it is
read or echoed (a link to `/etc/passwd` must not end up in a check message). The change feed does
not report such paths either.
"""

import csv
import errno
import json
import os
import stat
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import validate_slug
from bakery_orchestration.sales.source_types import (
    ChangesPage,
    RawSales,
    SalesChange,
    SalesSourceError,
    rows_frame,
)

HEADER = ["date", "product", "quantity"]


def sales_file(landing_dir: Path, tenant: str, day: date) -> Path:
    return landing_dir / validate_slug(tenant) / f"{day.isoformat()}.csv"


def read_sales_file(landing_dir: Path, tenant: str, day: date) -> RawSales:
    """The day's CSV as strings; found=False when the file does not exist (yet)."""
    path = sales_file(landing_dir, tenant, day)
    where = f"sales file for tenant {tenant!r} date {day.isoformat()}: {path}"
    try:
        with _open_regular(path) as handle:
            records = _records(handle)
    except FileNotFoundError:
        return RawSales(tenant, day, rows_frame([]), str(path), found=False)
    except RefusedFile as error:
        raise SalesSourceError(f"refused {where}: {error}") from None
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as error:
        raise SalesSourceError(f"unreadable {where}: {error}") from error
    return RawSales(tenant, day, rows_frame(records), str(path), found=True)


class RefusedFile(Exception):
    """A landed path that is not a regular file directly inside its tenant's folder."""


def _open_regular(path: Path) -> TextIO:
    """`path` opened for reading, refusing symlinks (the tenant folder's or the file's own) and
    anything but a regular file; nothing of a refused file is read.

    The folder is opened first and the file relative to it, both without following links, so
    a link swapped in between two checks cannot lead out of the folder either.
    """
    try:
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        kind = "a symlink" if path.parent.is_symlink() else "not a folder"
        raise RefusedFile(f"the tenant folder is {kind}") from None
    try:
        fd = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RefusedFile("the file is a symlink") from None
        raise
    finally:
        os.close(folder)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise RefusedFile("not a regular file")
    return open(fd, encoding="utf-8-sig", newline="")  # noqa: SIM115 - the caller closes it


def _records(handle: TextIO) -> list[tuple[str, str, str, int]]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if header != HEADER:
        shown = repr(header)[:80]
        raise ValueError(f"header is {shown}, expected {','.join(HEADER)}")
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
    """Regular `{tenant}/{YYYY-MM-DD}.csv` files; symlinks and other names are not sales."""
    found = []
    for path in landing_dir.glob("*/*.csv"):
        try:
            day = date.fromisoformat(path.stem)
            validate_slug(path.parent.name)
            if path.parent.is_symlink():
                continue
            status = path.lstat()
        except (ValueError, BakeryError, FileNotFoundError):
            continue
        if day.isoformat() != path.stem or not stat.S_ISREG(status.st_mode):
            continue
        changed_ns = max(status.st_mtime_ns, status.st_ctime_ns)
        found.append((changed_ns, path.relative_to(landing_dir).as_posix(), path.parent.name, day))
    return found
