"""A realistic morning: N tenants x P products through the real daemon and schedule, with the
Sales Service and the tenants' webhooks as HTTP servers on loopback, on PostgreSQL instances that
already hold 90 prior mornings.

Run: .venv/bin/python benchmarks/morning.py --tenants 10 --products 30 [--repeats 3]
     [--tenants-per-run 20] [--latency-ms 50] [--prior-days 90] [--max-concurrent-runs 4]
     [--pgbouncer 20 [--direct-repeats 1]] [--stale-status-repeats 1] [--floor]
     [--keep-templates]

The defaults are the deployment docs/DEPLOYMENT.md recommends, on this machine: PgBouncer in
front of Dagster's database (Debian's ``pgbouncer``; ``--pgbouncer 0`` for none) and run
concurrency of 2 per core (production allows 200 run pods; the laptop's dagster.yaml allows 2).

Preparation (not timed), into two template databases on the local PostgreSQL server:

- tenants in Spain and France (their public holidays), some closed one weekday, each with a
  webhook on the loopback receiver; P products per tenant whose ids and recipes extend the demo
  catalogue, and two years of daily sales per tenant and product drawn here from the shape of
  its kind (bread, viennoiserie, pastry, sandwich, seasonal), with its own level (slow and fast
  sellers, from under 1 to a few hundred a day), weekly profile, yearly phase and amplitude,
  trend, noise, launch date, holiday closures and eves: no series is a rescaled copy of another;
- one template tenant's model is trained and its morning D - 1 runs for real, in process, on the
  PostgreSQL Dagster instance, with the Sales Service over HTTP; then, as issue 17 allows, its
  rows are copied to prepare the rest: its model to every tenant, its D - 1 rows of every
  per-partition table but ``daily_sales`` (each tenant's own sales) to every tenant and each of
  the ``--prior-days`` mornings, its audit row likewise, and in Dagster's storage its run
  (run row, tags, every event, the asset event tags) once per tenant and prior morning, with the
  partition, run id and time rewritten in SQL. So the instance holds runs x ~events per run.

Each repeat clones both templates (``CREATE DATABASE ... TEMPLATE``), starts the HTTP servers, one
long-lived code server (``dagster code-server start``, as deploy/Dockerfile; it launches the run
workers) and the real ``dagster-daemon`` on a ``grpc_server`` workspace, with
``BAKERY_ENV=production`` (PostgreSQL, the HTTP Sales Service), brings ``alert_sensor`` and
``partition_status_sensor`` up to date (as on an instance whose daemon ran through the prior
mornings and the 03:30 reload), sets the schedule to tick at the next minute that leaves the daemon
time to start, and waits for every run to end. Prints per repeat and as median (min-max) over
repeats: end to end (the scheduled tick to the last run's end), per tenant, worker CPU per tenant,
the largest worker peak RSS, failed runs, Sales Service and webhook requests served, the instance's
event count, the load average, the CPU of the sessions' processes and of the whole machine
(PostgreSQL included) over the morning, and each step's mean duration.
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import click
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_tick import (  # noqa: E402 - the sibling benchmark's helpers
    create_postgres_database,
    drop_postgres_database,
    free_port,
    process_figures,
    stoppable_children,
    write_instance_yaml,
)

ROOT = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("Europe/Madrid")
SERVER = "postgresql://postgres@127.0.0.1:5432"
HISTORY_DAYS = 730
TICK_LEAD = timedelta(seconds=75)
TOKEN = "bench-token"

# kind -> weekly profile Monday..Sunday and the share of the catalogue
KINDS = {
    "bread": np.array([1.0, 0.95, 0.95, 1.0, 1.05, 1.2, 1.3]),
    "viennoiserie": np.array([0.85, 0.8, 0.8, 0.85, 0.95, 1.5, 1.7]),
    "pastry": np.array([0.7, 0.7, 0.75, 0.8, 1.0, 1.5, 1.9]),
    "sandwich": np.array([1.2, 1.25, 1.25, 1.2, 1.15, 0.55, 0.3]),
    "seasonal": np.array([0.9, 0.9, 0.9, 1.0, 1.1, 1.3, 1.4]),
}
KIND_OF = {
    "baguette": "bread",
    "pain-de-campagne": "bread",
    "pain-complet": "bread",
    "croissant": "viennoiserie",
    "pain-au-chocolat": "viennoiserie",
    "brioche": "viennoiserie",
    "kouign-amann": "viennoiserie",
    "eclair": "pastry",
    "tarte-pommes": "pastry",
    "cookie": "pastry",
    "sandwich-jambon": "sandwich",
    "galette-rois": "seasonal",
}
TENANT_SHAPES = [("ES", "CT", ()), ("ES", "MD", (0,)), ("FR", None, (2,)), ("ES", "AN", (6,))]


# --- bakery-like series ------------------------------------------------------------------------


def product_sales(product_id: str, days: pd.DatetimeIndex, closed: np.ndarray, rng) -> np.ndarray:
    """Units per day of one product: its kind's week, its own level, year, trend and noise."""
    kind = KIND_OF[product_id.rsplit("-v", 1)[0]]
    level = float(np.clip(rng.lognormal(np.log(10.0), 1.1), 0.3, 350.0))
    weekly = KINDS[kind] * rng.uniform(0.9, 1.1, 7)
    doy = days.dayofyear.to_numpy()
    amplitude, phase = rng.uniform(0.02, 0.25), rng.uniform(0, 365)
    yearly = 1.0 + amplitude * np.sin(2 * np.pi * (doy - phase) / 365.25)
    if kind == "seasonal":  # a few weeks a year (galettes in January, a summer tart...)
        centre, width = rng.integers(1, 366), rng.integers(14, 50)
        distance = np.minimum(np.abs(doy - centre), 365 - np.abs(doy - centre))
        yearly = np.where(distance <= width // 2, 8.0, 0.03)
    trend = np.linspace(1.0, 1.0 + rng.uniform(-0.25, 0.25), len(days))
    eves = np.asarray((days.month == 12) & days.day.isin([24, 31]))
    mean = level * weekly[days.dayofweek.to_numpy()] * yearly * trend * np.where(eves, 1.6, 1.0)
    if rng.random() < 0.08:  # launched during the history
        mean[: rng.integers(len(days) // 3, len(days) - 60)] = 0.0
    shape = rng.uniform(2.0, 12.0)
    units = rng.poisson(rng.gamma(shape, mean / shape)).astype(float)
    units[closed] = 0.0
    return units


def tenant_sales(slug: str, shape: tuple, products: list[str], start: date, end: date):
    import holidays

    country, subdivision, closed_weekdays = shape
    rng = np.random.default_rng(zlib.crc32(slug.encode()))
    days = pd.date_range(start, end, freq="D")
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=sorted(set(days.year)))
    on_holiday = np.array([d.date() in calendar for d in days])
    closes_on_holidays = rng.random() < 0.6
    closed = np.isin(days.dayofweek.to_numpy(), closed_weekdays) | (on_holiday & closes_on_holidays)
    closed |= ((days.month == 12) & (days.day == 25)) | ((days.month == 1) & (days.day == 1))
    frames = [
        pd.DataFrame({"date": days, "product": p, "quantity": product_sales(p, days, closed, rng)})
        for p in products
    ]
    sales = pd.concat(frames, ignore_index=True)
    return sales[sales["quantity"] > 0].sort_values(["date", "product"], ignore_index=True)


# --- loopback servers ------------------------------------------------------------------------


class Loopback:
    """The Sales Service (``GET .../sales/daily``, ``GET /api/v1/sales/changes``) and the
    webhook receiver (``POST /hook/<slug>``) on one threaded server, each answer after
    ``latency`` seconds; counts what it served."""

    def __init__(self, sales: dict, latency: float) -> None:
        self.sales, self.latency = sales, latency
        self.counts = {"sales": 0, "changes": 0, "webhook": 0, "other": 0}
        self.lock = threading.Lock()
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _count(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                time.sleep(outer.latency)
                parts = urlsplit(self.path)
                segments = parts.path.strip("/").split("/")
                if parts.path == "/api/v1/sales/changes":
                    outer._count("changes")
                    cursor = parse_qs(parts.query).get("since", [None])[0]
                    return self._send(
                        200, {"changes": [], "next_cursor": cursor, "has_more": False}
                    )
                if segments[:3] == ["api", "v1", "tenants"] and segments[4:] == ["sales", "daily"]:
                    outer._count("sales")
                    slug, day = unquote(segments[3]), parse_qs(parts.query)["date"][0]
                    items = outer.sales.get((slug, day))
                    if items is None:
                        return self._send(404, {"detail": "no sales for date"})
                    return self._send(200, {"tenant": slug, "date": day, "items": items})
                outer._count("other")
                return self._send(404, {"detail": "unknown route"})

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(outer.latency)
                outer._count("webhook" if self.path.startswith("/hook/") else "other")
                self._send(200, {"received": True})

        return Handler

    def __enter__(self) -> "Loopback":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def sales_items(sales: pd.DataFrame, slug: str, days: list[date]) -> dict:
    served = {}
    for day in days:
        rows = sales[sales["date"] == pd.Timestamp(day)]
        served[(slug, day.isoformat())] = [
            {"product": p, "quantity": int(q)}
            for p, q in zip(rows["product"], rows["quantity"], strict=True)
        ]
    return served


# --- preparation -------------------------------------------------------------------------------


def catalogue(products: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Products and recipes: the demo catalogue, then variants of it with their own ids."""
    from bakery_orchestration.demo.generator import DemoBakery, demo_products
    from bakery_orchestration.demo.planning_data import demo_planning_data

    bakery = DemoBakery("x", "x", "ES", None, (), 1.0, "starter")
    base = demo_products(bakery)
    rows = base.iloc[[i % len(base) for i in range(products)]].copy()
    rows["product_id"] = [
        pid if i < len(base) else f"{pid}-v{i // len(base)}"
        for i, pid in enumerate(rows["product_id"])
    ]
    rows["name"] = [f"{n} {i}" for i, n in enumerate(rows["name"])]
    recipes = demo_planning_data(bakery, date.today())["recipes"]
    by_base = {pid: recipes[recipes["product_id"] == pid] for pid in recipes["product_id"]}
    lines = [by_base[p.rsplit("-v", 1)[0]].assign(product_id=p) for p in rows["product_id"]]
    return rows.reset_index(drop=True), pd.concat(lines, ignore_index=True)


def prepare_tenants(engine, tenants: int, products: int, day: date, hook_url: str) -> tuple:
    """Register the tenants with their products, planning data and own history up to D - 2;
    the sales the Sales Service serves (D - 2 and D - 1) are returned."""
    from bakery_orchestration.demo.generator import DemoBakery
    from bakery_orchestration.demo.planning_data import load_demo_planning_data
    from bakery_orchestration.planning import master_data
    from bakery_orchestration.tenants import registry

    frame, recipes = catalogue(products)
    ids = frame["product_id"].tolist()
    registered, served = [], {}
    start, last = day - timedelta(days=HISTORY_DAYS), day - timedelta(days=1)
    for i in range(tenants):
        slug = f"bench-{i:04d}"
        country, subdivision, closed = TENANT_SHAPES[i % len(TENANT_SHAPES)]
        tenant = registry.add_tenant(
            engine,
            slug,
            f"Bakery {i}",
            country=country,
            subdivision=subdivision,
            closed_weekdays=closed,
            webhook_url=f"{hook_url}/hook/{slug}",
        )
        registry.upsert_products(engine, slug, frame)
        scale = max(1.0, products / 12)
        bakery = DemoBakery(slug, slug, country, subdivision, closed, scale, "starter")
        load_demo_planning_data(engine, bakery, day)
        master_data.replace(engine, slug, "recipes", recipes, source="benchmark")
        sales = tenant_sales(slug, TENANT_SHAPES[i % len(TENANT_SHAPES)], ids, start, last)
        copy_history(
            engine, tenant.id, sales[sales["date"] < pd.Timestamp(last - timedelta(days=1))]
        )
        served.update(sales_items(sales, slug, [last - timedelta(days=1), last]))
        registered.append(tenant)
    return registered, served


def copy_history(engine, tenant_id, sales: pd.DataFrame) -> None:
    """The tenant's history into ``daily_sales`` with PostgreSQL's COPY (preparation only: the
    product's own import, ``store_sales_history``, checks and replaces rows and took 12 s per
    150-product tenant here). Rows as ``store_sales_history`` writes them: partition D holds the
    sales of D - 1."""
    import io

    dates = pd.to_datetime(sales["date"]).dt.normalize()
    rows = pd.DataFrame(
        {
            "tenant_id": str(tenant_id),
            "partition_date": (dates + pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"),
            "product_id": sales["product"].astype(str),
            "sales_date": dates.dt.strftime("%Y-%m-%d"),
            "quantity": sales["quantity"].astype(float),
        }
    )
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cursor:
            cursor.copy_expert(
                "COPY daily_sales (tenant_id, partition_date, product_id, sales_date, quantity) "
                "FROM STDIN WITH (FORMAT csv)",
                buffer,
            )
        raw.commit()
    finally:
        raw.close()


def http_resources(url: str, service: str) -> dict:
    from bakery_orchestration.resources import local_resources
    from bakery_orchestration.sales.resources import HttpSalesSource

    return {
        **local_resources(url),
        "sales_source": HttpSalesSource(base_url=service, api_token=TOKEN),
    }


def template_morning(orch_url: str, instance, tenant, day: date, service: str) -> str:
    """Train the template tenant's model and run its morning D - 1 for real; the run id."""
    from bakery_orchestration.audit.recorder import finalize_run
    from bakery_orchestration.core.partitions import partition_key
    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.forecasting.service import train_model
    from bakery_orchestration.storage.database import OrchestrationDatabase

    engine = create_db_engine(orch_url)
    train_model(engine, tenant, day - timedelta(days=1), reason="benchmark")
    engine.dispose()
    job = build_definitions(http_resources(orch_url, service)).resolve_job_def("daily_cycle_job")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = job.execute_in_process(
        partition_key=partition_key(tenant.slug, day - timedelta(days=1)),
        instance=instance,
        run_config=quiet,
    )
    finalize_run(instance, OrchestrationDatabase(url=orch_url), result.run_id)
    if not result.success:
        raise click.ClickException("the template tenant's morning failed")
    return result.run_id


def copy_orchestration_rows(engine, template_id, prior_days: int, last: date) -> None:
    """The template's model to every tenant; its D - 1 partition rows and audit row to every
    tenant and prior morning (``daily_sales`` stays each tenant's own)."""
    import sqlalchemy as sa

    from bakery_orchestration.db.schema import metadata

    others = "SELECT id FROM tenants WHERE id <> :template"
    with engine.begin() as conn:
        models = metadata.tables["forecast_models"]
        cols = [c.name for c in models.columns if c.name not in ("id", "tenant_id")]
        conn.execute(
            sa.text(
                f"INSERT INTO forecast_models (tenant_id, {', '.join(cols)}) "
                f"SELECT t.id, {', '.join('m.' + c for c in cols)} FROM forecast_models m "
                f"CROSS JOIN ({others}) t WHERE m.tenant_id = :template"
            ),
            {"template": template_id},
        )
        for table in metadata.sorted_tables:
            names = [c.name for c in table.columns]
            if table.name == "daily_sales" or "partition_date" not in names:
                continue
            if [c.name for c in table.primary_key.columns][:2] != ["tenant_id", "partition_date"]:
                continue
            rest = [n for n in names if n not in ("tenant_id", "partition_date")]
            conn.execute(
                sa.text(
                    f"INSERT INTO {table.name} (tenant_id, partition_date, {', '.join(rest)}) "
                    f"SELECT t.id, s.partition_date - o.n, {', '.join('s.' + n for n in rest)} "
                    f"FROM {table.name} s CROSS JOIN (SELECT id FROM tenants) t "
                    "CROSS JOIN generate_series(0, :days - 1) o(n) "
                    "WHERE s.tenant_id = :template AND s.partition_date = :last "
                    "AND NOT (t.id = :template AND o.n = 0) ON CONFLICT DO NOTHING"
                ),
                {"template": template_id, "days": prior_days, "last": last},
            )
        runs = metadata.tables["orchestration_runs"]
        rest = [c.name for c in runs.columns if c.name not in ("id", "run_number", "tenant_id")]
        conn.execute(
            sa.text(
                f"INSERT INTO orchestration_runs (run_number, tenant_id, {', '.join(rest)}) "
                f"SELECT 'bench-' || md5(random()::text || o.n || t.id::text), t.id, "
                f"{', '.join('r.' + c for c in rest)} FROM orchestration_runs r "
                "CROSS JOIN (SELECT id FROM tenants) t "
                "CROSS JOIN generate_series(0, :days - 1) o(n) "
                "WHERE r.tenant_id = :template AND NOT (t.id = :template AND o.n = 0)"
            ),
            {"template": template_id, "days": prior_days},
        )


def copy_dagster_run(storage_url: str, run_id: str, slug: str, slugs: list, days: list) -> int:
    """The template run, once per tenant and prior morning: runs, run_tags, event_logs and
    asset_event_tags rows rewritten in SQL (partition, run id, time). Tables named as strings."""
    import sqlalchemy as sa

    template_day = days[-1].isoformat()
    engine = sa.create_engine(storage_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE clones (run_id text, slug text, day text, n int)"))
        conn.execute(
            sa.text("INSERT INTO clones VALUES (:run_id, :slug, :day, :n)"),
            [
                {
                    "run_id": os.urandom(16).hex(),
                    "slug": s,
                    "day": d.isoformat(),
                    "n": (days[-1] - d).days,
                }
                for s in slugs
                for d in days
                if not (s == slug and d == days[-1])
            ],
        )
        swap = "replace(replace(replace({col}, :run, c.run_id), :slug, c.slug), :day, c.day)"
        params = {"run": run_id, "slug": slug, "day": template_day}
        run_cols = [
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'runs' "
                    "AND column_name NOT IN ('id', 'run_id', 'run_body', 'partition')"
                )
            )
        ]
        shift = {"create_timestamp", "update_timestamp"}
        select = [
            f"r.{c} - make_interval(days => c.n)" if c in shift else f"r.{c}" for c in run_cols
        ]
        conn.execute(
            sa.text(
                f"INSERT INTO runs (run_id, run_body, partition, {', '.join(run_cols)}) "
                f"SELECT c.run_id, {swap.format(col='r.run_body')}, "
                f"{swap.format(col='r.partition')}, {', '.join(select)} "
                "FROM runs r CROSS JOIN clones c WHERE r.run_id = :run"
            ),
            params,
        )
        conn.execute(
            sa.text(
                "INSERT INTO run_tags (run_id, key, value) "
                f"SELECT c.run_id, t.key, {swap.format(col='t.value')} "
                "FROM run_tags t CROSS JOIN clones c WHERE t.run_id = :run"
            ),
            params,
        )
        conn.execute(
            sa.text(
                "INSERT INTO event_logs "
                "(run_id, event, dagster_event_type, timestamp, step_key, asset_key, partition) "
                f"SELECT c.run_id, {swap.format(col='e.event')}, e.dagster_event_type, "
                "e.timestamp - make_interval(days => c.n), e.step_key, e.asset_key, "
                f"{swap.format(col='e.partition')} "
                "FROM event_logs e CROSS JOIN clones c WHERE e.run_id = :run "
                "ORDER BY c.n DESC, e.id"
            ),
            params,
        )
        conn.execute(
            sa.text(
                "INSERT INTO asset_event_tags (event_id, asset_key, key, value, event_timestamp) "
                f"SELECT ne.id, t.asset_key, t.key, {swap.format(col='t.value')}, ne.timestamp "
                "FROM asset_event_tags t JOIN event_logs te ON te.id = t.event_id "
                "CROSS JOIN clones c JOIN event_logs ne ON ne.run_id = c.run_id "
                "AND ne.asset_key = te.asset_key AND ne.dagster_event_type = te.dagster_event_type "
                "WHERE te.run_id = :run"
            ),
            params,
        )
        count = conn.execute(sa.text("SELECT count(*) FROM event_logs")).scalar_one()
    engine.dispose()
    return count


def reuse_templates(names: tuple[str, str], key: str) -> dict | None:
    """The templates of the same shape and day kept by an earlier run, if complete."""
    import sqlalchemy as sa

    home = Path(tempfile.gettempdir()) / f"morning_prepare_{key}"
    if not (home / "served.json").exists():
        return None
    admin = sa.create_engine(f"{SERVER}/postgres")
    with admin.connect() as conn:
        found = conn.execute(
            sa.text("SELECT count(*) FROM pg_database WHERE datname IN (:a, :b)"),
            {"a": names[0], "b": names[1]},
        ).scalar_one()
    admin.dispose()
    return {"home": str(home), "storage": names[0], "orch": names[1]} if found == 2 else None


def analyze_templates(names: tuple[str, str]) -> None:
    """``ANALYZE`` both templates, so each clone starts with the planner statistics a server's
    autovacuum keeps for a real instance after 90 mornings. The seeded rows are bulk copies, and
    a server with autovacuum off (this machine's) never gathers any: without them PostgreSQL
    planned Dagster's query for a run's STEP_START events on 9.7 million events as a bitmap AND
    of the event-type and run-id indexes, 1.3 s each instead of a few ms."""
    import sqlalchemy as sa

    started = time.monotonic()
    for name in names:
        engine = sa.create_engine(f"{SERVER}/{name}", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    click.echo(
        f"  planner statistics of the templates gathered in {time.monotonic() - started:.0f} s"
    )


def prepare(args, day: date, names: tuple[str, str], key: str) -> dict:
    import dagster as dg

    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.db.migrate import upgrade
    from bakery_orchestration.instance import register_tenant_partitions

    storage_url = create_postgres_database(SERVER, names[0])
    orch_url = create_postgres_database(SERVER, names[1]).replace(
        "postgresql:", "postgresql+psycopg2:"
    )
    upgrade(orch_url)
    home = Path(tempfile.gettempdir()) / f"morning_prepare_{key}"
    home.mkdir(exist_ok=True)
    (home / "served.json").unlink(missing_ok=True)  # written last: marks a complete preparation
    write_instance_yaml(home, storage_url, None)
    engine = create_db_engine(orch_url)
    started = time.monotonic()
    with Loopback({}, 0.0) as server:
        tenants, served = prepare_tenants(
            engine, args["tenants"], args["products"], day, server.url
        )
        server.sales.update(served)
        click.echo(
            f"  {len(tenants)} tenants with their history in {time.monotonic() - started:.0f} s"
        )
        instance = dg.DagsterInstance.from_config(str(home))
        register_tenant_partitions(instance, tenants)
        run_id = template_morning(orch_url, instance, tenants[0], day, server.url)
        instance.dispose()
    last = day - timedelta(days=1)
    copy_orchestration_rows(engine, tenants[0].id, args["prior_days"], last)
    engine.dispose()
    days = [last - timedelta(days=n) for n in reversed(range(args["prior_days"]))]
    events = copy_dagster_run(storage_url, run_id, tenants[0].slug, [t.slug for t in tenants], days)
    click.echo(
        f"  prepared in {time.monotonic() - started:.0f} s; {events:,} events in the instance"
    )
    (home / "served.json").write_text(json.dumps([[k[0], k[1], v] for k, v in served.items()]))
    return {"home": str(home), "storage": names[0], "orch": names[1]}


# --- one measured morning ----------------------------------------------------------------------


def one_morning(prepared: dict, args, day: date, repeat: int, floor: bool = False) -> dict:
    """One measured morning from fresh copies of the templates; with ``floor`` the daemon loads
    ``floor_location.py`` instead of the project (the naive Dagster floor, same instance)."""
    import dagster as dg
    import sqlalchemy as sa

    from bakery_orchestration.core.batches import run_tenants
    from bakery_orchestration.db.migrate import upgrade

    served = {
        (s, d): items
        for s, d, items in json.loads(Path(prepared["home"], "served.json").read_text())
    }
    suffix = f"{os.getpid()}_{repeat}{'_floor' if floor else ''}"
    names = (f"bench_morning_dagster_{suffix}", f"bench_morning_orch_{suffix}")
    release_templates(prepared)
    work = Path(tempfile.mkdtemp(prefix="morning_"))
    (work / "dagster_home").mkdir()
    bouncer = None
    try:
        storage_url = create_postgres_database(SERVER, names[0], template=prepared["storage"])
        orch_url = create_postgres_database(SERVER, names[1], template=prepared["orch"])
        upgrade(orch_url.replace("postgresql:", "postgresql+psycopg2:"))  # kept templates may lag
        dagster_url = storage_url
        if args.get("pgbouncer_pool"):
            bouncer, port = start_pgbouncer(work, args["pgbouncer_pool"])
            dagster_url = storage_url.replace(":5432/", f":{port}/")
        write_instance_yaml(work / "dagster_home", dagster_url, args["max_concurrent_runs"])
        with Loopback(served, args["latency_ms"] / 1000) as server:
            point_webhooks(orch_url, server.url)
            env = {
                **os.environ,
                "PYTHONWARNINGS": "ignore",
                "DAGSTER_HOME": str(work / "dagster_home"),
                "BAKERY_HOME": str(work),
                "BAKERY_ENV": "production",
                "BAKERY_DATABASE_URL": orch_url.replace("postgresql:", "postgresql+psycopg2:"),
                "BAKERY_SALES_SERVICE_URL": server.url,
                "BAKERY_SALES_SERVICE_TOKEN": TOKEN,
                "BAKERY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
                "BAKERY_TENANTS_PER_RUN": str(args["tenants_per_run"]),
                "BAKERY_PARTITION_DAYS_KEPT": str(args["prior_days"] + 1),
            }
            env.pop("BAKERY_PARTITION_START", None)
            # Before the tick is chosen: the rebuild takes about a minute at 1,000 tenants.
            status_cursor = (
                None if floor or args.get("stale_status") else rebuild_status_caches(env)
            )
            tick = (datetime.now(ZONE) + TICK_LEAD).replace(second=0, microsecond=0)
            if tick.date() != day:
                raise click.ClickException("the day changed while preparing: run it again")
            env["BAKERY_DAILY_CYCLE_CRON"] = f"{tick.minute} * * * *"
            env["BAKERY_DAILY_CYCLE_HOUR"] = str(tick.hour)
            env["FLOOR_CRON"] = f"{tick.minute} {tick.hour} * * *"
            # As production (deploy/helm): one long-lived code server the daemon reaches over
            # gRPC, which also starts the run workers. With a python_module workspace the local
            # daemon starts its own code server and replaces it about once a minute.
            code_server, workspace = start_code_server(work, env, floor)
            sessions = [code_server.pid] + ([bouncer.pid] if bouncer else [])
            try:
                if not floor:
                    catch_up_alert_sensor(storage_url, env, workspace)
                if status_cursor:
                    set_sensor_cursor("partition_status_sensor", status_cursor, env, workspace)
                if datetime.now(ZONE) > tick - timedelta(seconds=5):
                    raise click.ClickException(
                        f"the daemon would start after the scheduled tick {tick:%H:%M:%S}"
                    )
            except BaseException:
                stop_session(code_server)
                raise
            since = datetime.now(UTC)  # Dagster compares it with UTC creation times
            daemon = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "dagster-daemon"),
                    "run",
                    "-w",
                    workspace,
                ],
                cwd=ROOT,
                env=env,
                stdout=open(work / "daemon.log", "w"),  # noqa: SIM115 - closed with the process
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            sessions.append(daemon.pid)
            sampler = SessionCpu(sessions)
            sampler.start()
            busy_before = machine_busy_cpu()
            instance = dg.DagsterInstance.from_config(str(work / "dagster_home"))
            wait = args["timeout"] + max(0.0, tick.timestamp() - time.time())
            try:
                job = "floor_job" if floor else "daily_cycle_job"
                records = _new_runs(instance, since, args["tenants"], wait, job)
            finally:
                session_cpu = sampler.stop()
                # machine_busy - the processes above: this script (the HTTP servers), the rest
                session_cpu["machine_busy"] = round(machine_busy_cpu() - busy_before, 1)
                session_cpu["outside_sessions"] = round(
                    session_cpu["machine_busy"]
                    - sum(v for k, v in session_cpu.items() if k != "machine_busy"),
                    1,
                )
                stop_session(daemon)
                stop_session(code_server)
            counts = dict(server.counts)
        figures = {} if floor else process_figures(env["BAKERY_DATABASE_URL"])
        engine = sa.create_engine(storage_url)
        with engine.connect() as conn:
            events = conn.execute(sa.text("SELECT count(*) FROM event_logs")).scalar_one()
        engine.dispose()
        print_step_times(instance, records)
        instance.dispose()
        ends = [r.end_time for r in records if r.end_time]
        mine = [figures[r.dagster_run.run_id] for r in records if r.dagster_run.run_id in figures]
        end_to_end = max(ends) - tick.timestamp()
        for r in sorted(records, key=lambda r: r.start_time or 0):
            cpu = figures.get(r.dagster_run.run_id, (float("nan"),))[0]
            click.echo(
                f"    run {r.dagster_run.run_id[:8]}: {len(run_tenants(r.dagster_run))} tenants, "
                f"created +{r.create_timestamp.timestamp() - tick.timestamp():.0f} s, started "
                f"+{(r.start_time or 0) - tick.timestamp():.0f} s, ended "
                f"+{(r.end_time or 0) - tick.timestamp():.0f} s, worker {cpu:.1f} CPU-s, "
                f"{r.dagster_run.status.value}"
            )
        return {
            "end_to_end_s": end_to_end,
            "per_tenant_s": end_to_end / args["tenants"],
            "worker_cpu_per_tenant_s": sum(c for c, _ in mine) / args["tenants"]
            if mine
            else float("nan"),
            "worker_peak_rss_mib": max((r for _, r in mine), default=float("nan")),
            "runs": len(records),
            "failed_runs": sum(
                r.dagster_run.status != dg.DagsterRunStatus.SUCCESS for r in records
            ),
            "sales_requests": counts["sales"],
            "webhook_posts": counts["webhook"],
            "events": events,
            "load_1min": os.getloadavg()[0],
            **{f"session_cpu_{k}_s": v for k, v in sorted(session_cpu.items())},
        }
    finally:
        if bouncer:
            stop_session(bouncer)
        for name in names:
            drop_postgres_database(SERVER, name)


def machine_busy_cpu() -> float:
    """CPU seconds every core of the machine spent not idle (/proc/stat) since boot: the delta
    over the morning includes PostgreSQL, which no session here owns."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def print_step_times(instance, records: list) -> None:
    """Each step's mean and largest duration over the morning's runs (STEP_SUCCESS events)."""
    import dagster as dg

    durations: dict[str, list[float]] = {}
    for record in records:
        for entry in instance.all_logs(
            record.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS
        ):
            event = entry.dagster_event
            durations.setdefault(event.step_key, []).append(
                event.event_specific_data.duration_ms / 1000
            )
    for step, values in sorted(durations.items(), key=lambda item: -sum(item[1])):
        click.echo(
            f"    step {step}: mean {statistics.mean(values):.1f} s, max {max(values):.1f} s "
            f"over {len(values)} runs"
        )


class SessionCpu(threading.Thread):
    """CPU seconds of every process of the given sessions (the code server's: it and the run
    workers it starts; the daemon's) and of PostgreSQL's processes (those already running count
    from the first reading), read from /proc twice a second; a process's last reading counts, so
    one that ends between readings loses at most half a second. Grouped by what it runs."""

    def __init__(self, sessions: list[int]) -> None:
        super().__init__(daemon=True)
        self.sessions, self.seen, self.stopped = set(sessions), {}, threading.Event()
        self.baseline: dict[str, float] = {}
        self.first = True
        self.tick = os.sysconf("SC_CLK_TCK")

    def run(self) -> None:
        while not self.stopped.wait(0.5):
            self.sample()

    def sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
                fields = tail.split()
                postgres = head.endswith("(postgres")
                if not postgres and int(fields[3]) not in self.sessions:  # field 6: session id
                    continue
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError, ValueError):
                continue
            cpu = (int(fields[11]) + int(fields[12])) / self.tick
            if postgres:
                # The server's processes that were there before the morning count from here.
                start = self.baseline.setdefault(entry.name, cpu if self.first else 0.0)
                self.seen[entry.name] = ("postgresql", cpu - start, cmd or "postgres")
                continue
            if not cmd.strip() and entry.name in self.seen:  # a zombie has no command line left
                cmd = self.seen[entry.name][2]
            self.seen[entry.name] = (self._kind(cmd), cpu, cmd)
        self.first = False

    @staticmethod
    def _kind(cmd: str) -> str:
        if "pgbouncer" in cmd:
            return "pgbouncer"
        if "execute_run" in cmd or "execute_step" in cmd or "multiprocessing" in cmd:
            return "run_workers"
        if "grpc" in cmd or "code-server" in cmd:
            return "code_servers"
        return "daemon"

    def stop(self) -> dict[str, float]:
        self.sample()
        self.stopped.set()
        totals: dict[str, float] = {}
        for kind, cpu, cmd in sorted(self.seen.values(), key=lambda seen: -seen[1]):
            totals[kind] = round(totals.get(kind, 0.0) + cpu, 1)
            if cpu >= 1.0:
                click.echo(f"    {cpu:6.1f} CPU-s {kind}: {cmd[:150]}")
        return totals


def start_code_server(work: Path, env: dict, floor: bool) -> tuple[subprocess.Popen, str]:
    """``dagster code-server start`` (deploy/Dockerfile's command) on a free loopback port, in a
    session of its own, and a ``grpc_server`` workspace file that points the daemon at it;
    returns once the server answers a health check."""
    port = free_port()
    target = (
        ["-f", str(ROOT / "benchmarks" / "floor_location.py")]
        if floor
        else [
            "-m",
            "bakery_orchestration.definitions",
        ]
    )
    name = "floor" if floor else "bakery_orchestration"
    dagster = str(Path(sys.executable).parent / "dagster")
    server = subprocess.Popen(
        [dagster, "code-server", "start", "-h", "127.0.0.1", "-p", str(port), *target]
        + ["--location-name", name],
        cwd=ROOT,
        env=env,
        stdout=open(work / f"code_server_{name}.log", "w"),  # noqa: SIM115 - closed with it
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while True:
        check = subprocess.run(
            [dagster, "api", "grpc-health-check", "-p", str(port), "-h", "127.0.0.1"],
            env=env,
            capture_output=True,
        )
        if check.returncode == 0:
            break
        if server.poll() is not None or time.monotonic() > deadline:
            stop_session(server)
            raise click.ClickException(f"the code server did not start: see {work}")
        time.sleep(1)
    workspace = work / f"workspace_{name}.yaml"
    workspace.write_text(
        "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
        f"      port: {port}\n      location_name: {name}\n"
    )
    return server, str(workspace)


def start_pgbouncer(work: Path, pool_size: int) -> tuple[subprocess.Popen, int]:
    """PgBouncer (Debian's ``pgbouncer``) on a free loopback port in front of the local server,
    session pooling: a client's connection is cheap and takes an idle server connection from the
    pool, so Dagster's connection per event no longer starts a PostgreSQL backend each time.
    Session mode keeps every PostgreSQL feature a client may use (Dagster's storage opens a
    connection per operation and closes it, so the server connection returns at once). Returns
    once the port accepts connections."""
    import pwd
    import shutil
    import socket

    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not Path(binary).exists():
        raise click.ClickException(
            "PgBouncer not found: apt-get install pgbouncer, or --pgbouncer 0 for none"
        )
    home = work / "pgbouncer"
    home.mkdir()
    port = free_port()
    (home / "users.txt").write_text('"postgres" ""\n')
    (home / "pgbouncer.ini").write_text(
        "[databases]\n* = host=127.0.0.1 port=5432\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {home / 'users.txt'}\n"
        f"pool_mode = session\ndefault_pool_size = {pool_size}\nmax_client_conn = 2000\n"
        "ignore_startup_parameters = extra_float_digits,options\n"
        # One connection per Dagster event: two log lines each would be most of its work.
        "log_connections = 0\nlog_disconnections = 0\n"
        f"logfile = {home / 'pgbouncer.log'}\n"
    )
    command = [binary, str(home / "pgbouncer.ini")]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        user = pwd.getpwnam("postgres")
        os.chmod(work, 0o755)
        for path in (home, *home.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        command[1:1] = ["-u", "postgres"]
    bouncer = subprocess.Popen(
        command,
        stdout=open(home / "stdout.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return bouncer, port
        except OSError:
            if bouncer.poll() is not None or time.monotonic() > deadline:
                stop_session(bouncer)
                raise click.ClickException(f"PgBouncer did not start: see {home}") from None
            time.sleep(0.2)


def stop_session(process: subprocess.Popen) -> None:
    """SIGTERM to the process's whole session (a code server's run workers included)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:  # after the morning: its figures are already taken
        click.echo(f"    {process.args[:3]} did not stop on SIGTERM in 60 s: SIGKILL")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)


def set_sensor_cursor(name: str, cursor: str, env: dict, workspace: str) -> None:
    """With the public ``dagster sensor cursor --set``, through the running code server."""
    subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "sensor", "cursor", name]
        + ["--set", cursor, "-w", workspace],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def catch_up_alert_sensor(storage_url: str, env: dict, workspace: str) -> None:
    """Set ``alert_sensor``'s cursor past the seeded mornings, as on an instance whose daemon ran
    through those 90 mornings: its first tick would otherwise read the check evaluations of
    every seeded run (90 x tenants runs; with 1,000 tenants that alone kept PostgreSQL and the
    daemon busy for most of an hour)."""
    import sqlalchemy as sa

    engine = sa.create_engine(storage_url)
    with engine.connect() as conn:
        ids = dict(
            conn.execute(
                sa.text(
                    "SELECT dagster_event_type, max(id) FROM event_logs "
                    "WHERE dagster_event_type IN ('PIPELINE_FAILURE', 'PIPELINE_SUCCESS', "
                    "'RUN_FAILURE', 'RUN_SUCCESS') GROUP BY dagster_event_type"
                )
            ).all()
        )
    engine.dispose()
    cursor = {
        "failures": max(ids.get("PIPELINE_FAILURE", -1), ids.get("RUN_FAILURE", -1)),
        "successes": max(ids.get("PIPELINE_SUCCESS", -1), ids.get("RUN_SUCCESS", -1)),
    }
    set_sensor_cursor("alert_sensor", json.dumps(cursor, sort_keys=True), env, workspace)
    click.echo(f"    alert_sensor cursor set past the seeded runs: {cursor}")


STATUS_CATCH_UP = """
import dagster as dg
from bakery_orchestration.automation.status_cache import partition_status_sensor
from bakery_orchestration.definitions import build_definitions
defs, cursor = build_definitions(), None
with dg.DagsterInstance.get() as instance:
    while True:
        context = dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        result = partition_status_sensor(context)
        if isinstance(result, dg.SkipReason):
            break
        cursor = result.cursor
print(cursor)
"""


def rebuild_status_caches(env: dict) -> str:
    """Do what ``partition_status_sensor`` does after the 03:30 reload in production, hours
    before the daily cycle: rebuild every tenant x day asset's status cache. The instance copy's
    caches were never built, so without this the sensor's first ticks would rebuild 8 assets x
    (tenants x prior days) partitions in the code server while the morning's runs start
    (``--stale-status-repeats`` measures that case). Evaluates the sensor itself, with the code
    server's environment, until it skips; returns its cursor for ``set_sensor_cursor``."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", STATUS_CATCH_UP],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    cursor = done.stdout.strip().splitlines()[-1]
    click.echo(
        f"    partition status caches rebuilt in {time.monotonic() - started:.0f} s: {cursor[:80]}"
    )
    return cursor


def point_webhooks(orch_url: str, base: str) -> None:
    """Every tenant's webhook on this repeat's receiver (its port changes per repeat)."""
    import sqlalchemy as sa

    engine = sa.create_engine(orch_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE tenants SET webhook_url = :base || '/hook/' || slug"), {"base": base}
        )
    engine.dispose()


def release_templates(prepared: dict) -> None:
    """Close this process's pooled connections to the templates (the preparation's engines),
    which ``CREATE DATABASE ... TEMPLATE`` refuses to copy while they are open."""
    import sqlalchemy as sa

    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname IN (:a, :b) AND pid <> pg_backend_pid()"
            ),
            {"a": prepared["storage"], "b": prepared["orch"]},
        )
    admin.dispose()


def _new_runs(
    instance, since: datetime, tenants: int, timeout: float, job: str = "daily_cycle_job"
) -> list:
    """The daily runs created since ``since``, once they cover every tenant and all ended."""
    import dagster as dg

    from bakery_orchestration.core.batches import run_tenants

    ended = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
    deadline, seen = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        records = instance.get_run_records(dg.RunsFilter(job_name=job, created_after=since))
        done = sum(r.dagster_run.status in ended for r in records)
        if done != seen:
            seen = done
            click.echo(f"    {time.strftime('%H:%M:%S')}: {len(records)} runs, {done} ended")
        covered = sum(len(run_tenants(r.dagster_run)) for r in records)
        if records and covered >= tenants and done == len(records):
            return records
        time.sleep(2)
    raise click.ClickException(f"timed out after {timeout:.0f} s with {seen} runs ended")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--products", default=30, show_default=True)
@click.option("--repeats", default=3, show_default=True)
@click.option("--tenants-per-run", default=20, show_default=True, help="BAKERY_TENANTS_PER_RUN")
@click.option(
    "--max-concurrent-runs",
    type=int,
    default=2 * (os.cpu_count() or 1),
    show_default="2 per core",
    help="The run queue's limit (production: 200 run pods; the laptop's dagster.yaml: 2).",
)
@click.option("--latency-ms", default=50, show_default=True, help="Sales Service and webhook.")
@click.option("--prior-days", default=90, show_default=True, help="Mornings already in history.")
@click.option("--timeout", default=3600, show_default=True, help="Seconds to wait for the runs.")
@click.option(
    "--floor",
    is_flag=True,
    help="After each morning, the naive Dagster floor (benchmarks/floor_location.py: two trivial "
    "assets per tenant-day, same batches, daemon and instance copy) and the ratio.",
)
@click.option(
    "--pgbouncer",
    "pgbouncer_pool",
    type=int,
    default=20,
    show_default=True,
    help="PgBouncer (session pooling, this many server connections) in front of Dagster's "
    "database, as docs/DEPLOYMENT.md recommends; the orchestration database stays direct. "
    "0: Dagster's storage reached directly.",
)
@click.option(
    "--direct-repeats",
    default=0,
    show_default=True,
    help="With --pgbouncer: after each of the first N mornings, the same morning without "
    "PgBouncer, and the ratio.",
)
@click.option(
    "--stale-status-repeats",
    default=0,
    show_default=True,
    help="After each of the first N mornings, the same morning without bringing "
    "partition_status_sensor up to date first (its first ticks rebuild every status cache "
    "during the morning), and the ratio.",
)
@click.option(
    "--keep-templates",
    is_flag=True,
    help="Keep the prepared template databases, and reuse those of the same shape and day.",
)
def main(**args) -> None:
    """Prepare once, then time --repeats mornings through the daemon from copies."""
    stoppable_children()
    day = datetime.now(ZONE).date()
    # The tenants' webhooks are on the loopback receiver: allowed for this run only.
    os.environ["BAKERY_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    click.echo(
        f"morning: {args['tenants']} tenants x {args['products']} products, "
        f"{args['tenants_per_run']} per run, {args['latency_ms']} ms latency, "
        f"{args['prior_days']} prior mornings; load average {os.getloadavg()}"
    )
    key = f"{args['tenants']}x{args['products']}_p{args['prior_days']}_{day:%Y%m%d}"
    names = (f"bench_morning_tpl_dagster_{key}", f"bench_morning_tpl_orch_{key}")
    results = []
    try:
        prepared = reuse_templates(names, key) if args["keep_templates"] else None
        if prepared:
            click.echo(f"  reusing the templates {names} (kept by an earlier --keep-templates)")
        else:
            for name in names:
                drop_postgres_database(SERVER, name)
            prepared = prepare(args, day, names, key)
        analyze_templates(names)
        for repeat in range(args["repeats"]):
            result = one_morning(prepared, args, day, repeat)
            click.echo(f"  repeat {repeat + 1}: {json.dumps(result)}")
            if args["floor"]:
                floor = one_morning(prepared, args, day, repeat, floor=True)
                click.echo(f"  repeat {repeat + 1}, floor: {json.dumps(floor)}")
                result["floor_end_to_end_s"] = floor["end_to_end_s"]
                result["floor_failed_runs"] = floor["failed_runs"]
                result["morning_over_floor"] = result["end_to_end_s"] / floor["end_to_end_s"]
                for key, value in floor.items():
                    if key.startswith("session_cpu_"):
                        result[f"floor_{key}"] = value
            if args["pgbouncer_pool"] and repeat < args["direct_repeats"]:
                # The same morning with Dagster's storage reached directly, right after.
                direct = one_morning(prepared, {**args, "pgbouncer_pool": None}, day, repeat)
                click.echo(f"  repeat {repeat + 1}, direct: {json.dumps(direct)}")
                for key in ("end_to_end_s", "failed_runs", "session_cpu_machine_busy_s"):
                    result[f"direct_{key}"] = direct[key]
                result["pgbouncer_over_direct"] = result["end_to_end_s"] / direct["end_to_end_s"]
            if repeat < args["stale_status_repeats"]:
                stale = one_morning(prepared, {**args, "stale_status": True}, day, repeat)
                click.echo(f"  repeat {repeat + 1}, stale status: {json.dumps(stale)}")
                for key in (
                    "end_to_end_s",
                    "failed_runs",
                    "worker_cpu_per_tenant_s",
                    "worker_peak_rss_mib",
                    "session_cpu_code_servers_s",
                    "session_cpu_run_workers_s",
                    "session_cpu_postgresql_s",
                    "session_cpu_machine_busy_s",
                ):
                    if key in stale:
                        result[f"stale_{key}"] = stale[key]
                result["stale_over_caught_up"] = stale["end_to_end_s"] / result["end_to_end_s"]
            results.append(result)
    finally:
        if not args["keep_templates"]:
            for name in names:
                drop_postgres_database(SERVER, name)
    click.echo("median (min-max) over the repeats:")
    for key in (
        "end_to_end_s",
        "per_tenant_s",
        "worker_cpu_per_tenant_s",
        "worker_peak_rss_mib",
        "runs",
        "failed_runs",
        "sales_requests",
        "webhook_posts",
        "events",
        "load_1min",
        "session_cpu_daemon_s",
        "session_cpu_code_servers_s",
        "session_cpu_run_workers_s",
        "session_cpu_postgresql_s",
        "session_cpu_pgbouncer_s",
        "session_cpu_outside_sessions_s",
        "session_cpu_machine_busy_s",
        "direct_end_to_end_s",
        "direct_failed_runs",
        "direct_session_cpu_machine_busy_s",
        "pgbouncer_over_direct",
        "stale_end_to_end_s",
        "stale_failed_runs",
        "stale_worker_cpu_per_tenant_s",
        "stale_worker_peak_rss_mib",
        "stale_session_cpu_code_servers_s",
        "stale_session_cpu_run_workers_s",
        "stale_session_cpu_postgresql_s",
        "stale_session_cpu_machine_busy_s",
        "stale_over_caught_up",
        "floor_end_to_end_s",
        "floor_failed_runs",
        "morning_over_floor",
        "floor_session_cpu_daemon_s",
        "floor_session_cpu_code_servers_s",
        "floor_session_cpu_run_workers_s",
    ):
        values = [r[key] for r in results if key in r]
        if values:
            click.echo(f"  {key}: {_spread(values)}")


if __name__ == "__main__":
    main()
