"""Every sensor of the code location, for ``definitions.py``."""

import dagster as dg

from bakery_orchestration.automation.alert_sensor import alert_sensor
from bakery_orchestration.automation.batch_split import batch_split_sensor
from bakery_orchestration.automation.events import workflow_completed_sensor, workflow_failed_sensor
from bakery_orchestration.automation.freshness import build_sales_freshness_sensor
from bakery_orchestration.automation.late_sales import late_sales_sensor
from bakery_orchestration.automation.status_cache import partition_status_sensor
from bakery_orchestration.automation.tenant_partitions import tenant_partitions_sensor


def build_sensors() -> list[dg.SensorDefinition]:
    return [
        tenant_partitions_sensor,
        late_sales_sensor,
        alert_sensor,
        build_sales_freshness_sensor(),
        workflow_completed_sensor,
        workflow_failed_sensor,
        batch_split_sensor,
        partition_status_sensor,
    ]
