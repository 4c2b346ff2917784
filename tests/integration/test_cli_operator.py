"""The operator's commands against real databases and a real HTTP server: a light start (no
Dagster, pandas or SQLAlchemy imported for `--help`), one-line usage errors with exit code 2,
`runs list`/`runs stats` over every tenant, `status`, and `backfill` speaking the webserver's
GraphQL contract to a server on 127.0.0.1."""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bakery_orchestration.cli.main import COMMANDS, cli
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.db.schema import alerts, orchestration_runs
from bakery_orchestration.tenants import registry
from tests.helpers.http_server import Reply, ScriptedServer

TODAY = date(2026, 3, 2)


def invoke(url: str, *args: str):
    return CliRunner().invoke(cli, ["--database-url", url, *args], catch_exceptions=False)


def test_main_module_imports_no_heavy_library():
    code = (
        "import sys, bakery_orchestration.cli.main; "
        "print(sorted(m for m in ('dagster', 'pandas', 'sklearn', 'sqlalchemy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_loads_under_its_name(name):
    command = cli.get_command(None, name)
    assert command is not None and command.name == name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "show"], "error: missing argument 'RUN_NUMBER' (see `cli runs show --help`)"),
        (["nope"], "error: no such command 'nope' (see `cli --help`)"),
        (["status", "--date", "monday"], "error: invalid value for '--date'"),
        (["backfill", "--tenant", "a"], "error: missing option '--from'"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1


@pytest.fixture
def two_tenants(empty_db_url):
    """bakery-a and bakery-b, each with audit rows; bakery-a has an open alert."""
    ensure_schema(empty_db_url)
    engine = create_db_engine(empty_db_url)
    a = registry.add_tenant(engine, "bakery-a", "A")
    b = registry.add_tenant(engine, "bakery-b", "B")
    registry.add_tenant(engine, "bakery-c", "C")
    now = datetime.now(UTC)
    rows = [
        (a.id, "ORCH-20260302-bakery-a-00000001", "failed", now - timedelta(hours=2), 40, 0),
        (a.id, "ORCH-20260302-bakery-a-00000002", "completed", now - timedelta(hours=1), 30, 12),
        (b.id, "ORCH-20260302-bakery-b-00000003", "partial_success", now, 20, 12),
        (b.id, "ORCH-20260301-bakery-b-00000004", "completed", now - timedelta(days=1), 10, 12),
    ]
    with engine.begin() as conn:
        for tenant_id, number, status, started, seconds, forecasts in rows:
            conn.execute(
                sa.insert(orchestration_runs).values(
                    tenant_id=tenant_id,
                    run_number=number,
                    status=status,
                    started_at=started,
                    duration_seconds=seconds,
                    forecasts_generated=forecasts,
                    error_message="daily_sales: ConnectError" if status == "failed" else None,
                )
            )
        conn.execute(
            sa.insert(alerts).values(
                tenant_id=a.id,
                severity="ERROR",
                alert_type="run_failed",
                dedup_key="2026-03-02",
                message="daily cycle failed\nsecond line",
            )
        )
    engine.dispose()
    return empty_db_url


def test_runs_list_without_tenant_covers_every_tenant(two_tenants):
    result = invoke(two_tenants, "runs", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["tenant", "run"]
    tenants_listed = [line.split()[0] for line in lines[1:] if line.startswith("bakery-")]
    assert tenants_listed == ["bakery-b", "bakery-a", "bakery-a", "bakery-b"]
    assert lines[-1] == "(4 runs)"
    one = invoke(two_tenants, "runs", "list", "bakery-b").output
    assert one.splitlines()[-1] == "(2 runs)"


def test_runs_stats_without_tenant_has_a_line_per_tenant(two_tenants):
    result = invoke(two_tenants, "runs", "stats")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[2:]}
    assert rows["bakery-a"][0] == "1" and rows["bakery-a"][-1] == "30.0"
    assert rows["bakery-b"][0] == "1" and rows["bakery-b"][1] == "n/a"


def test_unknown_tenant_is_a_one_line_error(two_tenants):
    result = CliRunner().invoke(cli, ["--database-url", two_tenants, "runs", "list", "nobody"])
    assert result.exit_code == 1
    assert result.output == "error: no tenant 'nobody': see `bakery-orch tenants list`\n"


def test_status_shows_each_tenant_day_and_open_alerts(two_tenants):
    result = invoke(two_tenants, "status", "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "daily cycle of 2026-03-02: 1 degraded, 1 not started, 1 done"
    assert lines[1].split() == ["bakery-a", "done"]
    assert lines[2].split() == ["bakery-b", "degraded"]
    assert lines[3].split() == ["bakery-c", "not", "started"]
    assert lines[4] == "open alerts: 1"
    assert lines[5].split()[:3] == ["ERROR", "bakery-a", "run_failed"]
    assert lines[5].endswith("(x1) daily cycle failed")


def first_day_reply(day: str) -> Reply:
    """The webserver's date keys of an asset from its first one (``startIdx: 0, endIdx: 1``)."""
    dimensions = [
        {"name": "date", "partitionKeys": [day]},
        {"name": "tenant", "partitionKeys": ["bakery-a", "bakery-b"]},
    ]
    node = {"__typename": "AssetNode", "partitionKeysByDimension": dimensions}
    return Reply(200, {"data": {"assetNodeOrError": node}})


def graphql_contract(targeted: int, statuses: list[str], list_assets: bool = True):
    """Replies of a webserver: the asset list, the window's first day, the launch, then one
    progress poll per status."""
    assets = {
        "assetNodes": [
            {"assetKey": {"path": ["daily_sales"]}, "partitionDefinition": _dims("tenant", "date")},
            {"assetKey": {"path": ["forecast_model"]}, "partitionDefinition": _dims("tenant")},
            {
                "assetKey": {"path": ["production_plan"]},
                "partitionDefinition": _dims("date", "tenant"),
            },
        ]
    }
    replies = [
        Reply(200, {"data": assets}),
        first_day_reply("2026-02-01"),
        Reply(
            200,
            {
                "data": {
                    "launchPartitionBackfill": {
                        "__typename": "LaunchBackfillSuccess",
                        "backfillId": "abc",
                    }
                }
            },
        ),
    ]
    for n, status in enumerate(statuses, start=1):
        done = min(targeted, n * targeted // len(statuses))
        counts = [
            {
                "assetKey": {"path": [name]},
                "numPartitionsTargeted": targeted // 2,
                "numPartitionsMaterialized": done // 2,
                "numPartitionsFailed": 0,
            }
            for name in ("daily_sales", "production_plan")
        ]
        backfill = {
            "__typename": "PartitionBackfill",
            "status": status,
            "assetBackfillData": {"assetBackfillStatuses": counts},
        }
        replies.append(Reply(200, {"data": {"partitionBackfillOrError": backfill}}))
    return replies if list_assets else replies[1:]


def _dims(*names: str) -> dict:
    return {"dimensionTypes": [{"name": name} for name in names]}


def test_backfill_launches_the_tenant_days_and_follows_them_to_the_end():
    with ScriptedServer() as server:
        server.reply(*graphql_contract(4, ["REQUESTED", "REQUESTED", "COMPLETED_SUCCESS"]))
        result = CliRunner().invoke(
            cli,
            [
                "backfill",
                "--tenant",
                "bakery-a",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--url",
                server.url,
                "--poll-seconds",
                "0.1",
            ],
        )
        first_day_query = server.requests[1].json()
        launch = server.requests[2].json()
    assert result.exit_code == 0, result.output
    assert first_day_query["variables"] == {"path": ["daily_sales"]}
    params = launch["variables"]["params"]
    assert params["partitionNames"] == ["2026-03-01|bakery-a", "2026-03-02|bakery-a"]
    assert params["assetSelection"] == [{"path": ["daily_sales"]}, {"path": ["production_plan"]}]
    assert "launchPartitionBackfill" in launch["query"]
    assert [r.route for r in server.requests] == ["/graphql"] * 6
    assert "backfill abc completed_success: 4/4 materialized, 0 failed" in result.output


def test_backfill_that_fails_exits_non_zero():
    with ScriptedServer() as server:
        server.reply(*graphql_contract(2, ["COMPLETED_FAILED"], list_assets=False))
        result = CliRunner().invoke(
            cli,
            [
                "backfill",
                "--tenant",
                "bakery-a",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-01",
                "--url",
                server.url,
                "--asset",
                "daily_sales",
                "--poll-seconds",
                "0.1",
            ],
        )
        assert server.requests[1].json()["variables"]["params"]["assetSelection"] == [
            {"path": ["daily_sales"]}
        ]
    assert result.exit_code == 1
    assert "completed_failed" in result.output


def test_backfill_of_days_that_left_the_partition_window_is_refused_before_launching():
    with ScriptedServer() as server:
        server.reply(first_day_reply("2026-03-02"))
        result = CliRunner().invoke(
            cli,
            [
                "backfill",
                "--tenant",
                "bakery-a",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-02",
                "--url",
                server.url,
                "--asset",
                "daily_sales",
            ],
        )
        sent = [r.json()["query"] for r in server.requests]
    assert result.exit_code == 1
    assert result.output.startswith(
        "error: 2026-03-01 is before the first date partition 2026-03-02"
    )
    assert result.output.count("\n") == 1
    assert len(sent) == 1 and "launchPartitionBackfill" not in sent[0]


def test_backfill_without_a_webserver_is_a_one_line_error():
    with ScriptedServer() as server:
        url = server.url
    result = CliRunner().invoke(
        cli,
        ["backfill", "--tenant", "a", "--from", "2026-03-01", "--to", "2026-03-01", "--url", url],
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"error: cannot reach the Dagster webserver at {url}")
    assert result.output.count("\n") == 1
