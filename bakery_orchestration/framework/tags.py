"""Run tags set by the automation, so an operator can filter runs by what started them."""

RUN_TYPE = "bakery/run_type"
TRIGGERED_BY = "bakery/triggered_by"
RETRAIN_REASON = "bakery/retrain_reason"
PRIORITY = "dagster/priority"
TENANT_PARTITION = "dagster/partition/tenant"
DATE_PARTITION = "dagster/partition/date"


def triggered_by(kind: str, name: str) -> dict[str, str]:
    """``bakery/triggered_by`` as ``schedule:<name>`` or ``sensor:<name>``."""
    return {TRIGGERED_BY: f"{kind}:{name}"}
