"""Resources per environment. ``environment()`` is the one place that decides which applies.

- ``local`` (the embedded default): SQLite under the local data folder, sales from landing
  files, migrations applied on first use.
- ``production``: PostgreSQL and the Sales Service over HTTP, all from environment variables
  (``BAKERY_DATABASE_URL``, ``BAKERY_SALES_SERVICE_URL``, ``BAKERY_SALES_SERVICE_TOKEN``).
"""

import os

import dagster as dg

from bakery_orchestration.core import settings
from bakery_orchestration.core.names import IO_MANAGER_KEY
from bakery_orchestration.framework.io_manager import OrchestrationIOManager
from bakery_orchestration.notifications.resources import WebhookNotifier
from bakery_orchestration.sales.resources import HttpSalesSource, LocalFilesSalesSource
from bakery_orchestration.storage.database import OrchestrationDatabase

ENVIRONMENTS = ("local", "production")


def environment() -> str:
    value = os.environ.get("BAKERY_ENV", "local")
    if value not in ENVIRONMENTS:
        raise ValueError(f"BAKERY_ENV={value!r}: use one of {', '.join(ENVIRONMENTS)}")
    return value


def local_resources(database_url: str | None = None) -> dict:
    url = settings.database_url(database_url)
    return {
        "database": OrchestrationDatabase(url=url, auto_migrate=True),
        IO_MANAGER_KEY: OrchestrationIOManager(url=url, auto_migrate=True),
        "sales_source": LocalFilesSalesSource(landing_dir=str(settings.landing_dir())),
        "notifier": WebhookNotifier(),
    }


def production_resources() -> dict:
    url = dg.EnvVar(settings.DATABASE_URL_ENV)
    return {
        "database": OrchestrationDatabase(url=url),
        IO_MANAGER_KEY: OrchestrationIOManager(url=url),
        "sales_source": HttpSalesSource(
            base_url=dg.EnvVar("BAKERY_SALES_SERVICE_URL"),
            api_token=dg.EnvVar("BAKERY_SALES_SERVICE_TOKEN"),
        ),
        "notifier": WebhookNotifier(),
    }


def resources_for(env: str) -> dict:
    return local_resources() if env == "local" else production_resources()
