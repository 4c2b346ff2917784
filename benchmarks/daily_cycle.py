"""Cost of the daily cycle per tenant, in process: the whole daily graph (sales, forecast,
validation, planning, summary) with ``execute_in_process`` for N generated bakeries.

Run: .venv/bin/python benchmarks/daily_cycle.py [--tenants 3] [--products 12] [--database-url URL]
     [--tenants-per-run N] [--postgres] [--repeats R]

Each tenant runs twice: the day before (``cold``: no model yet, so the run also fits the demand
model) and the day itself (``warm``: the steady state of every other morning). Prints seconds per
tenant for both, CPU seconds, peak resident memory, and the ratio to the saved baseline of the same
configuration (``--save-baseline`` writes benchmarks/baselines/daily_cycle.json).

``--tenants-per-run N`` runs the tenants as production's schedule does with
``BAKERY_TENANTS_PER_RUN=N``: the batches ``plan_batches`` makes, each one run over a partition
range; a tenant's cost is then its batch run's cost divided by the batch's tenants.
``--postgres`` puts both the orchestration database and Dagster's storage on throwaway databases
of the local PostgreSQL server (production's storage) instead of SQLite files.
``--repeats R`` runs the warm day R times (each on a copy-free re-run of the same day: the
outputs are replaced, as a re-run does) and reports the median.
A catalogue bigger than the demo's 12 products is made of variants of those products (own ids,
recipes and noisier sales), built here so the product code stays as it is.
"""

import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import click
import numpy as np
import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.core.process import peak_rss_mib

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling daemon_tick helpers
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BASELINES = Path(__file__).resolve().parent / "baselines" / "daily_cycle.json"
# Console logging at DEBUG costs time of its own and buries the figures; events are stored anyway.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class RunCost:
    tenant: str
    phase: str
    wall_s: float
    cpu_s: float
    success: bool
    traced_peak_mib: float | None
    repeat: int = 0


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _variants(frame: pd.DataFrame, products: int, id_column: str) -> pd.DataFrame:
    """``products`` rows: the demo rows, then numbered copies of them with ids ``<id>-v<n>``."""
    extra = products - len(frame)
    if extra <= 0:
        return frame
    copies = frame.iloc[[i % len(frame) for i in range(extra)]].copy()
    copies[id_column] = [f"{pid}-v{i // len(frame) + 1}" for i, pid in enumerate(copies[id_column])]
    if "name" in copies:
        copies["name"] = [f"{n} {i // len(frame) + 1}" for i, n in enumerate(copies["name"])]
    return pd.concat([frame, copies], ignore_index=True)


def _variant_sales(sales: pd.DataFrame, ids: list[str], seed: int) -> pd.DataFrame:
    """Sales of each variant: its base product's units rescaled by a per-variant factor."""
    rng = np.random.default_rng(seed)
    frames = [sales]
    for variant in ids:
        base = variant.rsplit("-v", 1)[0]
        rows = sales[sales["product"] == base].copy()
        rows["product"] = variant
        rows["quantity"] = rng.poisson(rows["quantity"].to_numpy() * rng.uniform(0.2, 1.0))
        frames.append(rows[rows["quantity"] > 0].astype({"quantity": float}))
    return pd.concat(frames, ignore_index=True)


def widen_catalogue(engine: sa.Engine, tenant, bakery, day: date, products: int, history: int):
    """Give a prepared demo tenant ``products`` products: master data, recipes, sales, landing."""
    from bakery_orchestration.core import settings
    from bakery_orchestration.demo.generator import demo_products, demo_sales
    from bakery_orchestration.demo.landing import write_landing_files
    from bakery_orchestration.demo.planning_data import demo_planning_data
    from bakery_orchestration.planning import master_data
    from bakery_orchestration.sales.history import store_sales_history
    from bakery_orchestration.tenants import registry

    catalogue = _variants(demo_products(bakery), products, "product_id")
    registry.upsert_products(engine, bakery.slug, catalogue)
    recipes = demo_planning_data(bakery, day)["recipes"]
    extra_ids = catalogue["product_id"].iloc[len(demo_products(bakery)) :].tolist()
    by_base = {pid: recipes[recipes["product_id"] == pid] for pid in recipes["product_id"]}
    variant_recipes = [by_base[pid.rsplit("-v", 1)[0]].assign(product_id=pid) for pid in extra_ids]
    master_data.replace(
        engine, bakery.slug, "recipes", pd.concat([recipes, *variant_recipes]), source="benchmark"
    )
    sales = demo_sales(bakery, day - timedelta(days=history), day - timedelta(days=1))
    sales = _variant_sales(sales, extra_ids, seed=len(bakery.slug))
    cutoff = pd.to_datetime(sales["date"]) < pd.Timestamp(day - timedelta(days=2))
    if engine.dialect.name == "postgresql":  # COPY the new products' rows: minutes faster
        from morning import copy_history

        copy_history(engine, tenant.id, sales[cutoff & sales["product"].isin(extra_ids)])
    else:
        store_sales_history(engine, tenant.id, sales[cutoff])
    write_landing_files(settings.landing_dir(), bakery.slug, sales[~cutoff])


def prepare(database_url: str, tenants: int, products: int, day: date, history: int) -> list:
    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.db.migrate import ensure_schema
    from bakery_orchestration.demo.generator import demo_bakeries
    from bakery_orchestration.demo.run import prepare_tenants

    ensure_schema(database_url)
    engine = create_db_engine(database_url)
    try:
        prepared = prepare_tenants(engine, tenants, day, history_days=history)
        for tenant, bakery in zip(prepared, demo_bakeries(tenants), strict=True):
            widen_catalogue(engine, tenant, bakery, day, products, history)
    finally:
        engine.dispose()
    return prepared


def _instance(dagster_home: str, storage_url: str | None):
    import dagster as dg

    if storage_url is None:
        return dg.DagsterInstance.local_temp(dagster_home)
    (Path(dagster_home) / "dagster.yaml").write_text(
        f"storage:\n  postgres:\n    postgres_url: {storage_url}\n"
    )
    return dg.DagsterInstance.from_config(dagster_home)


def run_cycles(
    database_url: str,
    prepared: list,
    day: date,
    trace: bool,
    profile: str | None = None,
    *,
    tenants_per_run: int = 1,
    storage_url: str | None = None,
    repeats: int = 1,
) -> list[RunCost]:
    import cProfile

    from bakery_orchestration.core.batches import plan_batches
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.instance import register_tenant_partitions
    from bakery_orchestration.resources import local_resources

    defs = build_definitions(local_resources(database_url))
    job = defs.resolve_job_def("daily_cycle_job")
    costs = []
    with tempfile.TemporaryDirectory() as dagster_home:
        instance = _instance(dagster_home, storage_url)
        register_tenant_partitions(instance, prepared)
        order = instance.get_dynamic_partitions("tenant")
        phases = [("cold", day - timedelta(days=1))] + [("warm", day)] * repeats
        for repeat, (phase, run_day) in enumerate(phases):
            batches = plan_batches(((t.slug, run_day, 0) for t in prepared), order, tenants_per_run)
            for batch in batches:
                if trace:
                    tracemalloc.start()
                profiler = (
                    cProfile.Profile(time.process_time) if profile and phase == "warm" else None
                )  # CPU time, not wall: a loaded machine or a slow disk would blur it
                wall, cpu = time.perf_counter(), _cpu_seconds()
                if profiler:
                    profiler.enable()
                result = job.execute_in_process(
                    partition_key=batch.partition_key,
                    tags=batch.tags(),
                    instance=instance,
                    run_config=QUIET,
                    raise_on_error=False,
                )
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(f"{profile}.{batch.tenants[0]}")
                wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
                peak = None
                if trace:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                size = len(batch.tenants)
                for slug in batch.tenants:
                    costs.append(
                        RunCost(slug, phase, wall / size, cpu / size, result.success, peak, repeat)
                    )
                click.echo(
                    f"  {phase} {batch.run_key}: {wall:.2f} s wall, {cpu:.2f} s CPU for {size} "
                    f"tenant(s), {cpu / size:.2f} CPU-s per tenant, "
                    f"{'ok' if result.success else 'FAILED'}"
                    + (f", traced peak {peak:.0f} MiB" if peak is not None else "")
                )
        instance.dispose()
    return costs


def summarize(costs: list[RunCost]) -> dict:
    summary = {}
    for phase in ("cold", "warm"):
        runs = [c for c in costs if c.phase == phase]
        per_repeat = {}
        for c in runs:
            per_repeat.setdefault(c.repeat, []).append(c)
        cpu = [sum(c.cpu_s for c in r) / len(r) for r in per_repeat.values()]
        wall = [sum(c.wall_s for c in r) / len(r) for r in per_repeat.values()]
        summary[phase] = {
            "wall_s_per_tenant": round(statistics.median(wall), 3),
            "cpu_s_per_tenant": round(statistics.median(cpu), 3),
            "cpu_s_per_tenant_min_max": [round(min(cpu), 3), round(max(cpu), 3)],
            "repeats": len(per_repeat),
            "max_wall_s": round(max(c.wall_s for c in runs), 3),
            "failed": sum(not c.success for c in runs),
        }
    summary["peak_rss_mib"] = round(peak_rss_mib(), 1)
    summary["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    return summary


def _baseline_key(tenants: int, products: int, dialect: str, per_run: int = 1) -> str:
    key = f"{dialect}:tenants={tenants}:products={products}"
    return key if per_run == 1 else f"{key}:per_run={per_run}"


@click.command()
@click.option("--tenants", default=3, show_default=True)
@click.option("--products", default=12, show_default=True, help="Products per tenant (>= 12).")
@click.option("--history-days", default=730, show_default=True)
@click.option("--day", default="2026-03-02", show_default=True, help="The warm run's date.")
@click.option("--database-url", default=None, help="Default: a SQLite file in a temp folder.")
@click.option("--tenants-per-run", default=1, show_default=True, help="As BAKERY_TENANTS_PER_RUN.")
@click.option("--postgres", is_flag=True, help="Both databases on throwaway PostgreSQL databases.")
@click.option("--repeats", default=1, show_default=True, help="Warm runs of the same day.")
@click.option("--tracemalloc", "trace", is_flag=True, help="Peak Python allocation per run.")
@click.option("--save-baseline", is_flag=True, help="Store this result as the baseline.")
@click.option("--json-out", type=click.Path(dir_okay=False), default=None)
@click.option(
    "--profile",
    type=click.Path(dir_okay=False),
    default=None,
    help="cProfile each warm run into PROFILE.<tenant> (pstats; adds its own overhead).",
)
def main(
    tenants,
    products,
    history_days,
    day,
    database_url,
    tenants_per_run,
    postgres,
    repeats,
    trace,
    save_baseline,
    json_out,
    profile,
):
    """Time the daily cycle for N generated tenants and print the figures."""
    from daemon_tick import create_postgres_database, drop_postgres_database

    names = [f"bench_cycle_{kind}_{os.getpid()}" for kind in ("orch", "dagster")]
    click.echo(f"load average at the start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKERY_HOME"] = home
        storage_url = None
        if postgres:
            database_url = create_postgres_database(PG_SERVER, names[0])
            database_url = database_url.replace("postgresql://", "postgresql+psycopg2://")
            storage_url = create_postgres_database(PG_SERVER, names[1])
        url = database_url or f"sqlite:///{home}/orchestration.db"
        run_day = date.fromisoformat(day)
        started = time.perf_counter()
        try:
            prepared = prepare(url, tenants, products, run_day, history_days)
            click.echo(
                f"prepared {tenants} tenants x {products} products in "
                f"{time.perf_counter() - started:.1f} s"
            )
            costs = run_cycles(
                url,
                prepared,
                run_day,
                trace,
                profile,
                tenants_per_run=tenants_per_run,
                storage_url=storage_url,
                repeats=repeats,
            )
        finally:
            if postgres:
                for name in names:
                    drop_postgres_database(PG_SERVER, name)
    summary = summarize(costs)
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    key = _baseline_key(tenants, products, dialect, tenants_per_run)
    for phase in ("cold", "warm"):
        s = summary[phase]
        click.echo(
            f"{phase}: {s['wall_s_per_tenant']:.2f} s/tenant wall (max {s['max_wall_s']:.2f}), "
            f"{s['cpu_s_per_tenant']:.2f} s/tenant CPU (median of {s['repeats']}, "
            f"min-max {s['cpu_s_per_tenant_min_max']}), {s['failed']} failed"
        )
    click.echo(f"peak RSS of the process: {summary['peak_rss_mib']:.0f} MiB")
    click.echo(f"load average (1 min) at the end: {summary['load_average_1m_at_end']:.2f}")
    baselines = json.loads(BASELINES.read_text()) if BASELINES.exists() else {}
    if key in baselines:
        for measure in ("wall_s_per_tenant", "cpu_s_per_tenant"):
            base = baselines[key]["warm"][measure]
            ratio = summary["warm"][measure] / base
            click.echo(f"warm {measure} vs baseline {key}: {ratio:.2f}x (baseline {base:.2f} s)")
    if save_baseline:
        baselines[key] = summary
        BASELINES.parent.mkdir(exist_ok=True)
        BASELINES.write_text(json.dumps(baselines, indent=2, sort_keys=True) + "\n")
    if json_out:
        Path(json_out).write_text(
            json.dumps({"summary": summary, "runs": [asdict(c) for c in costs]}, indent=2)
        )


if __name__ == "__main__":
    main()
