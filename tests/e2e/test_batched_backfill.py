"""End to end: a backfill of 10 tenants x 3 days launched through the real webserver's GraphQL
API (what the UI and `bakery-orch backfill` send) runs as tenant batches, per the daily assets'
``BackfillPolicy.multi_run``, through the real daemon and queue:

- fewer runs than tenant-days (Dagster groups the 30 tenant-days by day, 10 tenants a run);
- the queue's one-run-per-backfill limit holds: no two of its runs overlapped in time, so no
  tenant was worked on by two runs at once;
- every tenant-day has its own audit row and its own materialization.
"""

import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from bakery_orchestration.audit.policy import run_number
from bakery_orchestration.cli.backfill import Webserver, follow, launch, tenant_day_assets
from tests.helpers.served_demo import demo_env, run_demo, served

TENANTS = 10
DAY = date(2026, 3, 4)
DAYS = [DAY - timedelta(days=offset) for offset in (2, 1, 0)]
TIMEOUT_SECONDS = 900

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("batched_backfill")]


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory) -> Iterator[dict]:
    """Ten demo bakeries (three mornings each, run in process), then the real daemon and
    webserver on that instance."""
    home = tmp_path_factory.mktemp("batched")
    env = demo_env(home, BAKERY_BACKFILL_PARTITIONS_PER_RUN="20")
    run_demo(env, tenants=TENANTS, days=3, day=DAY.isoformat())
    with served(env, home) as url:
        yield {"url": url, "env": env, "home": home}


def _tenants(home: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{home / 'orchestration.db'}")
    with engine.connect() as conn:
        slugs = conn.execute(sa.text("SELECT slug FROM tenants ORDER BY slug")).scalars().all()
    engine.dispose()
    return list(slugs)


def _audit_rows(home: Path, run_ids: list[str], tenant_days: list[tuple[str, date]]) -> dict:
    """{(tenant, day): status} of the audit rows the runs wrote for those tenant-days."""
    numbers = {
        run_number(day, tenant, run_id): (tenant, day.isoformat())
        for run_id in run_ids
        for tenant, day in tenant_days
    }
    engine = sa.create_engine(f"sqlite:///{home / 'orchestration.db'}")
    query = sa.text(
        "SELECT run_number, status FROM orchestration_runs WHERE run_number IN :numbers"
    ).bindparams(sa.bindparam("numbers", expanding=True))
    with engine.connect() as conn:
        rows = conn.execute(query, {"numbers": list(numbers)}).all()
    engine.dispose()
    return {numbers[number]: status for number, status in rows}


def test_ten_tenants_three_days_run_as_batches_one_at_a_time(served_demo):
    tenants = _tenants(served_demo["home"])
    assert len(tenants) == TENANTS
    partitions = [f"{day.isoformat()}|{tenant}" for day in DAYS for tenant in tenants]
    server = Webserver(served_demo["url"])
    backfill_id = launch(server, tenant_day_assets(server), partitions)
    status, _targeted, _done, failed = follow(server, backfill_id, 3.0, TIMEOUT_SECONDS)
    assert status in ("COMPLETED", "COMPLETED_SUCCESS") and failed == 0, (status, failed)

    instance = dg.DagsterInstance.from_config(served_demo["env"]["DAGSTER_HOME"])
    try:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        records = {
            r.dagster_run.run_id: r
            for r in instance.get_run_records(dg.RunsFilter(run_ids=[r.run_id for r in runs]))
        }
        materialized = {
            key: instance.get_materialized_partitions(dg.AssetKey(key))
            for key in ("daily_sales", "demand_forecast", "daily_summary")
        }
    finally:
        instance.dispose()

    assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs), runs
    # Batched: fewer runs than the 30 tenant-days, each a partition range.
    assert 1 < len(runs) < len(partitions)
    assert all("dagster/asset_partition_range_start" in run.tags for run in runs)
    # One run of the backfill at a time (dagster.yaml's dagster/backfill limit).
    spans = sorted((records[r.run_id].start_time, records[r.run_id].end_time) for r in runs)
    assert all(
        end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:], strict=False)
    ), spans
    # Every tenant-day materialized, and audited on its own row.
    for key, done in materialized.items():
        assert set(partitions) <= {str(p) for p in done}, key
    tenant_days = [(tenant, day) for day in DAYS for tenant in tenants]
    deadline = time.monotonic() + 120
    while True:
        audited = _audit_rows(served_demo["home"], [r.run_id for r in runs], tenant_days)
        final = {k for k, status in audited.items() if status in ("completed", "partial_success")}
        if len(final) == len(tenant_days) or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert sorted(audited) == sorted((tenant, day.isoformat()) for tenant, day in tenant_days)
    assert set(audited.values()) <= {"completed", "partial_success"}, audited
