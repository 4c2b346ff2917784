"""The replay runs in a child process of its own, a small deployment with its own environment:

- the partitions' first day comes from ``BAKERY_PARTITION_START`` when the package is imported,
  and a replay of 2022 needs partitions that start then;
- a replayed history must not page anyone: the operators' alert and event webhooks, RabbitMQ
  and any database URL of the caller are left out;
- Dagster's logs go to a file (``--log-file``); the report goes to stdout, progress to stderr.
"""

import json
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TextIO

from bakery_orchestration.core.errors import BakeryError

LEFT_OUT = (
    "BAKERY_DATABASE_URL",
    "BAKERY_ALERT_WEBHOOK_URL",
    "BAKERY_EVENTS_WEBHOOK_URL",
    "BAKERY_RABBITMQ_URL",
    "BAKERY_TENANTS_PER_RUN",
    "BAKERY_ENV",
    "BAKERY_STEP_PODS",
)
DEFAULT_SLUG = "replay"


def child_environment(base: Mapping[str, str], home: Path, start: date) -> dict[str, str]:
    env = {name: value for name, value in base.items() if name not in LEFT_OUT}
    env.update(
        BAKERY_HOME=str(home),
        DAGSTER_HOME=str(home / "dagster"),
        BAKERY_PARTITION_START=start.isoformat(),
    )
    return env


def spawn(args: dict, home: Path) -> int:
    """Run the replay described by ``args`` in a child process; its exit code."""
    env = child_environment(os.environ, home, date.fromisoformat(args["start"]))
    command = [sys.executable, "-m", "bakery_orchestration.replay", json.dumps(args)]
    return subprocess.run(command, env=env, check=False).returncode


def tenant_slug(name: str | None) -> str:
    """A registry slug for the file's tenant name (``replay`` when the file has none)."""
    if not name:
        return DEFAULT_SLUG
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:63]
    return slug or DEFAULT_SLUG


def _quiet(log_file: Path) -> tuple[TextIO, TextIO]:
    """Send everything written to fds 1 and 2 (Dagster's console logs, warnings) to
    ``log_file``; return streams on the original stdout and stderr."""
    out = os.fdopen(os.dup(1), "w")
    err = os.fdopen(os.dup(2), "w")
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    return out, err


def child_main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    log_file = Path(args["log_file"])
    out, err = _quiet(log_file)
    try:
        text = _replay(args, err)
    except BakeryError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except Exception as exc:  # the operator gets one line; the traceback is in the log
        traceback.print_exc()
        print(f"error: replay failed: {type(exc).__name__}: {exc} (see {log_file})", file=err)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    out.write(text + "\n")
    out.flush()
    print(f"Dagster's logs: {log_file}", file=err)
    return 0


def _replay(args: dict, err: TextIO) -> str:
    from bakery_orchestration.replay.inject import Injections, parse_injection
    from bakery_orchestration.replay.inputs import check_window, read_replay_sales
    from bakery_orchestration.replay.report import render_text
    from bakery_orchestration.replay.runner import ReplayPlan, run_replay

    start = date.fromisoformat(args["start"])
    sales = read_replay_sales(Path(args["file"]), args["tenant"])
    check_window(sales, start, args["days"])
    plan = ReplayPlan(
        file=args["file"],
        start=start,
        days=args["days"],
        tenant=tenant_slug(args["tenant"]),
        country=args["country"],
        injections=Injections(tuple(parse_injection(i) for i in args["inject"])),
    )
    report = run_replay(plan, sales, Path(os.environ["BAKERY_HOME"]), on_day=_progress(err))
    if args["json"]:
        return json.dumps(report.to_dict(), indent=2, default=str)
    return render_text(report)


def _progress(err: TextIO):
    def show(day) -> None:
        print(f"  {day.date} {day.status or '-'} ({day.seconds:.0f} s)", file=err, flush=True)

    return show
