"""End to end, as an operator in a browser: the real ``dagster-webserver`` and ``dagster-daemon``
on a demo instance (one bakery, three mornings) on 127.0.0.1, driven through Debian's headless
``chromium`` with Playwright. The operator finds the daily assets in the job's asset graph, reads
a validation figure of one tenant-day from forecast_validation's partitions (equal to the stored
one), reads the day's production plan table, opens a check result, launches a backfill of one
tenant x two days from the launch dialog, waits for the backfill to succeed, and reads the audit
rows it produced with ``bakery-orch runs list``. Then ``bakery-orch backfill`` launches another
two days through the same webserver and daemon; its runs must succeed and be audited.
Screenshots are saved in the test's tmp folder. Every wait is on a condition, never a fixed
sleep.
"""

import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.helpers.daemon import BIN, PROJECT
from tests.helpers.served_demo import demo_env, run_demo, served

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TENANT = "demo-bakery-1"
DAY, BACKFILL_DAYS = "2026-03-04", ("2026-03-03", "2026-03-04")
UI_TIMEOUT_MS = 120_000
BACKFILL_TIMEOUT_SECONDS = 600

# One worker runs the journey in order on one instance.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("operator_journey")]


def _require_browser():
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed (scripts/setup installs it with apt-get)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright for Python is not installed (pip install -e '.[dev]')"
    if missing and os.environ.get("CI", "").lower() == "true":
        pytest.fail(missing + " (CI=true: the browser test must run)")
    if missing:
        pytest.skip(missing)


@pytest.fixture(scope="module")
def ui(tmp_path_factory) -> Iterator[dict]:
    """A demo instance served by dagster-webserver (and dagster-daemon) on 127.0.0.1."""
    _require_browser()
    home = tmp_path_factory.mktemp("operator")
    env = demo_env(home, BAKERY_PARTITION_START="2026-02-20")
    run_demo(env, tenants=1, days=3, day=DAY)
    with served(env, home) as url:
        yield {"url": url, "env": env, "home": home}


@pytest.fixture(scope="module")
def page(ui):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(UI_TIMEOUT_MS)
        yield context.new_page()
        browser.close()


def _shot(page, ui, name: str) -> None:
    page.screenshot(path=str(ui["home"] / f"{name}.png"), full_page=True)


def _stored(ui, sql: str) -> list[sa.Row]:
    """Rows of ``sql`` about TENANT's DAY in the demo's orchestration database."""
    engine = sa.create_engine(f"sqlite:///{ui['home'] / 'orchestration.db'}")
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), {"slug": TENANT, "day": DAY}).all()
    finally:
        engine.dispose()


def _stored_wape(ui) -> float:
    (row,) = _stored(
        ui,
        "SELECT v.wape FROM validation_runs v JOIN tenants t ON t.id = v.tenant_id "
        "WHERE t.slug = :slug AND v.partition_date = :day",
    )
    return row.wape


def _stored_plan(ui) -> list[sa.Row]:
    """The day's plan, products to bake first by quantity (the order of the UI's table)."""
    return _stored(
        ui,
        "SELECT p.product_id, p.quantity, p.batches FROM production_plans p "
        "JOIN tenants t ON t.id = p.tenant_id "
        "WHERE t.slug = :slug AND p.partition_date = :day AND p.quantity > 0 "
        "ORDER BY p.quantity DESC, p.product_id",
    )


DAILY_ASSETS = {
    "sales": ["daily_sales"],
    "forecasting": ["demand_forecast"],
    "planning": ["production_plan", "procurement_needs"],
    "reporting": ["daily_summary"],
}


def test_1_asset_graph_shows_the_daily_assets(page, ui):
    for group, assets in DAILY_ASSETS.items():
        page.goto(f"{ui['url']}/locations/bakery_orchestration/asset-groups/{group}")
        for asset in assets:
            page.get_by_text(asset, exact=True).first.wait_for()
        _shot(page, ui, f"1-asset-graph-{group}")
    assert "Join the Dagster community" not in page.inner_text("body")


def test_2_a_validation_figure_of_one_tenant_day(page, ui):
    key = f"{DAY}%7C{TENANT}"
    page.goto(f"{ui['url']}/assets/forecast_validation?view=partitions&partition={key}")
    page.get_by_text("Latest materialization").first.wait_for()
    page.get_by_text("wape", exact=True).first.wait_for()
    text = page.inner_text("body")
    shown = float(re.search(r"\nwape\s+(-?[\d.]+)", text)[1])
    _shot(page, ui, "2-forecast-validation-partition")
    assert shown == pytest.approx(_stored_wape(ui), abs=0.05)


PLAN_HEADERS = ("product", "P50 demand (units)", "to bake (units)", "batches")


def test_3_the_production_plan_table_of_one_tenant_day(page, ui):
    key = f"{DAY}%7C{TENANT}"
    page.goto(f"{ui['url']}/assets/production_plan?view=partitions&partition={key}")
    page.get_by_text("Latest materialization").first.wait_for()
    page.get_by_role("columnheader", name="P50 demand (units)", exact=True).wait_for()
    _shot(page, ui, "3-production-plan-partition")
    text = page.inner_text("body")
    assert all(header in text for header in PLAN_HEADERS)
    plan = _stored_plan(ui)
    assert plan, "the demo planned nothing to bake"
    for row in plan:  # product, P50 demand, quantity, batches: one line of the Markdown table
        line = re.search(rf"\n{re.escape(row.product_id)}\t[\d,.]+\t(\d+)\t(\d+)\t", text)
        assert line, f"{row.product_id} is not in the plan table"
        assert (int(line[1]), int(line[2])) == (row.quantity, row.batches)


def test_4_a_check_result(page, ui):
    page.goto(f"{ui['url']}/assets/forecast_validation?view=checks")
    # The check list and the selected check's result load separately: wait for each.
    for check in ("forecast_accuracy", "validation_coverage"):
        page.get_by_text(check, exact=True).first.wait_for()
    page.get_by_text("Evaluation result").first.wait_for()
    # The latest execution may be a run the daemon started since; the history has the demo's.
    page.get_by_text("Execution history", exact=True).first.click()
    page.get_by_text(f"{DAY}|{TENANT}").first.wait_for()
    _shot(page, ui, "4-check-history")
    history = page.inner_text("body")
    assert "Succeeded" in history or "Failed" in history


def test_5_backfill_one_tenant_two_days_from_the_ui(page, ui):
    # From the asset lineage, not the job's page: a job backfill of tenant x day partitions
    # runs only the first tenant-day of each batch (dagster-io/dagster#28861; docs/OPERATIONS.md).
    page.goto(f"{ui['url']}/asset-groups")
    page.get_by_text(re.compile(r"^Materialize all")).first.wait_for()
    page.get_by_label("Search and filter assets").focus()
    page.keyboard.type("not key:forecast_model")  # the daily assets (the model is per tenant)
    page.keyboard.press("Enter")
    page.get_by_text("Materialize all (8)").click()
    confirm = page.get_by_role("button", name="Confirm")
    launch = page.get_by_role("button", name="Launch backfill")
    confirm.or_(launch).first.wait_for()
    if confirm.is_visible():  # "upstream forecast_model not materialized" for a fresh tenant
        confirm.click()
    dialog = page.get_by_role("dialog")
    dates = dialog.get_by_placeholder(re.compile("^ex: "))
    dates.fill(f"[{BACKFILL_DAYS[0]}...{BACKFILL_DAYS[1]}]")
    dates.press("Enter")
    dialog.get_by_text("Select a partition or create one").click()
    page.get_by_text(TENANT, exact=True).filter(visible=True).last.click()
    dialog.get_by_text("2 partitions").wait_for()
    _shot(page, ui, "5-launch-dialog")
    before = {b["id"] for b in _backfills(ui["url"])}
    launch.click()
    backfill_id = _wait_for_backfill(ui["url"], before)
    page.goto(f"{ui['url']}/runs/b/{backfill_id}?tab=partitions")
    page.get_by_text(backfill_id).first.wait_for()
    page.get_by_text(re.compile(r"^(Completed|Success|Succeeded)$")).first.wait_for()
    _shot(page, ui, "5-backfill-completed")

    rows = _wait_for_audit_rows(ui)
    assert {row[1][: len("ORCH-20260303")] for row in rows} >= {"ORCH-20260303", "ORCH-20260304"}
    assert all(row[0] == TENANT for row in rows)


CLI_BACKFILL_DAYS = ("2026-03-02", "2026-03-03")  # DAY is the day after


def test_6_backfill_from_the_command_line(ui):
    """``bakery-orch backfill`` through the real webserver and daemon: it follows the backfill
    to its end and exits 0; every run of the backfill succeeded and has its audit row."""
    first, last = CLI_BACKFILL_DAYS
    command = ["backfill", "--tenant", TENANT, "--from", first, "--to", last]
    launched = _bakery_orch(ui, *command, "--url", ui["url"], "--poll-seconds", "1")
    assert launched.returncode == 0, launched.stdout + launched.stderr[-2000:]
    done = re.search(
        r"backfill (\S+) completed\S*: (\d+)/(\d+) materialized, 0 failed", launched.stdout
    )
    assert done, launched.stdout
    assert int(done[2]) == int(done[3]) > 0
    runs = _backfill_runs(ui["url"], done[1])
    assert {run["status"] for run in runs} == {"SUCCESS"}
    days = {day for run in runs for day, _ in _tenant_days(run)}
    # Dagster extends an asset backfill to the partitions downstream of those asked for:
    # forecast_validation of the day after --to scores --to's forecast, so it runs again too.
    assert set(CLI_BACKFILL_DAYS) <= days <= {*CLI_BACKFILL_DAYS, DAY}
    audited = _wait_for_audit_rows_of(ui, runs)
    assert {row[1] for row in audited} == set().union(*(_run_numbers(run) for run in runs))
    assert all(row[0] == TENANT and row[3] == "backfill" for row in audited)


def _bakery_orch(ui, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "bakery-orch"), *args],
        env=ui["env"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=check,
        timeout=BACKFILL_TIMEOUT_SECONDS,
    )


RUNS_QUERY = """query Runs($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) {
  ... on Runs { results { runId status tags { key value } } } } }"""


def _backfill_runs(url: str, backfill_id: str) -> list[dict]:
    """The runs the backfill launched, their tags as a dict."""
    tags = [{"key": "dagster/backfill", "value": backfill_id}]
    query = {"query": RUNS_QUERY, "variables": {"tags": tags}}
    body = httpx.post(f"{url}/graphql", json=query, timeout=30).json()
    runs = body["data"]["runsOrError"]["results"]
    assert runs, f"backfill {backfill_id} launched no run"
    return [{**run, "tags": {t["key"]: t["value"] for t in run["tags"]}} for run in runs]


def _tenant_days(run: dict) -> list[tuple[str, str]]:
    """(day, tenant) of each tenant-day a run covers: one partition, or a range of one tenant's
    days (the daily assets' BackfillPolicy batches a backfill's tenant-days)."""
    tags = run["tags"]
    if "dagster/partition" in tags:
        day, tenant = tags["dagster/partition"].split("|")
        return [(day, tenant)]
    first, tenant = tags["dagster/asset_partition_range_start"].split("|")
    last, last_tenant = tags["dagster/asset_partition_range_end"].split("|")
    assert tenant == last_tenant, tags  # one tenant: a range over its days
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [
        ((start + timedelta(days=i)).isoformat(), tenant) for i in range((end - start).days + 1)
    ]


def _run_numbers(run: dict) -> set[str]:
    """The audit rows' numbers of a run, one per tenant-day (audit.policy.run_number)."""
    suffix = run["runId"].replace("-", "")[:8]
    return {f"ORCH-{day.replace('-', '')}-{tenant}-{suffix}" for day, tenant in _tenant_days(run)}


def _wait_for_audit_rows_of(ui, runs: list[dict]) -> list[list[str]]:
    """The ``bakery-orch runs list TENANT`` rows of these runs once all are final."""
    wanted = set().union(*(_run_numbers(run) for run in runs))
    deadline = time.monotonic() + 180
    rows: list[list[str]] = []
    while time.monotonic() < deadline:
        listed = _bakery_orch(ui, "runs", "list", TENANT, "--days", "3650", check=True)
        rows = [line.split() for line in listed.stdout.splitlines()]
        rows = [row for row in rows if len(row) > 3 and row[1] in wanted]
        if {row[1] for row in rows} == wanted and all(row[2] in AUDITED for row in rows):
            return rows
        time.sleep(2)
    pytest.fail(f"the audit rows of {sorted(wanted)} are not final within 180 s: {rows}")


AUDITED = ("completed", "partial_success")


def _wait_for_audit_rows(ui) -> list[list[str]]:
    """The backfill rows of ``bakery-orch runs list TENANT`` once both days' rows are final
    (the audit sensor closes a row shortly after its run ended)."""
    deadline = time.monotonic() + 180
    rows: list[list[str]] = []
    while time.monotonic() < deadline:
        listed = subprocess.run(
            [str(BIN / "bakery-orch"), "runs", "list", TENANT, "--days", "3650"],
            env=ui["env"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        rows = [line.split() for line in listed if " backfill " in line]
        final = {row[1][: len("ORCH-20260303")] for row in rows if row[2] in AUDITED}
        if {"ORCH-20260303", "ORCH-20260304"} <= final and all(r[2] in AUDITED for r in rows):
            return rows
        time.sleep(2)
    pytest.fail(f"the backfill's audit rows are not final within 180 s: {rows}")


BACKFILLS_QUERY = """{ partitionBackfillsOrError { ... on PartitionBackfills {
  results { id status partitionNames } } } }"""
OURS = sorted(f"{day}|{TENANT}" for day in BACKFILL_DAYS)


def _backfills(url: str) -> list[dict]:
    body = httpx.post(f"{url}/graphql", json={"query": BACKFILLS_QUERY}, timeout=30).json()
    return body["data"]["partitionBackfillsOrError"]["results"]


def _wait_for_backfill(url: str, before: set[str]) -> str:
    """The id of the backfill launched from the UI (new, of our two tenant-days) once it
    succeeded; fails if it ends otherwise or times out."""
    deadline = time.monotonic() + BACKFILL_TIMEOUT_SECONDS
    ours = None
    while time.monotonic() < deadline:
        new = [b for b in _backfills(url) if b["id"] not in before]
        ours = next((b for b in new if sorted(b["partitionNames"] or OURS) == OURS), ours)
        if ours and ours["status"] in ("COMPLETED_SUCCESS", "COMPLETED"):
            return ours["id"]
        assert ours is None or ours["status"] == "REQUESTED", ours
        time.sleep(2)
    pytest.fail(f"the UI's backfill did not succeed within {BACKFILL_TIMEOUT_SECONDS} s: {ours}")
