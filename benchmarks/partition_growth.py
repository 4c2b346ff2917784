"""The daemon's ticks and the UI's partition-status query at scale, with the rolling window.

Run: .venv/bin/python benchmarks/partition_growth.py [--shapes 1000x365,10000x10] [--repeats 3]
     [--tenants-per-run 20] [--postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres]

A shape TxD is T tenants and D date partitions per tenant: ``BAKERY_PARTITION_DAYS_KEPT`` is
D - 1 (the days before today, plus today), ``BAKERY_PARTITION_START`` unset. Each shape runs in
its own interpreter (the window is computed when the definitions load) and builds:

- Dagster's storage in a throwaway PostgreSQL database ``bench_growth_<random>`` (dropped at the
  end; production storage is PostgreSQL); the orchestration database in SQLite with T active
  tenants in Europe/Madrid and one suspended tenant with no partition yet (the tenant sensor's
  one addition);
- the state of a deployment that has run every morning of the window: the ``tenant`` dynamic
  partitions (``instance.add_dynamic_partitions``), one materialization of ``daily_sales`` and of
  ``demand_forecast`` per tenant-day before today, and the scheduled batch runs of those mornings
  (``--tenants-per-run`` tenants per run, tagged as the schedule tags them);
- a few late sales files (two past days of five tenants, and yesterday's sales of one tenant).

Seeding uses no private Dagster module. One event per asset is written by the public API
(``instance.report_runless_asset_event``), and the others are its stored row cloned with their
own partition, tags and time, inserted with SQLAlchemy into Dagster's tables named as strings
(``event_logs``, ``asset_event_tags``, ``runs``, ``run_tags``, reflected from the database); the
last event of each asset is written by the public API again, so the asset's record points at
it. Runs are public ``DagsterRun`` values serialized with ``dagster.serialize_value``. The public
API alone was too slow: one event costs about 36 ms on PostgreSQL here, 7 hours for 1000x365.
After seeding, the materialized partitions counted through the public API must equal the
seeded ones, and one cloned event must read back with its own partition and tags.

Then ``--repeats`` times each (median, min and max reported):

- schedule tick: ``daily_cycle_schedule.evaluate_tick`` at 08:00 Madrid today, in process (what
  the code server does for the daemon), asserting every active tenant is requested;
- sensor ticks: ``tenant_partitions_sensor`` and ``late_sales_sensor``, cursor None each time;
- partition keys (``get_partition_keys``) and materialized partitions
  (``instance.get_materialized_partitions``) through the public API;
- the UI's partition-status query: the ``PartitionHealthQuery`` the asset's partitions page sends
  (copied from dagster-webserver's bundle), POSTed to a real ``dagster-webserver`` on loopback
  for ``daily_sales``, cold (status cache wiped first: what a reload with a new window start
  causes) and warm (the cache up to date);
- what an operator meets after a reload in production: the status caches wiped, then one tick
  of ``partition_status_sensor`` (in process, as the code server runs it; timed), then the same
  query (``ui_after_sensor_s``).
"""

import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from bakery_orchestration.core.process import peak_rss_mib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_tick import free_port, stoppable_children  # noqa: E402 - the sibling's helpers

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ZONE = ZoneInfo("Europe/Madrid")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ASSETS = ("daily_sales", "demand_forecast")
BATCH = 5000
LATE_TENANTS = 5
RESULT_PREFIX = "RESULT "

COLUMNS = [
    ("schedule_s", "schedule tick"),
    ("tenant_sensor_s", "tenant sensor"),
    ("late_sensor_s", "late-sales sensor"),
    ("partition_keys_s", "partition keys"),
    ("materialized_s", "materialized partitions"),
    ("ui_cold_s", "UI status query, cold"),
    ("ui_warm_s", "UI status query, warm"),
    ("status_sensor_s", "status sensor tick, rebuilding"),
    ("ui_after_sensor_s", "UI status query after the sensor"),
]

# The query the asset's partitions page sends (dagster-webserver 1.13.27, PartitionHealthQuery).
PARTITION_HEALTH_QUERY = """
query PartitionHealthQuery($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      id
      partitionKeysByDimension { name type partitionKeys }
      assetPartitionStatuses {
        ... on TimePartitionStatuses {
          ranges { status startTime endTime startKey endKey }
        }
        ... on DefaultPartitionStatuses {
          materializedPartitions materializingPartitions failedPartitions
        }
        ... on MultiPartitionStatuses {
          primaryDimensionName
          ranges {
            primaryDimStartKey primaryDimEndKey primaryDimStartTime primaryDimEndTime
            secondaryDim {
              ... on TimePartitionStatuses {
                ranges { status startTime endTime startKey endKey }
              }
              ... on DefaultPartitionStatuses {
                materializedPartitions materializingPartitions failedPartitions
              }
            }
          }
        }
      }
    }
  }
}"""


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _log(message: str) -> None:
    click.echo(f"  [{time.strftime('%H:%M:%S')}] {message}", err=True)


def _timed(fn, repeats: int) -> tuple[list[float], object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


# --- seeding through Dagster's tables -------------------------------------------------------


def _tables(engine, *names: str) -> list:
    import sqlalchemy as sa

    metadata = sa.MetaData()
    return [sa.Table(name, metadata, autoload_with=engine) for name in names]


def _latest_event(engine, event_logs, asset: str) -> dict:
    import sqlalchemy as sa

    key = json.dumps([asset])  # Dagster stores asset keys as their JSON path
    query = (
        sa.select(event_logs)
        .where(event_logs.c.asset_key == key)
        .order_by(event_logs.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return dict(conn.execute(query).mappings().one())


def _cache_identity(instance, asset_key) -> tuple:
    """The stored status cache's partitions-definition identity and cursor."""
    record = next(iter(instance.get_asset_records([asset_key])))
    cached = record.asset_entry.cached_status
    return (cached.partitions_def_id, cached.latest_storage_id) if cached else (None, None)


def _report(instance, asset: str, slug: str, day: date) -> None:
    import dagster as dg

    key = f"{day.isoformat()}|{slug}"
    instance.report_runless_asset_event(
        dg.AssetMaterialization(
            asset_key=asset,
            partition=key,
            # The dimension tags a run writes for a multi-partitioned asset.
            tags={"dagster/partition/date": day.isoformat(), "dagster/partition/tenant": slug},
        )
    )


def seed_materializations(instance, engine, slugs: list[str], days: list[date]) -> int:
    """One materialization per asset and tenant-day: first and last by the public API, the
    others cloned from the first one's stored row."""
    event_logs, event_tags = _tables(engine, "event_logs", "asset_event_tags")
    count = 0
    for asset in ASSETS:
        first_slug, first_day = slugs[0], days[0]
        _report(instance, asset, first_slug, first_day)
        template = _latest_event(engine, event_logs, asset)
        stamp = json.dumps(json.loads(template["event"])["timestamp"])
        if template["event"].count(stamp) != 1:
            raise click.ClickException("the stored event has no single timestamp to clone")
        pairs = [(s, d) for d in days for s in slugs][1:-1]
        for start in range(0, len(pairs), BATCH):
            rows, tags = [], []
            for slug, day in pairs[start : start + BATCH]:
                at = datetime.combine(day, dtime(8), ZONE).astimezone(UTC)
                body = (
                    template["event"]
                    .replace(first_day.isoformat(), day.isoformat())
                    .replace(f'"{first_slug}"', f'"{slug}"')
                    .replace(f"|{first_slug}", f"|{slug}")
                    .replace(stamp, json.dumps(at.timestamp()))
                )
                partition = f"{day.isoformat()}|{slug}"
                rows.append(
                    {
                        "run_id": template["run_id"],
                        "event": body,
                        "dagster_event_type": template["dagster_event_type"],
                        "timestamp": at.replace(tzinfo=None),
                        "step_key": None,
                        "asset_key": template["asset_key"],
                        "partition": partition,
                    }
                )
                tags.append((day.isoformat(), slug, at.replace(tzinfo=None)))
            insert = event_logs.insert().returning(event_logs.c.id, sort_by_parameter_order=True)
            with engine.begin() as conn:
                ids = [row[0] for row in conn.execute(insert, rows)]
                conn.execute(
                    event_tags.insert(),
                    [
                        {
                            "event_id": event_id,
                            "asset_key": template["asset_key"],
                            "key": f"dagster/partition/{name}",
                            "value": value,
                            "event_timestamp": at,
                        }
                        for event_id, (day_key, slug, at) in zip(ids, tags, strict=True)
                        for name, value in (("date", day_key), ("tenant", slug))
                    ],
                )
        _report(instance, asset, slugs[-1], days[-1])
        count += len(pairs) + 2
    return count


def seed_runs(instance, engine, slugs: list[str], days: list[date], per_run: int) -> int:
    """The scheduled batch runs of every past morning, tagged as ``daily_cycle_schedule``
    tags them (``core.batches.plan_batches``), finished successfully."""
    import dagster as dg

    from bakery_orchestration.core.batches import plan_batches

    runs, run_tags = _tables(engine, "runs", "run_tags")
    order = instance.get_dynamic_partitions("tenant")
    count = 0
    for day in days:
        created = datetime.combine(day, dtime(8), ZONE).astimezone(UTC).replace(tzinfo=None)
        batches = plan_batches(((s, day, 0) for s in slugs), order, per_run)
        rows, tags = [], []
        for batch in batches:
            run_tags_of = {
                "dagster/schedule_name": "daily_cycle_schedule",
                "dagster/run_key": batch.run_key,
                "bakery/run_type": "scheduled",
                "bakery/triggered_by": "schedule:daily_cycle_schedule",
                **batch.tags(),
            }
            if batch.partition_key is not None:
                run_tags_of["dagster/partition"] = str(batch.partition_key)
            run = dg.DagsterRun(
                job_name="daily_cycle_job",
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.SUCCESS,
                tags=run_tags_of,
            )
            row = {
                "run_id": run.run_id,
                "pipeline_name": run.job_name,
                "status": run.status.value,
                "run_body": dg.serialize_value(run),
                "partition": run_tags_of.get("dagster/partition"),
                "create_timestamp": created,
                "update_timestamp": created,
            }
            rows.append({k: v for k, v in row.items() if k in runs.c})
            tags += [{"run_id": run.run_id, "key": k, "value": v} for k, v in run_tags_of.items()]
        with engine.begin() as conn:
            conn.execute(runs.insert(), rows)
            conn.execute(run_tags.insert(), tags)
        count += len(rows)
    return count


def check_seeded(instance, slugs: list[str], days: list[date]) -> None:
    import dagster as dg

    expected = len(slugs) * len(days)
    for asset in ASSETS:
        found = instance.get_materialized_partitions(dg.AssetKey(asset))
        if len(found) != expected:
            raise click.ClickException(f"{asset}: {len(found)} partitions, seeded {expected}")
    slug, day = slugs[len(slugs) // 2], days[len(days) // 2]
    key = f"{day.isoformat()}|{slug}"
    (record,) = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("daily_sales"), asset_partitions=[key]),
        limit=5,
    ).records
    tags = record.asset_materialization.tags or {}
    if record.partition_key != key or tags.get("dagster/partition/tenant") != slug:
        raise click.ClickException(f"cloned event reads back wrong: {record}")


# --- one shape, in its own process ----------------------------------------------------------


def _webserver(env: dict, log: Path):
    import httpx

    port = free_port()
    process = subprocess.Popen(
        [
            str(BIN / "dagster-webserver"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "workspace.yaml",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"dagster-webserver exited; see {log}")
        try:
            body = httpx.post(f"{url}/graphql", json={"query": "{ version }"}, timeout=5).json()
            nodes = httpx.post(
                f"{url}/graphql", json={"query": "{ assetNodes { id } }"}, timeout=60
            ).json()
            if body.get("data") and nodes.get("data", {}).get("assetNodes"):
                return process, url
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    process.terminate()
    raise click.ClickException("dagster-webserver did not load the code location in 300 s")


def _partition_health(url: str, expected: int) -> None:
    import httpx

    response = httpx.post(
        f"{url}/graphql",
        json={
            "query": PARTITION_HEALTH_QUERY,
            "variables": {"assetKey": {"path": ["daily_sales"]}},
        },
        timeout=600,
    )
    body = response.json()
    if body.get("errors"):
        raise click.ClickException(f"partition status query: {body['errors'][0]['message']}")
    statuses = body["data"]["assetNodeOrError"]["assetPartitionStatuses"]
    materialized = 0
    for primary in statuses["ranges"]:
        secondary = primary["secondaryDim"]
        width = len(secondary.get("materializedPartitions") or [])
        start = date.fromisoformat(primary["primaryDimStartKey"])
        end = date.fromisoformat(primary["primaryDimEndKey"])
        materialized += width * ((end - start).days + 1)
    if materialized != expected:
        raise click.ClickException(f"the UI saw {materialized} materialized, seeded {expected}")


def measure_one(tenants: int, days: int, per_run: int, repeats: int, admin_url: str) -> dict:
    import sqlalchemy as sa

    work = Path(tempfile.mkdtemp(prefix="partition_growth_"))
    dagster_home = work / "dagster_home"
    dagster_home.mkdir()
    database = f"bench_growth_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {database}"))
    storage_url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    text = (ROOT / "dagster.yaml").read_text()
    (dagster_home / "dagster.yaml").write_text(
        text + f"\nstorage:\n  postgres:\n    postgres_url: {storage_url}\n"
    )
    os.environ.pop("BAKERY_PARTITION_START", None)
    os.environ.update(
        {
            "BAKERY_PARTITION_DAYS_KEPT": str(days - 1),
            "BAKERY_HOME": str(work / "bakery_home"),
            "DAGSTER_HOME": str(dagster_home),
            "BAKERY_ENV": "local",
            "BAKERY_TENANTS_PER_RUN": str(per_run),
            "BAKERY_DATABASE_URL": f"sqlite:///{work / 'orchestration.db'}",
        }
    )
    try:
        return _measure(tenants, days, per_run, repeats, work, storage_url)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


def _measure(tenants, days, per_run, repeats, work: Path, storage_url: str) -> dict:
    import dagster as dg
    import sqlalchemy as sa

    from bakery_orchestration.automation.late_sales import late_sales_sensor
    from bakery_orchestration.automation.status_cache import partition_status_sensor
    from bakery_orchestration.automation.tenant_partitions import tenant_partitions_sensor
    from bakery_orchestration.core.batches import tagged_partition_keys
    from bakery_orchestration.core.partitions import date_partitions, tenant_day_partitions
    from bakery_orchestration.db.migrate import ensure_schema
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.resources import local_resources
    from bakery_orchestration.sales.resources import LocalFilesSalesSource
    from bakery_orchestration.storage.database import OrchestrationDatabase
    from bakery_orchestration.tenants import registry

    load_start = os.getloadavg()[0]
    today = datetime.now(ZONE).date()
    first_day = date_partitions.start.date()
    if first_day != today - timedelta(days=days - 1):
        raise click.ClickException(f"window starts {first_day}, not {days - 1} days before today")
    url = os.environ["BAKERY_DATABASE_URL"]
    ensure_schema(url)
    engine = OrchestrationDatabase(url=url).engine
    slugs = [f"bakery-{i:05d}" for i in range(tenants)]
    started = time.perf_counter()
    for slug in slugs:
        registry.add_tenant(engine, slug, slug.title())
    newcomer = "bakery-new"
    registry.add_tenant(engine, newcomer, "Newcomer")
    registry.set_status(engine, newcomer, "suspended")
    _log(f"{tenants} tenants registered in {time.perf_counter() - started:.0f} s")

    instance = dg.DagsterInstance.get()
    instance.add_dynamic_partitions("tenant", slugs)
    past_days = [first_day + timedelta(days=i) for i in range(days - 1)]
    dagster_engine = sa.create_engine(storage_url)
    started = time.perf_counter()
    events = seed_materializations(instance, dagster_engine, slugs, past_days)
    events_s = time.perf_counter() - started
    _log(f"{events:,} materializations in {events_s:.0f} s")
    started = time.perf_counter()
    run_count = seed_runs(instance, dagster_engine, slugs, past_days, per_run)
    runs_s = time.perf_counter() - started
    _log(f"{run_count:,} runs in {runs_s:.0f} s")
    check_seeded(instance, slugs, past_days)
    with dagster_engine.connect() as conn:
        event_rows = conn.execute(sa.text("SELECT count(*) FROM event_logs")).scalar_one()
    # The planner statistics a server's autovacuum keeps for a real instance: the seeded rows
    # are bulk inserts, and a server with autovacuum off (this machine's) never gathers any.
    with dagster_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    dagster_engine.dispose()

    landing = work / "landing"
    stamp = time.time_ns() - 60_000_000_000
    late = [(s, today - timedelta(days=d)) for s in slugs[:LATE_TENANTS] for d in (3, 5)]
    late = [(s, d) for s, d in late if d + timedelta(days=1) >= first_day]
    for index, (slug, day) in enumerate([*late, (slugs[0], today - timedelta(days=1))]):
        folder = landing / slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{day.isoformat()}.csv"
        path.write_text(f"date,product,quantity\n{day.isoformat()},bread,3\n")
        os.utime(path, ns=(stamp + index, stamp + index))
    resources = {
        **local_resources(url),
        "sales_source": LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0),
    }
    defs = build_definitions(resources=resources)
    repository = defs.get_repository_def()
    figures: dict[str, list[float]] = {}

    schedule = repository.get_schedule_def("daily_cycle_schedule")
    tick = datetime.combine(today, dtime(8), ZONE).astimezone(UTC)

    def schedule_tick():
        with dg.build_schedule_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            scheduled_execution_time=tick,
            repository_def=repository,
            resources=resources,
        ) as context:
            return schedule.evaluate_tick(context)

    figures["schedule_s"], data = _timed(schedule_tick, repeats)
    requested = sum(
        len((r.tags.get("bakery/batch_tenants") or "x").split(",")) for r in data.run_requests or []
    )
    if requested != tenants:
        raise click.ClickException(f"schedule requested {requested} tenants, not {tenants}")

    def sensor_tick(sensor):
        with dg.build_sensor_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            definitions=defs,
            cursor=None,
            resources=resources,
        ) as context:
            return sensor.evaluate_tick(context)

    figures["tenant_sensor_s"], data = _timed(
        lambda: sensor_tick(tenant_partitions_sensor), repeats
    )
    adds = [
        list(r.partition_keys)
        for r in data.dynamic_partitions_requests or []
        if isinstance(r, dg.AddDynamicPartitionsRequest)
    ]
    if adds != [[newcomer]]:
        raise click.ClickException(f"tenant sensor: unexpected requests {adds}")
    figures["late_sensor_s"], data = _timed(lambda: sensor_tick(late_sales_sensor), repeats)
    # The sensor batches a day's late tenants into one range request: count tenant-days.
    covered = sum(
        len(
            tagged_partition_keys(
                {**r.tags, **({"dagster/partition": r.partition_key} if r.partition_key else {})},
                instance,
            )
        )
        for r in data.run_requests or []
    )
    if covered != len(late):
        raise click.ClickException(f"late sales sensor: {data.skip_message or data.run_requests}")

    figures["partition_keys_s"], keys = _timed(
        lambda: tenant_day_partitions.get_partition_keys(dynamic_partitions_store=instance),
        repeats,
    )
    if len(keys) != tenants * days:
        raise click.ClickException(f"{len(keys)} partition keys, expected {tenants * days}")
    asset_key = dg.AssetKey("daily_sales")
    figures["materialized_s"], found = _timed(
        lambda: instance.get_materialized_partitions(asset_key), repeats
    )
    expected = tenants * len(past_days)
    if len(found) != expected:
        raise click.ClickException(f"{len(found)} materialized, expected {expected}")

    log = work / "webserver.log"
    server, server_url = _webserver({**os.environ, "PYTHONWARNINGS": "ignore"}, log)
    try:
        cold, warm, rebuild, after_sensor = [], [], [], []
        for _ in range(repeats):
            instance.wipe_asset_cached_status([asset_key])
            cold += _timed(lambda: _partition_health(server_url, expected), 1)[0]
            warm += _timed(lambda: _partition_health(server_url, expected), 1)[0]
            # What production does after a reload: partition_status_sensor rebuilds the cache in
            # the code server before an operator opens the page.
            instance.wipe_asset_cached_status([dg.AssetKey(name) for name in ASSETS])
            seconds, data = _timed(lambda: sensor_tick(partition_status_sensor), 1)
            if "0 left" not in (data.skip_message or ""):
                raise click.ClickException(f"status sensor: {data.skip_message}")
            rebuild += seconds
            built = _cache_identity(instance, asset_key)
            after_sensor += _timed(lambda: _partition_health(server_url, expected), 1)[0]
            if _cache_identity(instance, asset_key) != built:
                # The webserver rebuilt the cache: its partitions definition (from the code
                # location's snapshot) has another identity than the one the sensor loaded.
                raise click.ClickException("the webserver did not use the sensor's status cache")
        figures["ui_cold_s"], figures["ui_warm_s"] = cold, warm
        figures["status_sensor_s"], figures["ui_after_sensor_s"] = rebuild, after_sensor
    finally:
        server.terminate()
        server.wait(timeout=60)
    instance.dispose()
    return {
        "tenants": tenants,
        "days": days,
        "partitions": tenants * days,
        "tenants_per_run": per_run,
        "events_seeded": events,
        "event_log_rows": event_rows,
        "runs_seeded": run_count,
        "events_s": round(events_s, 1),
        "runs_s": round(runs_s, 1),
        "figures": figures,
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
    }


# --- the driver --------------------------------------------------------------------------------


def _run_child(shape: str, per_run: int, repeats: int, admin_url: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--one",
        shape,
        "--tenants-per-run",
        str(per_run),
        "--repeats",
        str(repeats),
        "--postgres-admin-url",
        admin_url,
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    for line in process.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise click.ClickException(f"shape {shape} failed (exit {process.returncode})")


def _parse(shape: str) -> tuple[int, int]:
    tenants, days = (int(part) for part in shape.lower().split("x"))
    if tenants < LATE_TENANTS or days < 7:
        raise click.BadParameter(f"{shape}: at least {LATE_TENANTS} tenants and 7 days")
    return tenants, days


def _table(rows: list[dict]) -> None:
    click.echo("\nseconds: median (min-max) of the repeats")
    head = ["figure"] + [f"{r['tenants']:,} x {r['days']}" for r in rows]
    click.echo("| " + " | ".join(head) + " |")
    click.echo("|---|" + "|".join("---:" for _ in rows) + "|")
    for name, label in COLUMNS:
        cells = [
            f"{statistics.median(r['figures'][name]):.3f} "
            f"({min(r['figures'][name]):.3f}-{max(r['figures'][name]):.3f})"
            for r in rows
        ]
        click.echo(f"| {label} | " + " | ".join(cells) + " |")
    for label, key in (
        ("partitions per asset", "partitions"),
        ("event_logs rows", "event_log_rows"),
    ):
        click.echo(f"| {label} | " + " | ".join(f"{r[key]:,}" for r in rows) + " |")
    click.echo("| runs seeded | " + " | ".join(f"{r['runs_seeded']:,}" for r in rows) + " |")
    click.echo("| peak RSS | " + " | ".join(f"{r['peak_rss_mib']:.0f} MiB" for r in rows) + " |")
    click.echo(
        "| load average (start -> end) | "
        + " | ".join(f"{r['load_start']:.2f} -> {r['load_end']:.2f}" for r in rows)
        + " |"
    )
    for r in rows:
        click.echo(
            f"  {r['tenants']:,} x {r['days']}: seeded {r['events_seeded']:,} materializations "
            f"in {r['events_s']:.0f} s, {r['runs_seeded']:,} runs in {r['runs_s']:.0f} s"
        )


@click.command()
@click.option("--shapes", default="1000x365,10000x10", show_default=True, help="TENANTSxDAYS,...")
@click.option("--tenants-per-run", default=20, show_default=True, help="BAKERY_TENANTS_PER_RUN")
@click.option("--repeats", default=3, show_default=True)
@click.option("--postgres-admin-url", default=ADMIN_URL, show_default=True)
@click.option("--one", default=None, hidden=True, help="Measure one shape (internal).")
def main(shapes: str, tenants_per_run: int, repeats: int, postgres_admin_url: str, one) -> None:
    """Time the schedule tick, the sensor ticks and the UI's partition-status query per shape."""
    stoppable_children()
    if one is not None:
        tenants, days = _parse(one)
        result = measure_one(tenants, days, tenants_per_run, repeats, postgres_admin_url)
        click.echo(RESULT_PREFIX + json.dumps(result))
        return
    shape_list = [s.strip() for s in shapes.split(",") if s.strip()]
    for shape in shape_list:
        _parse(shape)
    started = time.perf_counter()
    click.echo(
        f"partition growth: {shape_list}, {tenants_per_run} tenants per run, {repeats} repeats"
    )
    click.echo(f"load average at start (1, 5, 15 min): {_load()}; {os.cpu_count()} CPUs")
    rows = []
    for shape in shape_list:
        click.echo(f"{shape} ...", err=True)
        row = _run_child(shape, tenants_per_run, repeats, postgres_admin_url)
        click.echo(f"  {json.dumps(row)}", err=True)  # kept if a later shape is interrupted
        rows.append(row)
    _table(rows)
    click.echo(
        f"\nload average at end (1, 5, 15 min): {_load()}; "
        f"total {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
