"""Where the project keeps its local state, and which orchestration database it talks to.

Resolution order for the database URL: an explicit ``--database-url``, then the environment
variable ``BAKERY_DATABASE_URL``, then a SQLite file in the local data folder. The local data
folder is ``$BAKERY_HOME`` if set, else ``~/.local/share/bakery-orchestration``. Nothing here runs
at import time: callers ask when they need an answer.
"""

import os
from pathlib import Path

from bakery_orchestration.core.errors import BakeryError

DATABASE_URL_ENV = "BAKERY_DATABASE_URL"
HOME_ENV = "BAKERY_HOME"
DEFAULT_HOME = Path("~/.local/share/bakery-orchestration")


def bakery_home() -> Path:
    """The local data folder (SQLite database, landing files, demo Dagster instance)."""
    raw = os.environ.get(HOME_ENV)
    home = Path(raw) if raw else DEFAULT_HOME
    return home.expanduser().resolve()


def default_database_url() -> str:
    return f"sqlite:///{bakery_home() / 'orchestration.db'}"


def database_url(explicit: str | None = None) -> str:
    """The orchestration database URL, by the documented resolution order."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or default_database_url()


def landing_dir() -> Path:
    """Where the local files sales source looks for one CSV per tenant and day."""
    return bakery_home() / "landing"


MAX_UNITS_ENV = "BAKERY_MAX_UNITS_PER_DAY"


def max_units_per_day() -> float | None:
    """The operator's absolute ceiling on one product's units in one day, if set (the sales
    validation's `SalesLimits.max_units`); None when unset."""
    raw = os.environ.get(MAX_UNITS_ENV)
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError:
        raise BakeryError(f"{MAX_UNITS_ENV}={raw!r} is not a number of units") from None
