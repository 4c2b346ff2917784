"""Shared fixtures: a clean environment for every test, real databases on both dialects, and
the path to the real bakery data."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dagster_state import clear_stale_state_storage
from tests.postgres import PostgresServer, require_postgres

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# Dagster 1.13.27 adds its own multi-partition tags (dagster/partition/date, .../tenant) to a
# sensor's run request, then warns that those very keys are non-compliant (run_request.py, in
# RunRequest.with_resolved_tags_and_config). Not of our making; only that message is ignored.
DAGSTER_OWN_TAG_WARNING = (
    r"ignore:Non-compliant tag keys like \['dagster/partition/:DeprecationWarning"
)


def pytest_configure(config) -> None:
    config.addinivalue_line("filterwarnings", DAGSTER_OWN_TAG_WARNING)


DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real bakery sales described in ../shared/data/README.md. A clone without
    them skips these tests (they check the importers and the forecast on real exports); CI must
    run them, so there a missing folder fails."""
    if not SHARED_DATA.is_dir():
        message = f"real bakery data not found at {SHARED_DATA} (a folder beside the clone)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: the real-data tests must run)")
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(autouse=True)
def clean_environment(tmp_path_factory, monkeypatch) -> None:
    """No test reads the developer's own data folder, database or Dagster home."""
    home = tmp_path_factory.mktemp("bakery_home")
    monkeypatch.setenv("BAKERY_HOME", str(home))
    for var in ("BAKERY_DATABASE_URL", "DAGSTER_HOME", "BAKERY_ENV"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def no_stale_dagster_state_storage() -> None:
    """See tests/dagster_state.py."""
    clear_stale_state_storage()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.drop_all()


@pytest.fixture(params=DIALECTS)
def empty_db_url(request, tmp_path, postgres_server) -> str:
    """A new, empty orchestration database on each dialect."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'orchestration.db'}"
    require_postgres(postgres_server)
    return postgres_server.create_database()
