"""One morning through the real machinery: N tenants, the daily_cycle_schedule ticking in a real
``dagster-daemon``, runs going through the queue (the project's dagster.yaml: 2 runs at once, one
per tenant) and launched as run worker subprocesses, until every run has ended.

Run: .venv/bin/python benchmarks/daemon_tick.py [--tenants 10] [--tenants-per-run 10] [--postgres]

Instance storage is SQLite in a temporary DAGSTER_HOME and the orchestration database SQLite,
unless ``--postgres``: then both live in two fresh databases on the local PostgreSQL server
(``--postgres-server``), dropped afterwards; ``--storage-url`` points Dagster's storage at a
given PostgreSQL database instead. ``--tenants-per-run`` sets ``BAKERY_TENANTS_PER_RUN`` for the
schedule (tenant batches, see bakery_orchestration/core/batches.py).

After the morning, the same job runs once more in this process for one tenant (a warm re-run of
the same day): its CPU seconds are the in-process compute the end-to-end time is compared with.

Tenant models are trained beforehand (``--no-pretrain`` to include the fit), so the figure is
the steady-state morning. Once the tenants are ready, the schedule is set to tick at a minute
just ahead, at the tenants' local hour, so exactly one tick is the morning's tick.
"""

import os
import shutil
import signal
import socket
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
TICK_LEAD = timedelta(seconds=90)  # the daemon and its code server start before the tick


def prepare(database_url: str, tenants: int, day: date, pretrain: bool) -> list:
    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.db.migrate import ensure_schema
    from bakery_orchestration.demo.run import prepare_tenants
    from bakery_orchestration.forecasting.service import train_model

    ensure_schema(database_url)
    engine = create_db_engine(database_url)
    try:
        prepared = prepare_tenants(engine, tenants, day, landing_days=1)
        if pretrain:
            for tenant in prepared:
                train_model(engine, tenant, day, reason="benchmark")
    finally:
        engine.dispose()
    return prepared


def stoppable_children() -> None:
    """Let the Dagster processes this benchmark starts stop on SIGTERM.

    Dagster's servers and daemon map SIGTERM to SIGINT's handler. A benchmark started in the
    background of a non-interactive shell (``nohup ... &``) inherits SIGINT ignored, passes that
    on through exec, and its code server then ignored SIGTERM too (session 7 killed it after
    60 s). A handler of our own is not inherited: children start with the default again."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def free_port() -> int:
    """A TCP port free on the loopback interface right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_instance_yaml(home: Path, storage_url: str | None, max_concurrent: int | None) -> None:
    text = (ROOT / "dagster.yaml").read_text()
    if max_concurrent is not None:
        text = text.replace("max_concurrent_runs: 2", f"max_concurrent_runs: {max_concurrent}")
    if storage_url:
        text += f"\nstorage:\n  postgres:\n    postgres_url: {storage_url}\n"
    (home / "dagster.yaml").write_text(text)


def covered_tenants(records: list) -> int:
    from bakery_orchestration.core.batches import run_tenants

    return sum(len(run_tenants(r.dagster_run)) for r in records)


def wait_for_runs(instance, tenants: int, timeout: float, started: float) -> list:
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
        if covered_tenants(records) >= tenants and len(done) == len(records):
            return records
        time.sleep(1)
    raise click.ClickException(f"timed out after {timeout:.0f} s with {seen} runs ended")


def process_figures(database_url: str) -> dict[str, tuple[float, float]]:
    """Per Dagster run: (CPU seconds, peak RSS MiB) of its worker process at its last step
    output, from the audit step log (written by the run itself, no sensor needed)."""
    import sqlalchemy as sa

    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.db.schema import orchestration_runs as runs
    from bakery_orchestration.db.schema import orchestration_step_logs as log

    engine = create_db_engine(database_url)
    query = sa.select(runs.c.run_metadata, log.c.details).join(
        runs, runs.c.run_number == log.c.run_number
    )
    try:
        with engine.connect() as conn:
            rows = conn.execute(query).all()
    finally:
        engine.dispose()
    figures: dict[str, tuple[float, float]] = {}
    for metadata, details in rows:
        if not (metadata and details and "process_cpu_seconds" in details):
            continue
        cpu, rss = figures.get(metadata["dagster_run_id"], (0.0, 0.0))
        figures[metadata["dagster_run_id"]] = (
            max(cpu, details["process_cpu_seconds"]),
            max(rss, details.get("process_peak_rss_mb", 0.0)),
        )
    return figures


def in_process_reference(
    database_url: str, instance, tenant: str, day: date
) -> tuple[float, float]:
    """(CPU s, wall s) of one warm tenant-day of the daily job run in this process."""
    import resource

    from bakery_orchestration.core.partitions import partition_key
    from bakery_orchestration.definitions import build_definitions
    from bakery_orchestration.resources import local_resources

    job = build_definitions(local_resources(database_url)).resolve_job_def("daily_cycle_job")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    key = partition_key(tenant, day)
    job.execute_in_process(partition_key=key, instance=instance, run_config=quiet)  # warm-up
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    result = job.execute_in_process(partition_key=key, instance=instance, run_config=quiet)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    if not result.success:
        raise click.ClickException("the in-process reference run failed")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return cpu, wall


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else float("nan")


def report(records, tick, wall, tenants, figures, reference) -> None:
    created = min(r.create_timestamp.timestamp() for r in records)
    ends = [r.end_time for r in records if r.end_time]
    durations = sorted(r.end_time - r.start_time for r in records if r.start_time and r.end_time)
    failed = sum(r.dagster_run.status.value != "SUCCESS" for r in records)
    span = max(ends) - created
    per_tenant = span / tenants
    cpu = [figures[r.dagster_run.run_id][0] for r in records if r.dagster_run.run_id in figures]
    rss = [figures[r.dagster_run.run_id][1] for r in records if r.dagster_run.run_id in figures]
    ref_cpu, ref_wall = reference
    click.echo(f"runs: {len(records)} for {covered_tenants(records)} tenants ({failed} failed)")
    click.echo(f"scheduled tick -> first run created: {created - tick:.1f} s")
    click.echo(f"first run created -> last run ended: {span:.1f} s")
    click.echo(f"scheduled tick -> last run ended: {max(ends) - tick:.1f} s (end to end)")
    click.echo(f"  = {per_tenant:.2f} s per tenant (amortized)")
    click.echo(
        f"run duration (start -> end): median {median(durations):.1f} s, "
        f"min {durations[0]:.1f}, max {durations[-1]:.1f}"
    )
    click.echo(
        f"worker CPU per run: median {median(cpu):.1f} s, max {max(cpu, default=0):.1f}; "
        f"per tenant {sum(cpu) / tenants:.2f} s"
    )
    click.echo(
        f"worker peak RSS per run: median {median(rss):.0f} MiB, max {max(rss, default=0):.0f}"
    )
    click.echo(
        f"in-process reference, one warm tenant: {ref_cpu:.2f} CPU-s ({ref_wall:.2f} s wall)"
    )
    click.echo(
        f"ratio end-to-end per tenant / in-process CPU per tenant: {per_tenant / ref_cpu:.2f}"
    )
    click.echo(f"daemon start -> all runs ended: {wall:.1f} s")
    click.echo(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")


def registered_tenants(database_url: str) -> list:
    from bakery_orchestration.db.engine import create_db_engine
    from bakery_orchestration.tenants.registry import list_tenants

    engine = create_db_engine(database_url)
    try:
        return sorted(list_tenants(engine), key=lambda t: int(t.slug.rsplit("-", 1)[-1]))
    finally:
        engine.dispose()


def create_postgres_database(server: str, name: str, template: str | None = None) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return f"{server}/{name}"


def drop_postgres_database(server: str, name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--tenants-per-run", default=1, show_default=True, help="BAKERY_TENANTS_PER_RUN")
@click.option("--max-concurrent-runs", type=int, default=None, help="Default: dagster.yaml (2).")
@click.option("--postgres", is_flag=True, help="Both databases on the local PostgreSQL server.")
@click.option(
    "--postgres-server", default="postgresql://postgres@127.0.0.1:5432", show_default=True
)
@click.option("--storage-url", default=None, help="PostgreSQL URL for Dagster's own storage.")
@click.option("--pretrain/--no-pretrain", default=True, show_default=True)
@click.option(
    "--reuse-prepared",
    is_flag=True,
    help="With --postgres: prepare the tenants once per day into a template database "
    "(bench_prepared_N_DATE, kept) and start each run from a copy of it.",
)
@click.option("--timeout", default=1800, show_default=True, help="Seconds to wait for the runs.")
def main(
    tenants: int,
    tenants_per_run: int,
    max_concurrent_runs: int | None,
    postgres: bool,
    postgres_server: str,
    storage_url: str | None,
    pretrain: bool,
    reuse_prepared: bool,
    timeout: int,
) -> None:
    """Start dagster-daemon on a fresh instance and time one morning for N tenants."""
    stoppable_children()
    day = datetime.now(ZoneInfo(TENANT_ZONE)).date()
    work = Path(tempfile.mkdtemp(prefix="daemon_tick_"))
    home, dagster_home = work / "bakery_home", work / "dagster_home"
    dagster_home.mkdir(parents=True)
    suffix = work.name.split("_")[-1].lower()
    databases = []
    database_url = f"sqlite:///{home / 'orchestration.db'}"
    template = None
    if postgres:
        databases = [f"bench_dagster_{suffix}", f"bench_orch_{suffix}"]
        storage_url = create_postgres_database(postgres_server, databases[0])
        if reuse_prepared:
            template = f"bench_prepared_{tenants}_{day:%Y%m%d}"
            home = Path(tempfile.gettempdir()) / template
            if not (home / "ready").exists():
                drop_postgres_database(postgres_server, template)
                prepare_url = create_postgres_database(postgres_server, template)
                os.environ["BAKERY_HOME"] = str(home)
                prepare(prepare_url, tenants, day, pretrain)
                (home / "ready").write_text("prepared\n")
            database_url = create_postgres_database(
                postgres_server, databases[1], template=template
            )
        else:
            database_url = create_postgres_database(postgres_server, databases[1])
    env = {
        **os.environ,
        "BAKERY_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "BAKERY_ENV": "local",
        "BAKERY_DATABASE_URL": database_url,
        "BAKERY_TENANTS_PER_RUN": str(tenants_per_run),
    }
    os.environ.update(env)
    write_instance_yaml(dagster_home, storage_url, max_concurrent_runs)
    click.echo(
        f"{tenants} tenants, {tenants_per_run} per run, storage "
        f"{'postgres' if storage_url else 'sqlite'}, orchestration db {database_url.split(':')[0]}"
    )
    started = time.monotonic()
    if template:
        prepared = registered_tenants(database_url)
        click.echo(f"cloned {len(prepared)} prepared tenants from {template}")
    else:
        prepared = prepare(database_url, tenants, day, pretrain)
    click.echo(
        f"prepared {tenants} tenants (pretrain={pretrain}) in {time.monotonic() - started:.1f} s"
    )

    import dagster as dg

    from bakery_orchestration.instance import register_tenant_partitions

    instance = dg.DagsterInstance.get()
    register_tenant_partitions(instance, prepared)
    tick = (datetime.now(ZoneInfo(TENANT_ZONE)) + TICK_LEAD).replace(second=0, microsecond=0)
    if tick.date() != day:
        raise click.ClickException("the tenant day changed while preparing: run it again")
    env["BAKERY_DAILY_CYCLE_CRON"] = f"{tick.minute} * * * *"
    env["BAKERY_DAILY_CYCLE_HOUR"] = str(tick.hour)
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        stdout=open(work / "daemon.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    clock = time.monotonic()
    try:
        records = wait_for_runs(instance, tenants, timeout, clock)
        wall = time.monotonic() - clock
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    try:
        reference = in_process_reference(database_url, instance, prepared[0].slug, day)
        report(records, tick.timestamp(), wall, tenants, process_figures(database_url), reference)
    finally:
        instance.dispose()
        click.echo(f"daemon log: {work / 'daemon.log'}")
        for name in databases:
            drop_postgres_database(postgres_server, name)
    if template is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
