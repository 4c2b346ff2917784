"""Dagster's event log of the demo's runs, as readable lines in a file: the demo keeps the
terminal for its progress bar and report, and an operator who wants every step and message
reads this file (or the run's page in the UI)."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg


def event_line(entry: dg.EventLogEntry) -> str:
    """``time level run step event: message`` for one event log entry."""
    at = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
    level = logging.getLevelName(entry.level) if isinstance(entry.level, int) else entry.level
    event = entry.dagster_event.event_type_value if entry.dagster_event else "LOG"
    message = " ".join((entry.message or "").split())
    return f"{at} {level:<7} {entry.run_id[:8]} {entry.step_key or '-'} {event}: {message}"


def append_event_log(instance: dg.DagsterInstance, run_id: str, path: Path) -> int:
    """Append the run's events to ``path``; the number of lines written."""
    lines = [event_line(entry) for entry in instance.all_logs(run_id)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
    return len(lines)
