"""One morning through the real machinery: N tenants, the daily_cycle_schedule ticking in a real
``dagster-daemon``, runs going through the queue (the project's dagster.yaml: 2 runs at once, one
per tenant) and launched as run worker subprocesses, until every run has ended.

Run: .venv/bin/python benchmarks/daemon_tick.py [--tenants 10] [--storage-url postgresql://...]

Instance storage is SQLite in a temporary DAGSTER_HOME unless ``--storage-url`` points at a
PostgreSQL database. Tenant models are trained beforehand (``--no-pretrain`` to include the fit),
so the figure is the steady-state morning. The schedule is made to tick every minute at the
tenants' local hour at one minute a few minutes ahead, so exactly one tick is the morning's tick:
a schedule dedupes run keys only within one tick, so a second matching tick would run every tenant
again.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click

ROOT = Path(__file__).resolve().parents[1]
TENANT_ZONE = "Europe/Madrid"  # the demo bakeries are in Spain and France: same offset
TICK_LEAD = timedelta(minutes=5)  # time to prepare the tenants before the tick


def prepare(database_url: str, tenants: int, day: date, pretrain: bool) -> list:
    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.db.migrate import ensure_schema
    from bakery_orchestration.demo.run import prepare_tenants
    from bakery_orchestration.forecasting.service import train_model

    ensure_schema(database_url)
    engine = create_db_engine(database_url)
    try:
        prepared = prepare_tenants(engine, tenants, day)
        if pretrain:
            for tenant in prepared:
                train_model(engine, tenant, day, reason="benchmark")
    finally:
        engine.dispose()
    return prepared


def write_instance_yaml(home: Path, storage_url: str | None) -> None:
    text = (ROOT / "dagster.yaml").read_text()
    if storage_url:
        text += f"\nstorage:\n  postgres:\n    postgres_url: {storage_url}\n"
    (home / "dagster.yaml").write_text(text)


def wait_for_runs(instance, expected: int, timeout: float, started: float) -> list:
    import dagster as dg

    finished = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}
    finished.add(dg.DagsterRunStatus.CANCELED)
    seen = -1
    while time.monotonic() - started < timeout:
        records = instance.get_run_records(dg.RunsFilter(job_name="daily_cycle_job"))
        done = [r for r in records if r.dagster_run.status in finished]
        if len(done) != seen:
            seen = len(done)
            click.echo(f"  {time.monotonic() - started:6.1f} s: {len(records)} runs, {seen} ended")
        if len(records) >= expected and len(done) == len(records):
            return records
        time.sleep(2)
    raise click.ClickException(f"timed out after {timeout:.0f} s with {seen} runs ended")


def report(records: list, daemon_started: float, wall: float) -> None:
    created = min(r.create_timestamp.timestamp() for r in records)
    ends = [r.end_time for r in records if r.end_time]
    durations = sorted(r.end_time - r.start_time for r in records if r.start_time and r.end_time)
    failed = sum(r.dagster_run.status.value != "SUCCESS" for r in records)
    first_tick = created - daemon_started
    click.echo(f"runs: {len(records)} ({failed} not successful)")
    click.echo(f"daemon start -> first run created: {first_tick:.1f} s")
    click.echo(f"first run created -> last run ended: {max(ends) - created:.1f} s")
    click.echo(f"  = {(max(ends) - created) / len(records):.1f} s per tenant with the queue at 2")
    click.echo(
        f"run duration (start -> end, incl. process start): median "
        f"{durations[len(durations) // 2]:.1f} s, min {durations[0]:.1f}, max {durations[-1]:.1f}"
    )
    click.echo(f"daemon start -> all runs ended: {wall:.1f} s")
    click.echo(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--storage-url", default=None, help="PostgreSQL URL for Dagster's own storage.")
@click.option("--pretrain/--no-pretrain", default=True, show_default=True)
@click.option("--timeout", default=1800, show_default=True, help="Seconds to wait for the runs.")
def main(tenants: int, storage_url: str | None, pretrain: bool, timeout: int) -> None:
    """Start dagster-daemon on a fresh instance and time one morning for N tenants."""
    tick = datetime.now(ZoneInfo(TENANT_ZONE)) + TICK_LEAD
    work = Path(tempfile.mkdtemp(prefix="daemon_tick_"))
    home, dagster_home = work / "bakery_home", work / "dagster_home"
    dagster_home.mkdir(parents=True)
    env = {
        **os.environ,
        "BAKERY_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "BAKERY_ENV": "local",
        "BAKERY_DAILY_CYCLE_CRON": f"{tick.minute} * * * *",
        "BAKERY_DAILY_CYCLE_HOUR": str(tick.hour),
    }
    os.environ.update(env)
    write_instance_yaml(dagster_home, storage_url)
    database_url = f"sqlite:///{home / 'orchestration.db'}"
    started = time.monotonic()
    prepared = prepare(database_url, tenants, tick.date(), pretrain)
    click.echo(
        f"prepared {tenants} tenants (pretrain={pretrain}) in {time.monotonic() - started:.1f} s"
    )

    import dagster as dg

    from bakery_orchestration.instance import register_tenant_partitions

    instance = dg.DagsterInstance.get()
    register_tenant_partitions(instance, prepared)
    if datetime.now(ZoneInfo(TENANT_ZONE)) > tick - timedelta(seconds=30):
        raise click.ClickException("preparing took longer than TICK_LEAD: raise it")
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        stdout=open(work / "daemon.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    daemon_started = time.time()
    clock = time.monotonic()
    try:
        records = wait_for_runs(instance, tenants, timeout, clock)
        report(records, daemon_started, time.monotonic() - clock)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        instance.dispose()
        click.echo(f"daemon log: {work / 'daemon.log'}")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
