"""``bakery-orch replay``: a generated bakery's history replayed in process on SQLite and
PostgreSQL with one fault of each kind, each leaving its trace where the product keeps it
(Dagster's event log, the quarantine, the loaded sales, the alerts); and the command itself on a
slice of the real French bakery file, in its child process, as JSON."""

import json
import math
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.schema import alerts, daily_sales, sales_quarantine
from bakery_orchestration.demo.generator import demo_bakeries, demo_sales
from bakery_orchestration.replay import observe
from bakery_orchestration.replay.inject import Injections, parse_injection
from bakery_orchestration.replay.inputs import read_replay_sales
from bakery_orchestration.replay.runner import ReplayPlan, run_replay

START = date(2025, 3, 2)  # a Sunday after the default first partition: the weekly retraining
# schedule ticks between the first two mornings, and the replay runs in process
# The morning of START misses the sales of START - 1; the rows landed on START + 1 (the sales of
# START) are garbled; from START + 1 on, 70 % fewer units sell (landed on START + 2).
MISSING, BAD, DROP = START, START + timedelta(days=1), START + timedelta(days=1)
LAST = START + timedelta(days=2)


@pytest.fixture
def sales_file(tmp_path):
    bakery = demo_bakeries(1)[0]
    sales = demo_sales(bakery, START - timedelta(days=120), START + timedelta(days=5))
    path = tmp_path / "sales.csv"
    sales.assign(date=sales["date"].dt.date).to_csv(path, index=False)
    return path


def file_units(path, day: date) -> float:
    sales = pd.read_csv(path)
    return float(sales.loc[sales["date"] == day.isoformat(), "quantity"].sum())


@pytest.fixture
def replayed(sales_file, tmp_path, empty_db_url):
    injections = Injections(
        tuple(
            parse_injection(text)
            for text in (f"missing-sales@{MISSING}", f"bad-rows@{BAD}", f"demand-drop@{DROP}")
        )
    )
    plan = ReplayPlan(str(sales_file), START, 3, "replay", "ES", injections)
    home = tmp_path / "home"
    report = run_replay(plan, read_replay_sales(sales_file), home, database_url=empty_db_url)
    engine = create_db_engine(empty_db_url)
    yield report, engine, home
    engine.dispose()


def loaded_units(engine, sales_date: date) -> float:
    query = sa.select(sa.func.sum(daily_sales.c.quantity)).where(
        daily_sales.c.sales_date == sales_date
    )
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def sales_found_flags(home, day: date) -> list[bool]:
    """``source_found`` of each ``daily_sales`` materialization of the day, oldest first."""
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey("daily_sales"),
                asset_partitions=[str(partition_key("replay", day))],
            ),
            limit=10,
            ascending=True,
        ).records
        return [
            r.event_log_entry.asset_materialization.metadata["source_found"].value for r in records
        ]


def test_each_injected_fault_leaves_its_trace(replayed, sales_file):
    report, engine, home = replayed
    days = {d.date: d for d in report.days}
    assert list(days) == [START, BAD, LAST]
    assert days[LAST].status == "completed"
    # nothing to score on either: no forecast before the first morning, none on the bad day
    assert days[START].wape is None and days[LAST].wape is None

    # missing sales: the cycle found no file; the late-sales path loaded it after the cycle
    missing = days[MISSING]
    assert [r.kind for r in missing.runs][-2:] == ["cycle", "late_sales_sensor"]
    assert missing.runs[-1].partition == str(partition_key("replay", MISSING))
    assert sales_found_flags(home, MISSING)[0] is False
    assert sales_found_flags(home, MISSING)[-1] is True
    assert missing.status == "degraded"
    assert missing.degraded == f"degraded: sales of {MISSING - timedelta(days=1)} missing"
    assert "daily_sales:sales_received" in {a.key for a in missing.alerts_opened}
    assert "daily_sales:sales_received" in {a.key for a in missing.alerts_resolved}
    assert loaded_units(engine, MISSING - timedelta(days=1)) == pytest.approx(
        file_units(sales_file, MISSING - timedelta(days=1))
    )

    # bad rows: a third of the rows quarantined, the blocking input check failed, an alert
    bad = days[BAD]
    rows = len(pd.read_csv(sales_file).query(f"date == '{BAD - timedelta(days=1)}'"))
    with engine.connect() as conn:
        reasons = (
            conn.execute(
                sa.select(sales_quarantine.c.reason).where(sales_quarantine.c.partition_date == BAD)
            )
            .scalars()
            .all()
        )
    assert len(reasons) == math.ceil(rows / 3)
    assert set(reasons) == {"non_numeric_quantity", "invalid_date"}  # unreadable dates
    failed = {(c.name, c.severity) for c in bad.checks_failed}
    assert ("daily_sales:sales_input_quality", "ERROR") in failed
    assert "daily_sales:sales_input_quality" in {a.key for a in bad.alerts_opened}
    assert bad.status != "completed" and bad.units_baked is None
    assert "daily_sales:sales_input_quality" in {a.key for a in days[LAST].alerts_resolved}

    # demand drop: from its day on, 70 % fewer units sold, and loaded the morning after
    assert days[DROP].units_sold == pytest.approx(0.3 * file_units(sales_file, DROP), abs=0.05)
    assert loaded_units(engine, DROP) == pytest.approx(days[DROP].units_sold, abs=0.05)

    # every alert the replay opened was opened on exactly one of its mornings
    with engine.connect() as conn:
        opened = conn.execute(sa.select(sa.func.count()).select_from(alerts)).scalar()
    assert report.to_dict()["alerts_opened_total"] == opened > 0


def test_replay_command_on_the_french_bakery(shared_data, tmp_path):
    french = pd.read_csv(shared_data / "french_bakery" / "daily_units.csv")
    top = french.groupby("product")["quantity"].sum().nlargest(8).index
    window = french["date"].between("2022-03-01", "2022-06-02") & french["product"].isin(top)
    path = tmp_path / "slice.csv"
    french[window].to_csv(path, index=False)
    command = [str(Path(sys.executable).parent / "bakery-orch"), "replay", str(path)]
    command += ["--start", "2022-06-01", "--days", "2", "--country", "FR", "--json"]
    command += ["--log-file", str(tmp_path / "replay.log")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert [d["date"] for d in result["days"]] == ["2022-06-01", "2022-06-02"]
    assert [d["status"] for d in result["days"]] == ["completed", "completed"]
    first, second = result["days"]
    assert first["wape"] is None and second["wape"] > 0
    assert first["units_sold"] == pytest.approx(file_units(path, date(2022, 6, 1)))
    assert first["units_baked"] > 0
    assert result["alerts_opened_total"] == sum(len(d["alerts_opened"]) for d in result["days"])
    assert "STEP_SUCCESS" in (tmp_path / "replay.log").read_text()
    assert "STEP_SUCCESS" not in done.stdout + done.stderr


@dg.asset
def flagged() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"degraded": True, "degraded_reason": "sales of 2025-03-02 missing"}
    )


@dg.asset
def plain() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"degraded": False})


def test_a_day_is_degraded_when_the_product_says_so():
    audit = SimpleNamespace(status="completed", error_message=None, run_metadata={})
    with dg.instance_for_test() as instance:
        marked = dg.materialize([flagged], instance=instance).run_id
        unmarked = dg.materialize([plain], instance=instance).run_id
        assert observe.degraded_reason(instance, marked, audit) == "sales of 2025-03-02 missing"
        assert observe.degraded_reason(instance, unmarked, audit) is None
        said = SimpleNamespace(
            status="partial_success",
            error_message="step insights failed; degraded: sales of 2025-03-02 missing",
            run_metadata={},
        )
        reason = observe.degraded_reason(instance, unmarked, said)
        assert reason == "degraded: sales of 2025-03-02 missing"
        listed = SimpleNamespace(status="degraded", error_message=None, run_metadata={})
        assert observe.degraded_reason(instance, unmarked, listed) == "degraded"
