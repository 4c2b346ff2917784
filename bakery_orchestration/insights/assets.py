"""The ``insights`` asset: what the owner should notice today, in plain words."""

import dagster as dg
import pandas as pd

from bakery_orchestration.core.names import OPERATIONS_OWNER, REPORTING_GROUP
from bakery_orchestration.framework.daily_asset import daily_asset
from bakery_orchestration.framework.io_manager import PartitionTables
from bakery_orchestration.insights.rules import derive_insights


@daily_asset(
    group_name=REPORTING_GROUP,
    owners=[OPERATIONS_OWNER],
    tags={"audience": "baker", "domain": "reporting"},
)
def insights(
    context: dg.AssetExecutionContext,
    forecast_validation: pd.DataFrame,
    production_plan: pd.DataFrame,
):
    """Plain-language insights: worst forecast misses, unusual demand, stock-out and waste risks."""
    rows = derive_insights(forecast_validation, production_plan)
    counts = rows["kind"].value_counts().to_dict() if len(rows) else {}
    return dg.Output(
        PartitionTables(rows, audit={"counters": {"ai_insights_generated": len(rows)}}),
        metadata={
            "insights": len(rows),
            **{f"insights_{k}": int(v) for k, v in counts.items()},
            "messages": dg.MetadataValue.md(
                "\n".join(f"- {m}" for m in rows["message"]) if len(rows) else "_none today_"
            ),
        },
    )
