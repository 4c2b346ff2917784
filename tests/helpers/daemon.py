"""The real ``dagster-daemon`` for end-to-end tests, on this project's code location."""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@contextmanager
def running_daemon(
    env: dict, log_path: Path, target: tuple[str, ...] = ("-m", "bakery_orchestration.definitions")
) -> Iterator[subprocess.Popen]:
    """Run ``dagster-daemon`` with ``env`` (its log in ``log_path``) for the block, then stop it.
    ``target`` names the code location; a webserver sharing runs with it must load the same one
    (``("-w", "workspace.yaml")`` for the location ``bakery_orchestration``)."""
    with log_path.open("w") as log:
        daemon = subprocess.Popen(
            [str(BIN / "dagster-daemon"), "run", *target],
            env=env,
            cwd=PROJECT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield daemon
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
