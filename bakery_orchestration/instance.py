"""The Dagster instance the CLI talks to: ``$DAGSTER_HOME`` if set, else a local instance in the
bakery data folder configured from the project's ``dagster.yaml``."""

import os
import shutil
from pathlib import Path

import dagster as dg

from bakery_orchestration.core.settings import bakery_home
from bakery_orchestration.tenants.registry import Tenant

PROJECT_INSTANCE_YAML = Path(__file__).resolve().parents[1] / "dagster.yaml"


def dagster_home() -> Path:
    raw = os.environ.get("DAGSTER_HOME")
    return Path(raw) if raw else bakery_home() / "dagster_home"


def dagster_instance() -> dg.DagsterInstance:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() and PROJECT_INSTANCE_YAML.exists():
        shutil.copyfile(PROJECT_INSTANCE_YAML, config)
    return dg.DagsterInstance.from_config(str(home))


def register_tenant_partitions(instance: dg.DagsterInstance, tenants: list[Tenant]) -> list[str]:
    """Add the tenants' partition keys that the instance does not know yet, in one batch."""
    known = set(instance.get_dynamic_partitions("tenant"))
    new = [t.slug for t in tenants if t.slug not in known]
    if new:
        instance.add_dynamic_partitions("tenant", new)
    return new
