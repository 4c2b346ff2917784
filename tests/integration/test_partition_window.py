"""The rolling partition window for real (SQLite): the definitions load in a process of their own
with ``BAKERY_PARTITION_DAYS_KEPT``, as a code server or run worker does. Morning D - 1 runs while
it is the first day of the window; the window then moves forward one day (a later load), and
morning D, now the first day, still validates the forecast made on D - 1 (read from the
orchestration database: its ``previous_day`` partition no longer exists), while D - 1 can no
longer run as a partition."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bakery_orchestration.core.partitions import madrid_today
from tests.integration.audit_world import DAY

ROOT = Path(__file__).resolve().parents[2]

MORNING = """
import json, sys
import dagster as dg
import sqlalchemy as sa
from datetime import date
from bakery_orchestration.core.partitions import date_partitions, tenant_day_partitions
from bakery_orchestration.db.schema import validation_runs
from tests.integration.audit_world import build_world

url, home, day = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
instance = dg.DagsterInstance.from_config(home)
world = build_world(url, instance)
slug = world.tenants[0].slug
out = {"start": date_partitions.start.date().isoformat()}
out["date_keys"] = len(date_partitions.get_partition_keys())
try:
    out["success"] = world.run(slug, day).success
except Exception as error:
    out["error"] = f"{type(error).__name__}: {error}"
with world.engine.connect() as conn:
    rows = conn.execute(sa.select(validation_runs.c.partition_date, validation_runs.c.scored_lines))
    out["validations"] = {d.isoformat(): n for d, n in rows}
print("RESULT " + json.dumps(out))
"""


def morning(tmp_path: Path, days_kept: int, day) -> dict:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "BAKERY_HOME": str(tmp_path / "bakery_home"),
        "BAKERY_PARTITION_DAYS_KEPT": str(days_kept),
        "PYTHONWARNINGS": "ignore",
    }
    url = f"sqlite:///{tmp_path / 'orchestration.db'}"
    command = [sys.executable, "-c", MORNING, url, str(home), day.isoformat()]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT ") :])


def test_the_first_day_of_a_window_that_moved_still_validates_yesterday(tmp_path):
    kept = (madrid_today() - DAY).days  # the window whose first day is DAY
    before = morning(tmp_path, kept + 1, DAY - timedelta(days=1))
    assert before["start"] == (DAY - timedelta(days=1)).isoformat()
    assert before["date_keys"] == kept + 2  # the days kept, plus today
    assert before["success"] is True

    after = morning(tmp_path, kept, DAY)
    assert after["start"] == DAY.isoformat()
    assert after["success"] is True
    # D validated the forecast D - 1 made for D - 1 (from the orchestration database); D - 1
    # had no forecast before it to score.
    assert after["validations"][DAY.isoformat()] > 0
    assert after["validations"][(DAY - timedelta(days=1)).isoformat()] == 0

    gone = morning(tmp_path, kept, DAY - timedelta(days=1))
    assert "success" not in gone
    assert gone["error"].startswith("DagsterUnknownPartitionError: Could not find a partition")
    assert (DAY - timedelta(days=1)).isoformat() in gone["error"]
