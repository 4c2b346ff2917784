"""How the daemon's ticks and the partition-status queries grow with tenants x days.

Run: .venv/bin/python benchmarks/partition_growth.py [--sizes 1000,10000,50000,100000]
     [--storage sqlite|postgres] (default: both) [--tenants 100] [--repeats 3]

For each size (partitions per asset = tenants x days) a fresh subprocess (``BAKERY_PARTITION_START``
is read at import, so each size needs its own interpreter) builds:

- a fresh Dagster instance: SQLite in a temporary DAGSTER_HOME, or a throwaway PostgreSQL database
  ``bench_growth_<random>`` on the local server (dropped at the end);
- a fresh orchestration database (SQLite) with ``--tenants`` active tenants in Europe/Madrid, plus
  one suspended tenant that has no partition yet (so the tenant sensor has one tenant to add);
- the state of a deployment that has run every morning since the partition start: the dynamic
  ``tenant`` partitions registered, one materialization of ``daily_sales`` and of
  ``demand_forecast`` for every tenant-day before today (written in batches: one event at a time
  takes 11 ms on SQLite and 36 ms on PostgreSQL here), and one scheduled ``daily_cycle_job`` run
  per tenant-day before today (bulk-inserted, so the schedule's dedupe query sees a full run table);
- a few late sales files (past days of five tenants, and yesterday's sales of one tenant).

Then, each ``--repeats`` times (median and min reported):

- schedule tick: ``daily_cycle_schedule.evaluate_tick`` at 08:00 Madrid today (what the daemon
  asks the code server), asserting one RunRequest per active tenant;
- sensor ticks: ``tenant_partitions_sensor`` and ``late_sales_sensor`` ``evaluate_tick`` (cursor
  None each time, so the late-sales tick always finds the landed files and plans one backfill);
- partition-status queries: ``get_num_partitions`` and ``get_partition_keys`` of the tenant x day
  definition, ``instance.get_materialized_partitions(daily_sales)``, the asset status cache built
  from scratch (what happens after any tenant is added or removed: the dynamic partitions change
  the cache's definition id) and read again when up to date, deserialised and counted (what the
  UI's partition bar asks each time).

``--days 10`` grows tenants instead (tenants = size / 10): the schedule tick is per tenant.

Prints a table per storage (median and min), the 100k / 1k ratios, peak RSS of each size's
process and the load average. The orchestration database is SQLite in both cases: the storage
compared is Dagster's own.
"""

import json
import os
import resource
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

ROOT = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("Europe/Madrid")
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ASSETS = ("daily_sales", "demand_forecast")
BATCH = 2000
LATE_TENANTS = 5
RESULT_PREFIX = "RESULT "
TICK_LIMIT_S = 60.0  # schedules and sensors are cancelled after 60 s by default

COLUMNS = [
    ("setup_s", "setup"),
    ("schedule_s", "schedule"),
    ("tenant_sensor_s", "tenant sns"),
    ("late_sensor_s", "late sns"),
    ("num_partitions_s", "num parts"),
    ("partition_keys_s", "part keys"),
    ("materialized_s", "mat parts"),
    ("cache_cold_s", "cache cold"),
    ("cache_warm_s", "cache warm"),
]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _log(message: str) -> None:
    click.echo(f"  [{time.strftime('%H:%M:%S')}] {message}", err=True)


# --- one size, in its own process -----------------------------------------------------------


def _timed(fn, repeats: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), result


def _instance_yaml(home: Path, storage_url: str | None) -> None:
    text = (ROOT / "dagster.yaml").read_text()
    if storage_url:
        text += f"\nstorage:\n  postgres:\n    postgres_url: {storage_url}\n"
    (home / "dagster.yaml").write_text(text)


def _materialization_entry(asset: str, key, timestamp: float):
    import dagster as dg
    from dagster._core.definitions.partitions.utils import get_tags_from_multi_partition_key
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.events.log import EventLogEntry
    from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID

    # The same event a run writes for a multi-partitioned asset, including the per-dimension tags.
    materialization = dg.AssetMaterialization(
        asset_key=asset, partition=str(key), tags=get_tags_from_multi_partition_key(key)
    )
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        event_specific_data=StepMaterializationData(materialization),
        job_name=RUNLESS_JOB_NAME,
    )
    return EventLogEntry(
        user_message="",
        level=20,
        job_name=RUNLESS_JOB_NAME,
        run_id=RUNLESS_RUN_ID,
        error_info=None,
        timestamp=timestamp,
        step_key=None,
        dagster_event=event,
    )


def _store_batch(storage, events: list) -> None:
    """PostgreSQL has a real batch path; SQLite's ``store_event_batch`` stores one event at a
    time (two connections each), so write the same rows in one transaction per shard here."""
    from dagster._core.storage.event_log import SqlEventLogStorageTable
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    if not isinstance(storage, SqliteEventLogStorage):
        storage.store_event_batch(events)
        return
    rows = [storage._event_to_row(event) for event in events]
    with storage.run_connection(events[0].run_id) as conn:
        conn.execute(SqlEventLogStorageTable.insert(), rows)
    insert = SqlEventLogStorageTable.insert().returning(
        SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
    )
    with storage.index_transaction() as conn:
        ids = [row[0] for row in conn.execute(insert, rows)]
        storage._store_asset_event_tags(conn, events, ids)
        storage._store_asset_event(conn, events[-1], ids[-1])


def _add_runs(instance, slugs: list[str], days: list[date]) -> None:
    """One finished scheduled run per tenant-day, inserted in bulk with the rows ``add_run``
    writes. One at a time it takes 7 ms on SQLite and 38 ms on PostgreSQL here, mostly because
    ``_get_run_insertion_values`` inspects the runs table's columns (``has_backfill_id_column``)
    on a new connection for every run, so that check is made once here."""
    import dagster as dg
    from dagster._core.storage.runs.schema import RunsTable, RunTagsTable
    from dagster_shared.serdes import serialize_value

    storage = instance.run_storage
    backfill_column = storage.has_backfill_id_column()
    pending: list[tuple[dict, dict]] = []

    def flush() -> None:
        with storage.connect() as conn:
            conn.execute(RunsTable.insert(), [values for values, _ in pending])
            conn.execute(
                RunTagsTable.insert(),
                [
                    {"run_id": values["run_id"], "key": k, "value": v}
                    for values, tags in pending
                    for k, v in tags.items()
                ],
            )
        pending.clear()

    for day in days:
        created = datetime.combine(day, dtime(8), ZONE).astimezone(UTC)
        for slug in slugs:
            run = dg.DagsterRun(
                job_name="daily_cycle_job",
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.SUCCESS,
                tags={
                    "dagster/schedule_name": "daily_cycle_schedule",
                    "dagster/partition": f"{day.isoformat()}|{slug}",
                    "dagster/partition/date": day.isoformat(),
                    "dagster/partition/tenant": slug,
                    "dagster/run_key": f"{slug}:{day.isoformat()}",
                    "bakery/run_type": "scheduled",
                },
            )
            values = {
                "run_id": run.run_id,
                "pipeline_name": run.job_name,
                "status": run.status.value,
                "run_body": serialize_value(run),
                "snapshot_id": None,
                "partition": run.tags["dagster/partition"],
                "partition_set": None,
                "create_timestamp": created,
            }
            if backfill_column:
                values["backfill_id"] = None
            pending.append((values, run.tags_for_storage()))
            if len(pending) >= BATCH:
                flush()
    if pending:
        flush()


def _land(landing: Path, slug: str, day: date, stamp_ns: int) -> None:
    folder = landing / slug
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.csv"
    path.write_text(f"date,product,quantity\n{day.isoformat()},bread,3\n")
    os.utime(path, ns=(stamp_ns, stamp_ns))


def measure_one(size: int, storage: str, tenants: int, repeats: int, admin_url: str) -> dict:
    if size % tenants:
        raise click.ClickException(f"size {size} is not a multiple of --tenants {tenants}")
    days = size // tenants
    today = datetime.now(ZONE).date()
    start = today - timedelta(days=days - 1)
    work = Path(tempfile.mkdtemp(prefix="partition_growth_"))
    dagster_home = work / "dagster_home"
    dagster_home.mkdir()
    os.environ.update(
        {
            "BAKERY_PARTITION_START": start.isoformat(),
            "BAKERY_HOME": str(work / "bakery_home"),
            "DAGSTER_HOME": str(dagster_home),
            "BAKERY_ENV": "local",
        }
    )
    for name in ("BAKERY_DAILY_CYCLE_CRON", "BAKERY_DAILY_CYCLE_HOUR", "BAKERY_DATABASE_URL"):
        os.environ.pop(name, None)

    import sqlalchemy as sa

    database = None
    storage_url = None
    admin = None
    if storage == "postgres":
        database = f"bench_growth_{secrets.token_hex(4)}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {database}"))
        storage_url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    try:
        return _measure(size, storage, tenants, days, today, work, storage_url, repeats)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            admin.dispose()
        shutil.rmtree(work, ignore_errors=True)


def _measure(
    size: int,
    storage: str,
    tenants: int,
    days: int,
    today: date,
    work: Path,
    storage_url: str | None,
    repeats: int,
) -> dict:
    import dagster as dg

    from bakery_orchestration.automation.late_sales import late_sales_sensor
    from bakery_orchestration.automation.tenant_partitions import tenant_partitions_sensor
    from bakery_orchestration.core.partitions import date_partitions, tenant_day_partitions
    from bakery_orchestration.db.migrate import ensure_schema
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.resources import local_resources
    from bakery_orchestration.sales.resources import LocalFilesSalesSource
    from bakery_orchestration.storage.database import OrchestrationDatabase
    from bakery_orchestration.tenants import registry

    load_start = os.getloadavg()[0]
    _instance_yaml(work / "dagster_home", storage_url)
    setup_started = time.perf_counter()
    orchestration_url = f"sqlite:///{work / 'orchestration.db'}"
    ensure_schema(orchestration_url)
    engine = OrchestrationDatabase(url=orchestration_url).engine
    slugs = [f"bakery-{i:04d}" for i in range(tenants)]
    for slug in slugs:
        registry.add_tenant(engine, slug, slug.title())
    newcomer = "bakery-new"
    registry.add_tenant(engine, newcomer, "Newcomer")
    registry.set_status(engine, newcomer, "suspended")

    instance = dg.DagsterInstance.from_config(str(work / "dagster_home"))
    instance.add_dynamic_partitions("tenant", slugs)
    num = _num_partitions(tenant_day_partitions, instance)
    if num != size:
        raise click.ClickException(f"expected {size} partitions, the definition has {num}")
    first_day = date_partitions.start.date()
    past_days = [first_day + timedelta(days=i) for i in range(days - 1)]  # every day but today

    events_started = time.perf_counter()
    event_count = 0
    base = datetime.combine(first_day, dtime(8), ZONE).timestamp()
    for asset in ASSETS:
        batch = []
        for day_index, day in enumerate(past_days):
            for slug in slugs:
                key = dg.MultiPartitionKey({"tenant": slug, "date": day.isoformat()})
                batch.append(_materialization_entry(asset, key, base + day_index * 86400))
                if len(batch) >= BATCH:
                    _store_batch(instance.event_log_storage, batch)
                    event_count += len(batch)
                    batch = []
        if batch:
            _store_batch(instance.event_log_storage, batch)
            event_count += len(batch)
    events_s = time.perf_counter() - events_started
    _log(f"{event_count} materializations in {events_s:.1f} s")
    runs_started = time.perf_counter()
    _add_runs(instance, slugs, past_days)
    runs_s = time.perf_counter() - runs_started
    _log(f"{len(slugs) * len(past_days)} runs in {runs_s:.1f} s")

    landing = work / "landing"
    stamp = time.time_ns() - 60_000_000_000
    late = [(s, today - timedelta(days=d)) for s in slugs[:LATE_TENANTS] for d in (3, 5)]
    late = [(s, d) for s, d in late if d + timedelta(days=1) >= first_day]
    for index, (slug, day) in enumerate([*late, (slugs[0], today - timedelta(days=1))]):
        _land(landing, slug, day, stamp + index)
    resources = {
        **local_resources(orchestration_url),
        "sales_source": LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0),
    }
    defs = build_definitions(resources=resources)
    repository = defs.get_repository_def()
    setup_s = time.perf_counter() - setup_started
    _log(f"setup {setup_s:.1f} s, peak RSS {_peak_rss_mib():.0f} MiB")

    figures: dict[str, tuple[float, float]] = {}

    schedule = repository.get_schedule_def("daily_cycle_schedule")
    tick = datetime.combine(today, dtime(8), ZONE).astimezone(UTC)

    def schedule_tick():
        with dg.build_schedule_context(
            instance=instance,
            instance_ref=instance.get_ref(),  # as in the code server: dynamic partitions cached
            scheduled_execution_time=tick,
            repository_def=repository,
            resources=resources,
        ) as context:
            return schedule.evaluate_tick(context)

    median, low, data = _timed(schedule_tick, repeats)
    requests = data.run_requests or []
    if len(requests) != tenants:
        raise click.ClickException(f"schedule asked for {len(requests)} runs, not {tenants}")
    figures["schedule_s"] = (median, low)

    def sensor_tick(sensor):
        with dg.build_sensor_context(
            instance=instance,
            instance_ref=instance.get_ref(),
            definitions=defs,
            cursor=None,
            resources=resources,
        ) as context:
            return sensor.evaluate_tick(context)

    median, low, data = _timed(lambda: sensor_tick(tenant_partitions_sensor), repeats)
    requests = data.dynamic_partitions_requests or []
    adds = [r for r in requests if isinstance(r, dg.AddDynamicPartitionsRequest)]
    if [list(r.partition_keys) for r in adds] != [[newcomer]]:
        raise click.ClickException(f"tenant sensor: unexpected requests {adds}")
    figures["tenant_sensor_s"] = (median, low)

    median, low, data = _timed(lambda: sensor_tick(late_sales_sensor), repeats)
    if len(data.run_requests or []) != 1:
        raise click.ClickException(f"late sales sensor: {data.skip_message or data.run_requests}")
    figures["late_sensor_s"] = (median, low)

    median, low, count = _timed(lambda: _num_partitions(tenant_day_partitions, instance), repeats)
    figures["num_partitions_s"] = (median, low)
    median, low, keys = _timed(
        lambda: tenant_day_partitions.get_partition_keys(dynamic_partitions_store=instance),
        repeats,
    )
    if len(keys) != size or count != size:
        raise click.ClickException(f"{count} / {len(keys)} partitions, expected {size}")
    figures["partition_keys_s"] = (median, low)

    asset_key = dg.AssetKey("daily_sales")
    expected = len(past_days) * tenants
    median, low, materialized = _timed(
        lambda: instance.get_materialized_partitions(asset_key), repeats
    )
    if len(materialized) != expected:
        raise click.ClickException(f"{len(materialized)} materialized, expected {expected}")
    figures["materialized_s"] = (median, low)

    cold, warm = [], []
    for _ in range(repeats):
        instance.wipe_asset_cached_status([asset_key])
        started = time.perf_counter()
        value = _status(instance, asset_key, tenant_day_partitions)
        cold.append(time.perf_counter() - started)
        (record,) = instance.get_asset_records([asset_key])
        if record.asset_entry.cached_status is None:
            raise click.ClickException("the status cache was not written")
        started = time.perf_counter()
        warm_count = _status(instance, asset_key, tenant_day_partitions)
        warm.append(time.perf_counter() - started)
        if value != expected or warm_count != expected:
            raise click.ClickException(f"status cache: {value} / {warm_count}, not {expected}")
    figures["cache_cold_s"] = (statistics.median(cold), min(cold))
    figures["cache_warm_s"] = (statistics.median(warm), min(warm))

    slow = [name for name, (m, _) in figures.items() if m > TICK_LIMIT_S]
    instance.dispose()
    return {
        "size": size,
        "storage": storage,
        "tenants": tenants,
        "days": days,
        "events": event_count,
        "events_s": round(events_s, 2),
        "runs_s": round(runs_s, 2),
        "setup_s": [setup_s, setup_s],
        **{name: list(value) for name, value in figures.items()},
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "over_tick_limit": slow,
    }


def _num_partitions(partitions_def, instance) -> int:
    """``get_num_partitions`` takes no store in 1.13: the dynamic dimension reads it from the
    partition loading context, as the UI's count does."""
    from dagster._core.definitions.partitions.context import partition_loading_context

    with partition_loading_context(dynamic_partitions_store=instance):
        return partitions_def.get_num_partitions()


def _status(instance, asset_key, partitions_def) -> int:
    """Bring the asset status cache up to date and count its materialized partitions."""
    from dagster._core.storage.partition_status_cache import (
        get_and_update_asset_status_cache_value,
    )

    value = get_and_update_asset_status_cache_value(instance, asset_key, partitions_def)
    subset = value.deserialize_materialized_partition_subsets(partitions_def)
    return len(subset)


# --- the driver --------------------------------------------------------------------------------


def _run_child(size: int, storage: str, tenants: int, repeats: int, admin_url: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--one",
        str(size),
        "--storage",
        storage,
        "--tenants",
        str(tenants),
        "--repeats",
        str(repeats),
        "--postgres-admin-url",
        admin_url,
    ]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    result = None
    for line in process.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
    if process.returncode or result is None:
        raise click.ClickException(f"{storage} size {size} failed (exit {process.returncode})")
    return result


def _fmt(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _table(storage: str, rows: list[dict]) -> None:
    head = ["size", "tenants", "days"] + [label for _, label in COLUMNS] + ["peak RSS"]
    click.echo(f"\n{storage}: seconds, median (min) of the repeats; setup measured once")
    click.echo("| " + " | ".join(head) + " |")
    click.echo("|" + "|".join("---:" for _ in head) + "|")
    for row in rows:
        cells = [f"{row['size']:,}", str(row["tenants"]), str(row["days"])]
        for name, _ in COLUMNS:
            median, low = row[name]
            cells.append(_fmt(median) if name == "setup_s" else f"{_fmt(median)} ({_fmt(low)})")
        cells.append(f"{row['peak_rss_mib']:.0f} MiB")
        click.echo("| " + " | ".join(cells) + " |")
    first, last = rows[0], rows[-1]
    if len(rows) > 1:
        ratios = [
            f"{label} {last[name][0] / first[name][0]:.1f}x"
            for name, label in COLUMNS
            if first[name][0] > 0
        ]
        ratios.append(f"peak RSS {last['peak_rss_mib'] / first['peak_rss_mib']:.1f}x")
        click.echo(f"ratio {last['size']:,} / {first['size']:,} (medians): " + ", ".join(ratios))
    for row in rows:
        click.echo(
            f"  {row['size']:,}: {row['events']:,} materializations stored in "
            f"{row['events_s']:.1f} s, runs in {row['runs_s']:.1f} s; load average "
            f"{row['load_start']:.2f} -> {row['load_end']:.2f}"
            + (
                f"; OVER THE 60 s TICK LIMIT: {row['over_tick_limit']}"
                if row["over_tick_limit"]
                else ""
            )
        )


@click.command()
@click.option("--sizes", default="1000,10000,50000,100000", show_default=True)
@click.option(
    "--storage",
    type=click.Choice(["sqlite", "postgres"]),
    default=None,
    help="Dagster storage to measure (default: both).",
)
@click.option("--tenants", default=100, show_default=True, help="Tenants; days = size / tenants.")
@click.option("--days", type=int, default=None, help="Fix the days instead: tenants = size / days.")
@click.option("--repeats", default=3, show_default=True)
@click.option("--postgres-admin-url", default=ADMIN_URL, show_default=True)
@click.option("--one", type=int, default=None, hidden=True, help="Measure one size (internal).")
def main(
    sizes: str,
    storage: str | None,
    tenants: int,
    days: int | None,
    repeats: int,
    postgres_admin_url: str,
    one: int | None,
) -> None:
    """Time the schedule tick, the sensor ticks and partition-status queries per size."""
    if one is not None:
        result = measure_one(one, storage or "sqlite", tenants, repeats, postgres_admin_url)
        click.echo(RESULT_PREFIX + json.dumps(result))
        return
    sizes_list = [int(s) for s in sizes.split(",") if s.strip()]
    storages = [storage] if storage else ["sqlite", "postgres"]
    started = time.perf_counter()
    shape = f"{days} days, tenants = size / {days}" if days else f"{tenants} tenants"
    click.echo(f"partition growth: sizes {sizes_list}, {shape}, {repeats} repeats")
    click.echo(f"load average at start (1, 5, 15 min): {_load()}; {os.cpu_count()} CPUs")
    results: dict[str, list[dict]] = {}
    for name in storages:
        for size in sizes_list:
            click.echo(f"{name} {size:,} partitions ...", err=True)
            row = _run_child(
                size, name, size // days if days else tenants, repeats, postgres_admin_url
            )
            click.echo(f"  {json.dumps(row)}", err=True)  # kept if a later size is interrupted
            results.setdefault(name, []).append(row)
    for name, rows in results.items():
        _table(name, rows)
    click.echo(
        f"\nload average at end (1, 5, 15 min): {_load()}; "
        f"total {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
