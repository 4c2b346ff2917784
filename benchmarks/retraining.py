"""The weekly retraining's cost per tenant, alone and in batches, in process.

Run: .venv/bin/python benchmarks/retraining.py [--tenants 10] [--products 150] [--repeats 3]
     [--postgres]

Prepares N generated tenants with P products and two years of sales (``daily_cycle.prepare``),
then, per repeat, retrains every tenant through the real ``retrain_model_job``:

- ``alone``: one run per tenant (``BAKERY_RETRAIN_TENANTS_PER_RUN=1``);
- ``batch``: one run over the range of all N tenants (what the weekly schedule sends with
  ``BAKERY_RETRAIN_TENANTS_PER_RUN >= N``).

It also times, in a fresh Python process, the import of the code location a run worker pays before
any work (``import bakery_orchestration.definitions``), the fixed cost a batch shares. Prints CPU
seconds per tenant for both ways (median of the repeats, min-max), their ratio measured in the
same run, the import cost, peak RSS and the load average.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import click

from bakery_orchestration.core.process import peak_rss_mib

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_tick import create_postgres_database, drop_postgres_database  # noqa: E402
from daily_cycle import PG_SERVER, QUIET, prepare  # noqa: E402


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def import_cost() -> float:
    """CPU seconds of a fresh process that imports the code location (a run worker's floor)."""
    code = "import bakery_orchestration.definitions as d; d.defs"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def retrain(job, instance, slugs: list[str], as_of: date) -> tuple[float, bool]:
    config = {"ops": {"forecast_model": {"config": {"as_of": as_of.isoformat()}}}}
    run_config = {**QUIET, **config}
    started = _cpu()
    if len(slugs) == 1:
        result = job.execute_in_process(
            partition_key=slugs[0], instance=instance, run_config=run_config, raise_on_error=False
        )
    else:
        tags = {
            "dagster/asset_partition_range_start": slugs[0],
            "dagster/asset_partition_range_end": slugs[-1],
        }
        result = job.execute_in_process(
            tags=tags, instance=instance, run_config=run_config, raise_on_error=False
        )
    return _cpu() - started, result.success


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--products", default=150, show_default=True)
@click.option("--repeats", default=3, show_default=True)
@click.option("--history-days", default=730, show_default=True)
@click.option("--day", default="2026-03-02", show_default=True, help="The models' as_of.")
@click.option("--postgres", is_flag=True, help="The orchestration database on PostgreSQL.")
def main(tenants, products, repeats, history_days, day, postgres):
    """Time the weekly retraining alone and in one batch run, and print the figures."""
    import dagster as dg

    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.instance import register_tenant_partitions
    from bakery_orchestration.resources import local_resources

    click.echo(f"load average at the start: {os.getloadavg()}")
    as_of = date.fromisoformat(day)
    name = f"bench_retrain_{os.getpid()}"
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKERY_HOME"] = home
        url = f"sqlite:///{home}/orchestration.db"
        if postgres:
            url = create_postgres_database(PG_SERVER, name).replace(
                "postgresql://", "postgresql+psycopg2://"
            )
        try:
            started = time.perf_counter()
            prepared = prepare(url, tenants, products, as_of + timedelta(days=1), history_days)
            click.echo(f"prepared in {time.perf_counter() - started:.0f} s")
            job = build_definitions(local_resources(url)).resolve_job_def("retrain_model_job")
            slugs = [t.slug for t in prepared]
            figures = {"alone": [], "batch": [], "import": []}
            with tempfile.TemporaryDirectory() as dagster_home:
                instance = dg.DagsterInstance.local_temp(dagster_home)
                register_tenant_partitions(instance, prepared)
                for repeat in range(repeats):
                    alone = [retrain(job, instance, [slug], as_of) for slug in slugs]
                    batch = retrain(job, instance, slugs, as_of)
                    if not all(ok for _, ok in alone) or not batch[1]:
                        raise click.ClickException("a retraining run failed")
                    figures["alone"].append(sum(cpu for cpu, _ in alone) / tenants)
                    figures["batch"].append(batch[0] / tenants)
                    figures["import"].append(import_cost())
                    click.echo(
                        f"  repeat {repeat + 1}: alone {figures['alone'][-1]:.2f}, batch "
                        f"{figures['batch'][-1]:.2f} CPU-s per tenant; import "
                        f"{figures['import'][-1]:.2f} CPU-s"
                    )
                instance.dispose()
        finally:
            if postgres:
                drop_postgres_database(PG_SERVER, name)

    def spread(values):
        return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"

    click.echo(f"{tenants} tenants x {products} products, median (min-max) of {repeats}:")
    click.echo(f"  one run per tenant, in process: {spread(figures['alone'])} CPU-s per tenant")
    click.echo(
        f"  one run for all {tenants}, in process: {spread(figures['batch'])} CPU-s per tenant"
    )
    ratios = [b / a for a, b in zip(figures["alone"], figures["batch"], strict=True)]
    click.echo(f"  batch / alone, same repeat: {spread(ratios)}")
    click.echo(f"  a run worker's import of the code location: {spread(figures['import'])} CPU-s")
    click.echo(f"peak RSS {peak_rss_mib():.0f} MiB")
    click.echo(f"load average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
