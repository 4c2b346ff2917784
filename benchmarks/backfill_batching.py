"""What the daily assets' ``BackfillPolicy`` buys: one backfill of T tenants x D days launched
through the real webserver's GraphQL API (what the UI and ``bakery-orch backfill`` send) and run
by the real daemon and queue (the project's dagster.yaml: one run per backfill at a time), with
``BAKERY_BACKFILL_PARTITIONS_PER_RUN`` at 1 (one tenant-day per run, what Dagster does without a
policy) and at 20, on copies of the same prepared instance, in the same invocation.

Run: .venv/bin/python benchmarks/backfill_batching.py [--tenants 10] [--days 3] [--repeats 3]

Preparation (not timed): ``bakery-orch demo`` for T bakeries over D mornings (history, models,
the mornings' runs). Timed: from the launch mutation to the backfill's end. Prints per setting
the runs, the wall time and the summed run-worker time, each the median of the repeats with
the spread, the ratio of the two medians, and the load average.
"""

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from daemon_tick import free_port, stoppable_children  # noqa: E402 - the sibling's helpers

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DAY = date(2026, 3, 4)


def _env(home: Path, per_run: int) -> dict:
    env = {
        **os.environ,
        "BAKERY_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster_home"),
        "BAKERY_BACKFILL_PARTITIONS_PER_RUN": str(per_run),
        "BAKERY_DAILY_CYCLE_HOUR": str((datetime.now(ZoneInfo("Europe/Madrid")).hour + 12) % 24),
    }
    env.pop("BAKERY_DATABASE_URL", None)
    return env


def prepare(home: Path, tenants: int, days: int) -> str:
    """A demo instance; returns its BAKERY_PARTITION_START."""
    demo = subprocess.run(
        [str(BIN / "bakery-orch"), "demo", "--tenants", str(tenants), "--days", str(days)]
        + ["--date", DAY.isoformat()],
        env=_env(home, 20),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(r"BAKERY_PARTITION_START=(\S+)", demo.stdout)
    if not match:
        raise SystemExit(f"demo failed:\n{demo.stdout[-2000:]}\n{demo.stderr[-2000:]}")
    return match[1]


def one_backfill(prepared: Path, work: Path, start: str, per_run: int, days: int) -> dict:
    from bakery_orchestration.cli.backfill import Webserver, follow, launch, tenant_day_assets

    shutil.copytree(prepared, work)
    env = {**_env(work, per_run), "BAKERY_PARTITION_START": start}
    workspace = ["-w", str(ROOT / "workspace.yaml")]
    port = free_port()
    with (work / "daemon.log").open("w") as daemon_log, (work / "web.log").open("w") as web_log:
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", *workspace],
            env=env,
            cwd=ROOT,
            stdout=daemon_log,
            stderr=subprocess.STDOUT,
        )
        web = subprocess.Popen(
            [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), *workspace],
            env=env,
            cwd=ROOT,
            stdout=web_log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            while True:
                try:
                    if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            import sqlalchemy as sa

            engine = sa.create_engine(f"sqlite:///{work / 'orchestration.db'}")
            with engine.connect() as conn:
                tenants = conn.execute(sa.text("SELECT slug FROM tenants")).scalars().all()
            engine.dispose()
            partitions = [
                f"{(DAY - timedelta(days=offset)).isoformat()}|{tenant}"
                for offset in range(days)
                for tenant in tenants
            ]
            server = Webserver(url)
            assets = tenant_day_assets(server)
            began = time.monotonic()
            backfill_id = launch(server, assets, partitions)
            status, _, _, failed = follow(server, backfill_id, 0.5, 3600)
            wall = time.monotonic() - began
        finally:
            web.terminate()
            daemon.terminate()
            web.wait(timeout=60)
            daemon.wait(timeout=60)
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(work / "dagster_home"))
    try:
        runs = instance.get_run_records(dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        worker = sum((r.end_time or 0) - (r.start_time or 0) for r in runs)
        ok = all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in runs)
    finally:
        instance.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return {
        "status": status,
        "failed": failed,
        "all_succeeded": ok,
        "tenant_days": len(partitions),
        "runs": len(runs),
        "wall_s": wall,
        "run_time_s": worker,
    }


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} (spread {min(values):.1f}-{max(values):.1f})"


@click.command()
@click.option("--tenants", default=10, show_default=True)
@click.option("--days", default=3, show_default=True)
@click.option("--repeats", default=3, show_default=True)
def main(tenants: int, days: int, repeats: int) -> None:
    stoppable_children()
    with tempfile.TemporaryDirectory(prefix="backfill-bench-") as tmp:
        prepared = Path(tmp) / "prepared"
        start = prepare(prepared, tenants, days)
        results: dict[int, list[dict]] = {1: [], 20: []}
        for repeat in range(repeats):
            for per_run in results:  # alternate, so load drifts hit both settings alike
                result = one_backfill(prepared, Path(tmp) / "work", start, per_run, days)
                results[per_run].append(result)
                print(f"repeat {repeat + 1} per_run={per_run}: {result}", flush=True)
    print(f"\n{tenants} tenants x {days} days, {repeats} repeats, load {os.getloadavg()}")
    for per_run, rows in results.items():
        print(
            f"partitions per run {per_run:>2}: runs {_summary([r['runs'] for r in rows])}, "
            f"wall s {_summary([r['wall_s'] for r in rows])}, "
            f"summed run time s {_summary([r['run_time_s'] for r in rows])}, "
            f"all succeeded {all(r['all_succeeded'] for r in rows)}"
        )
    ratio = statistics.median(r["wall_s"] for r in results[1]) / statistics.median(
        r["wall_s"] for r in results[20]
    )
    print(f"wall-time ratio, 1 per run / 20 per run (medians, same invocation): {ratio:.2f}")


if __name__ == "__main__":
    main()
