"""End to end: the real ``dagster-daemon`` picks up a corrected sales file for a past day through
``late_sales_sensor``, re-runs that tenant-day only, and the day's validation is rescored.

Setup runs ``bakery-orch demo`` for one bakery on a fixed past date D (history, a model, the
cycles of D-1 and D), then rewrites the landed sales of D-1 (doubling every quantity) before the
daemon starts, and the landed sales of D-2 too. The sensor's first tick sees both files changed
after their partitions (D-1 and D) loaded them, so it requests one run over the range D-1 .. D of
that tenant (late days batch like backfills): their sales, validation and insights, each day
rescored.
"""

import os
import subprocess
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
import sqlalchemy as sa

from tests.helpers.daemon import BIN, PROJECT, running_daemon

DAY = "2026-11-20"
SALES_DAY = "2026-11-19"
EARLIER_SALES_DAY = "2026-11-18"
EARLIER_DAY = "2026-11-19"  # the partition that loads EARLIER_SALES_DAY
TENANT = "demo-bakery-1"
TIMEOUT_SECONDS = 420


def _env(home: Path) -> dict:
    madrid_hour = datetime.now(ZoneInfo("Europe/Madrid")).hour
    return {
        **os.environ,
        "BAKERY_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster_home"),
        # keep the daily schedule from starting today's cycle during the test
        "BAKERY_DAILY_CYCLE_HOUR": str((madrid_hour + 12) % 24),
    }


def _validation(home: Path) -> tuple[float, float]:
    engine = sa.create_engine(f"sqlite:///{home / 'orchestration.db'}")
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT v.mape, v.forecast_lines FROM validation_runs v JOIN tenants t "
                "ON t.id = v.tenant_id WHERE t.slug = :slug AND v.partition_date = :day"
            ),
            {"slug": TENANT, "day": DAY},
        ).one()
    engine.dispose()
    return row[0], row[1]


def _units_sold(home: Path, sales_day: str) -> float:
    engine = sa.create_engine(f"sqlite:///{home / 'orchestration.db'}")
    with engine.connect() as conn:
        total = conn.execute(
            sa.text(
                "SELECT SUM(s.quantity) FROM daily_sales s JOIN tenants t ON t.id = s.tenant_id "
                "WHERE t.slug = :slug AND s.sales_date = :day"
            ),
            {"slug": TENANT, "day": sales_day},
        ).scalar_one()
    engine.dispose()
    return float(total or 0)


def _double_quantities(path: Path) -> None:
    lines = path.read_text().splitlines()
    doubled = [lines[0]]
    for line in lines[1:]:
        day, product, quantity = line.split(",")
        doubled.append(f"{day},{product},{float(quantity) * 2 + 1:g}")
    path.write_text("\n".join(doubled) + "\n")


@pytest.mark.slow
def test_late_sales_file_is_backfilled_by_the_daemon(tmp_path):
    env = _env(tmp_path)
    Path(env["DAGSTER_HOME"]).mkdir()
    (Path(env["DAGSTER_HOME"]) / "dagster.yaml").write_text((PROJECT / "dagster.yaml").read_text())
    demo = subprocess.run(
        [str(BIN / "bakery-orch"), "demo", "--tenants", "1", "--days", "2", "--date", DAY],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # The demo exits 1 when a check failed (its report says which); this test needs its runs.
    assert demo.stdout.startswith("Daily cycle of 1 bakeries for 2 days"), demo.stderr[-2000:]
    before, _ = _validation(tmp_path)
    earlier_before = _units_sold(tmp_path, EARLIER_SALES_DAY)
    _double_quantities(tmp_path / "landing" / TENANT / f"{SALES_DAY}.csv")
    _double_quantities(tmp_path / "landing" / TENANT / f"{EARLIER_SALES_DAY}.csv")

    with running_daemon(env, tmp_path / "daemon.log") as daemon:
        runs = _wait_for_late_runs(Path(env["DAGSTER_HOME"]), daemon)
    (run,) = runs
    assert run.status == dg.DagsterRunStatus.SUCCESS, run
    assert "dagster/partition" not in run.tags
    assert run.tags["dagster/asset_partition_range_start"] == f"{EARLIER_DAY}|{TENANT}"
    assert run.tags["dagster/asset_partition_range_end"] == f"{DAY}|{TENANT}"
    assert run.tags["bakery/triggered_by"] == "sensor:late_sales_sensor"
    assert run.asset_selection == {
        dg.AssetKey(k) for k in ("daily_sales", "forecast_validation", "insights")
    }
    after, lines = _validation(tmp_path)
    assert lines > 0 and after != before
    # D-1 has no forecast of D-2 to score (the demo starts at D-1); its sales were reloaded.
    assert _units_sold(tmp_path, EARLIER_SALES_DAY) > 2 * earlier_before > 0


LATE = dg.RunsFilter(tags={"bakery/triggered_by": "sensor:late_sales_sensor"})


def _wait_for_late_runs(dagster_home: Path, daemon: subprocess.Popen) -> list:
    """The late-sales runs once one has finished (and a sensor interval more, to see that no
    second one follows)."""
    instance = dg.DagsterInstance.from_config(str(dagster_home))
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            assert daemon.poll() is None, "dagster-daemon exited"
            runs = instance.get_runs(filters=LATE)
            if runs and all(r.is_finished for r in runs):
                time.sleep(65)
                return instance.get_runs(filters=LATE)
            time.sleep(3)
    finally:
        instance.dispose()
    pytest.fail(f"no finished late-sales run within {TIMEOUT_SECONDS}s")
