"""The ``insights`` asset: what the owner should notice today, in plain words."""

import dagster as dg
import pandas as pd

from bakery_orchestration.audit.recorder import audit_failure_hook
from bakery_orchestration.insights.rules import derive_insights
from bakery_orchestration.names import IO_MANAGER_KEY, REPORTING_GROUP
from bakery_orchestration.partitions import tenant_day_partitions
from bakery_orchestration.storage.io_manager import PartitionTables


@dg.asset(
    partitions_def=tenant_day_partitions,
    group_name=REPORTING_GROUP,
    io_manager_key=IO_MANAGER_KEY,
    kinds={"python", "sql"},
    code_version="1",
    hooks={audit_failure_hook},
)
def insights(forecast_validation: pd.DataFrame, production_plan: pd.DataFrame):
    """Plain-language insights: worst forecast misses, unusual demand, stock-out and waste risks."""
    rows = derive_insights(forecast_validation, production_plan)
    counts = rows["kind"].value_counts().to_dict() if len(rows) else {}
    return dg.Output(
        PartitionTables(rows, audit={"counters": {"ai_insights_generated": len(rows)}}),
        metadata={"insights": len(rows), **{f"insights_{k}": int(v) for k, v in counts.items()}},
    )
