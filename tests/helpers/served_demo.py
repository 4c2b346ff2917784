"""A demo instance served on 127.0.0.1 by the real ``dagster-webserver`` and ``dagster-daemon``,
shared by the end-to-end tests that drive the UI or its GraphQL API."""

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from tests.helpers.daemon import BIN, PROJECT, running_daemon

WORKSPACE = ("-w", str(PROJECT / "workspace.yaml"))


def demo_env(home: Path, **extra: str) -> dict:
    """The environment of a demo home: its own Dagster home and data, and a daily schedule hour
    twelve hours away so the schedule never starts today's cycle during the test."""
    env = {
        **os.environ,
        "BAKERY_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster_home"),
        "BAKERY_DAILY_CYCLE_HOUR": str((datetime.now(ZoneInfo("Europe/Madrid")).hour + 12) % 24),
        **extra,
    }
    env.pop("BAKERY_DATABASE_URL", None)
    return env


def run_demo(env: dict, tenants: int, days: int, day: str) -> None:
    """``bakery-orch demo`` in ``env``; sets ``BAKERY_PARTITION_START`` to the demo's window."""
    demo = subprocess.run(
        [str(BIN / "bakery-orch"), "demo", "--tenants", str(tenants), "--days", str(days)]
        + ["--date", day],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    expected = f"Daily cycle of {tenants} bakeries for {days} days"
    assert demo.stdout.startswith(expected), demo.stdout[-2000:] + demo.stderr[-2000:]
    env["BAKERY_PARTITION_START"] = re.search(r"BAKERY_PARTITION_START=(\S+)", demo.stdout)[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def served(env: dict, home: Path) -> Iterator[str]:
    """The daemon and the webserver on ``env``'s instance for the block; yields the UI's URL
    once it answers (logs in ``home``)."""
    port = _free_port()
    with (
        (home / "webserver.log").open("w") as log,
        running_daemon(env, home / "daemon.log", WORKSPACE),
    ):
        server = subprocess.Popen(
            [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port), *WORKSPACE],
            env=env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 180
            while not _answers(url):
                assert server.poll() is None, "dagster-webserver exited"
                assert time.monotonic() < deadline, "dagster-webserver did not answer in 180 s"
                time.sleep(0.5)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/server_info", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
