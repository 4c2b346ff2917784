"""The demo's report and verdicts: `ok` only when every check passed, `warn`/`failed` with the
check's description otherwise; every day it ran appears; the UI commands carry the environment
the code location needs; and one real `bakery-orch demo` run (1 tenant, 2 days) stays within 40
terminal lines, writes Dagster's event log to the file it names, and exits by its verdicts."""

import shlex
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from bakery_orchestration.cli.main import cli
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.demo.report import render_report, ui_hints
from bakery_orchestration.demo.run import CheckFailure, DemoRun
from bakery_orchestration.tenants import registry

WARN = CheckFailure("validation_coverage", "WARN", "coverage 70% below 80%")
ERROR = CheckFailure("forecast_accuracy", "ERROR", "MAPE 40% above 30%")


@pytest.mark.parametrize(
    ("success", "failed", "verdict"),
    [
        (True, (), "ok"),
        (True, (WARN,), "warn"),
        (True, (WARN, ERROR), "failed"),
        (False, (), "failed"),
    ],
)
def test_verdict_follows_the_checks(success, failed, verdict):
    run = DemoRun("a", date(2026, 3, 2), success, "run", checks_failed=failed)
    assert run.verdict == verdict


def test_report_covers_every_day_and_names_what_did_not_pass(tmp_path):
    url = f"sqlite:///{tmp_path / 'o.db'}"
    ensure_schema(url)
    engine = create_db_engine(url)
    registry.add_tenant(engine, "bakery-a", "A", closed_weekdays=(0,))
    engine.dispose()
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]  # Sun, Mon (closed), Tue
    runs = [
        DemoRun("bakery-a", days[0], True, "r1", checks_failed=(WARN,)),
        DemoRun("bakery-a", days[1], True, "r2", closed=True),
        DemoRun("bakery-a", days[2], True, "r3", checks_failed=(ERROR,)),
    ]
    lines = render_report(url, runs, tmp_path / "events.log", ["hint"])
    assert lines[0] == (
        "Daily cycle of 1 bakeries for 3 days, 2026-03-01 .. 2026-03-03: 1 ok, 1 warn, 1 failed"
    )
    assert lines[1] == f"Dagster's event log: {tmp_path / 'events.log'}"
    assert lines[4].split() == ["bakery-a", "wcF"]
    assert "  2026-03-01 bakery-a         WARN validation_coverage: coverage 70% below 80%" in lines
    assert "  2026-03-03 bakery-a         ERROR forecast_accuracy: MAPE 40% above 30%" in lines
    assert any(line.startswith('"summary skipped"') for line in lines)
    assert any(line.startswith('"0 units (closed)"') for line in lines)
    assert lines[-1] == "hint"


def test_ui_hints_are_commands_from_the_repository_root():
    hints = ui_hints(Path("/repo dir"), {"DAGSTER_HOME": "/h/d", "BAKERY_PARTITION_START": "x"})
    dev = shlex.split(hints[1])
    assert dev[:3] == ["cd", "/repo dir", "&&"]
    assert dev[3:] == ["DAGSTER_HOME=/h/d", "BAKERY_PARTITION_START=x", ".venv/bin/dagster", "dev"]
    assert shlex.split(hints[3])[-4:] == [
        ".venv/bin/dagster-webserver",
        "-w",
        "workspace.yaml",
        "--read-only",
    ]


def test_demo_is_quiet_and_logs_dagster_events_to_a_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("BAKERY_PARTITION_START", "2025-01-01")  # restored after the demo sets it
    url = f"sqlite:///{tmp_path / 'orchestration.db'}"
    result = CliRunner().invoke(
        cli,
        ["--database-url", url, "demo", "--date", "2026-03-03", "--tenants", "1", "--days", "2"],
    )
    lines = result.stdout.splitlines()
    bar = result.stderr.count("\n")
    assert len(lines) + bar <= 40, result.output
    assert lines[0].startswith("Daily cycle of 1 bakeries for 2 days, 2026-03-02 .. 2026-03-03")
    log = Path(lines[1].removeprefix("Dagster's event log: "))
    events = log.read_text().splitlines()
    assert sum("PIPELINE_SUCCESS" in e or "PIPELINE_FAILURE" in e for e in events) == 2
    assert any(" STEP_START: " in e for e in events)
    assert not any("STEP_START" in line for line in lines)
    verdicts = lines[4].split()[1]
    assert len(verdicts) == 2
    assert result.exit_code == (1 if "F" in verdicts else 0), result.output
    assert "BAKERY_PARTITION_START=2026-02-23" in result.output
    assert f"BAKERY_DATABASE_URL={url}" in result.output
