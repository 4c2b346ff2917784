"""Cost of the daily cycle per tenant, in process: the whole daily graph (sales, forecast,
validation, planning, summary) with ``execute_in_process`` for N generated bakeries.

Run: .venv/bin/python benchmarks/daily_cycle.py [--tenants 3] [--products 12] [--database-url URL]

Each tenant runs twice: the day before (``cold``: no model yet, so the run also fits the demand
model) and the day itself (``warm``: the steady state of every other morning). Prints seconds per
tenant for both, CPU seconds, peak resident memory, and the ratio to the saved baseline of the same
configuration (``--save-baseline`` writes benchmarks/baselines/daily_cycle.json).
A catalogue bigger than the demo's 12 products is made of variants of those products (own ids,
recipes and noisier sales), built here so the product code stays as it is.
"""

import json
import os
import resource
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


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


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


def run_cycles(
    database_url: str, prepared: list, day: date, trace: bool, profile: str | None = None
) -> list[RunCost]:
    import cProfile

    import dagster as dg

    from bakery_orchestration.core.partitions import partition_key
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.instance import register_tenant_partitions
    from bakery_orchestration.resources import local_resources

    defs = build_definitions(local_resources(database_url))
    job = defs.resolve_job_def("daily_cycle_job")
    costs = []
    with tempfile.TemporaryDirectory() as dagster_home:
        instance = dg.DagsterInstance.local_temp(dagster_home)
        register_tenant_partitions(instance, prepared)
        for phase, run_day in (("cold", day - timedelta(days=1)), ("warm", day)):
            for tenant in prepared:
                if trace:
                    tracemalloc.start()
                profiler = cProfile.Profile() if profile and phase == "warm" else None
                wall, cpu = time.perf_counter(), _cpu_seconds()
                if profiler:
                    profiler.enable()
                result = job.execute_in_process(
                    partition_key=partition_key(tenant.slug, run_day),
                    instance=instance,
                    run_config=QUIET,
                    raise_on_error=False,
                )
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(f"{profile}.{tenant.slug}")
                wall, cpu = time.perf_counter() - wall, _cpu_seconds() - cpu
                peak = None
                if trace:
                    peak = tracemalloc.get_traced_memory()[1] / 2**20
                    tracemalloc.stop()
                costs.append(RunCost(tenant.slug, phase, wall, cpu, result.success, peak))
                click.echo(
                    f"  {phase} {tenant.slug}: {wall:.2f} s wall, {cpu:.2f} s CPU, "
                    f"{'ok' if result.success else 'FAILED'}"
                    + (f", traced peak {peak:.0f} MiB" if peak is not None else "")
                )
        instance.dispose()
    return costs


def summarize(costs: list[RunCost]) -> dict:
    summary = {}
    for phase in ("cold", "warm"):
        runs = [c for c in costs if c.phase == phase]
        summary[phase] = {
            "wall_s_per_tenant": round(sum(c.wall_s for c in runs) / len(runs), 3),
            "cpu_s_per_tenant": round(sum(c.cpu_s for c in runs) / len(runs), 3),
            "max_wall_s": round(max(c.wall_s for c in runs), 3),
            "failed": sum(not c.success for c in runs),
        }
    summary["peak_rss_mib"] = round(_peak_rss_mib(), 1)
    summary["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    return summary


def _baseline_key(tenants: int, products: int, dialect: str) -> str:
    return f"{dialect}:tenants={tenants}:products={products}"


@click.command()
@click.option("--tenants", default=3, show_default=True)
@click.option("--products", default=12, show_default=True, help="Products per tenant (>= 12).")
@click.option("--history-days", default=730, show_default=True)
@click.option("--day", default="2026-03-02", show_default=True, help="The warm run's date.")
@click.option("--database-url", default=None, help="Default: a SQLite file in a temp folder.")
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
    tenants, products, history_days, day, database_url, trace, save_baseline, json_out, profile
):
    """Time the daily cycle for N generated tenants and print the figures."""
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKERY_HOME"] = home
        url = database_url or f"sqlite:///{home}/orchestration.db"
        run_day = date.fromisoformat(day)
        started = time.perf_counter()
        prepared = prepare(url, tenants, products, run_day, history_days)
        click.echo(
            f"prepared {tenants} tenants x {products} products in "
            f"{time.perf_counter() - started:.1f} s"
        )
        costs = run_cycles(url, prepared, run_day, trace, profile)
    summary = summarize(costs)
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    key = _baseline_key(tenants, products, dialect)
    for phase in ("cold", "warm"):
        s = summary[phase]
        click.echo(
            f"{phase}: {s['wall_s_per_tenant']:.2f} s/tenant wall (max {s['max_wall_s']:.2f}), "
            f"{s['cpu_s_per_tenant']:.2f} s/tenant CPU, {s['failed']} failed"
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
