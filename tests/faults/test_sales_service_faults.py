"""Faults of the Sales Service as ``daily_sales`` meets them: down, slow, 5xx, 429, garbage and
an oversized answer, from a real HTTP server on 127.0.0.1, on SQLite and PostgreSQL.

Each case asserts the outcome (one line naming tenant and date), the number of HTTP calls (one
retry layer: at most `ATTEMPTS` calls per step attempt, `STEP_ATTEMPTS` step attempts, no run
retry), the tenant-day's rows against the clean run's, and the other tenant's rows untouched.
"""

import shutil
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.resources import local_resources
from bakery_orchestration.sales.resources import HttpSalesSource, LocalFilesSalesSource
from tests.faults.conftest import partition_rows
from tests.helpers.http_server import Reply, ScriptedServer
from tests.integration.audit_world import DAY

# One worker builds the shared world once per dialect (the fixture is session-scoped).
pytestmark = pytest.mark.xdist_group("faults")

ROOT = Path(__file__).resolve().parents[2]
ATTEMPTS = 3
STEP_ATTEMPTS = 3  # the first and outage_step_retries=2
OUTAGE_CALLS = ATTEMPTS * STEP_ATTEMPTS


@dataclass(frozen=True)
class Case:
    name: str
    replies: tuple  # replies in order; the last one repeats
    succeeds: bool
    calls: int
    error: str | None = None


def day_body(world, tenant: str) -> dict:
    """The tenant's landed sales for the day, as the Sales Service would send them."""
    sales_day = DAY - timedelta(days=1)
    landing = LocalFilesSalesSource(landing_dir=str(world.home / "landing"))
    raw = landing.fetch_daily_sales(tenant, sales_day)
    assert raw.found and len(raw.rows) > 0
    items = [{"product": r.product, "quantity": r.quantity} for r in raw.rows.itertuples()]
    return {"tenant": tenant, "date": sales_day.isoformat(), "items": items}


UNAVAILABLE = (
    "sales service unavailable for tenant 'demo-bakery-1' date 2026-03-15 after 3 attempts"
)
GAVE_UP = f"gave up after {STEP_ATTEMPTS} step attempts"
CASES = [
    Case("sales service 5xx, then answers", ("503", "502", "ok"), True, 3),
    Case("sales service 429 with Retry-After", ("429", "ok"), True, 2),
    Case(
        "sales service 5xx outage",
        ("503",),
        False,
        OUTAGE_CALLS,
        f"{UNAVAILABLE}: last error: HTTP 503 Service Unavailable: down; {GAVE_UP}",
    ),
    Case(
        "sales service slow (timeouts)",
        ("slow",),
        False,
        OUTAGE_CALLS,
        f"{UNAVAILABLE}: last error: ReadTimeout: timed out; {GAVE_UP}",
    ),
    Case(
        "sales service sends garbage",
        ("garbage",),
        False,
        1,
        "sales service sent no JSON for tenant 'demo-bakery-1' date 2026-03-15 (HTTP 200, "
        "application/json)",
    ),
    Case(
        "sales service sends an oversized body",
        ("huge",),
        False,
        1,
        "sales service answer for tenant 'demo-bakery-1' date 2026-03-15 refused: response of "
        "5000000 bytes is larger than the 1048576 byte limit",
    ),
]


def _reply(kind: str, body: dict) -> Reply:
    return {
        "ok": Reply(200, body),
        "503": Reply(503, "down"),
        "502": Reply(502, "bad gateway"),
        "429": Reply(429, {"detail": "slow down"}, {"Retry-After": "1"}),
        "slow": Reply(200, body, delay_seconds=1.0),
        "garbage": Reply(200, b"<html>\x00\xff", {"Content-Type": "application/json"}),
        "huge": Reply(200, b"[" + b" " * 4_999_999),
    }[kind]


def _source(url: str) -> HttpSalesSource:
    return HttpSalesSource(
        base_url=url,
        timeout_seconds=0.2,
        max_attempts=ATTEMPTS,
        backoff_base_seconds=0.001,
        backoff_max_seconds=1.0,
        max_response_bytes=1024 * 1024,
        outage_step_retries=STEP_ATTEMPTS - 1,
        outage_retry_seconds=0,
    )


def _run_daily_sales(world, source, tenant: str) -> dg.ExecuteInProcessResult:
    defs = build_definitions({**local_resources(world.url), "sales_source": source})
    result = defs.resolve_job_def("daily_cycle_job").execute_in_process(
        partition_key=partition_key(tenant, DAY),
        instance=world.instance,
        asset_selection=[dg.AssetKey("daily_sales")],
        raise_on_error=False,
    )
    return result


def _step_error(result: dg.ExecuteInProcessResult) -> str | None:
    failures = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    if not failures:
        return None
    error = failures[-1].step_failure_data.user_failure_data
    if error is not None and error.description:
        return error.description
    return failures[-1].step_failure_data.error.message.strip().splitlines()[-1]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_sales_service_fault(world, record_fault, case):
    tenant, other = world.tenants
    body = day_body(world, tenant.slug)
    with ScriptedServer() as server:
        replies = [_reply(kind, body) for kind in case.replies]
        server.reply(*replies, *[replies[-1]] * 20)
        result = _run_daily_sales(world, _source(server.url), tenant.slug)
        calls = len(server.requests)
    after = partition_rows(world.engine, tenant.id, DAY)
    error = _step_error(result)
    outcome = f"run {'succeeded' if result.success else 'failed'} after {calls} HTTP calls" + (
        f": {error}" if error else ""
    )
    lost, duplicated = record_fault(case.name, outcome, world.clean_rows[tenant.slug], after)
    assert result.success is case.succeeds
    assert calls == case.calls
    assert error == case.error
    assert (lost, duplicated) == (0, 0)
    assert partition_rows(world.engine, other.id, DAY) == world.clean_rows[other.slug]


def test_sales_service_down(world, record_fault):
    tenant = world.tenants[0]
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _run_daily_sales(world, _source(f"http://127.0.0.1:{port}"), tenant.slug)
    error = _step_error(result)
    after = partition_rows(world.engine, tenant.id, DAY)
    outcome = f"run failed: {error}"
    lost, duplicated = record_fault(
        "sales service down", outcome, world.clean_rows[tenant.slug], after
    )
    assert not result.success
    assert error == (
        f"{UNAVAILABLE}: last error: ConnectError: [Errno 111] Connection refused; {GAVE_UP}"
    )
    assert (lost, duplicated) == (0, 0)


def test_run_retries_never_repeat_a_step_failure(tmp_path, record_fault):
    """The third layer: the local instance retries a run only when its worker died."""
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    on_step_failure = instance.run_retries_retry_on_asset_or_op_failure
    record_fault(
        "run retry after a step failure",
        f"run retries enabled ({instance.run_retries_max_retries}), on step failure: "
        f"{'yes' if on_step_failure else 'no'}",
        {},
        {},
    )
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
    assert on_step_failure is False
