"""The naive Dagster floor for ``benchmarks/morning.py --floor``: a code location whose morning
is two trivial assets per tenant-day, on the same tenant x date partitions, batched as the real
schedule batches (``BAKERY_TENANTS_PER_RUN`` tenants per run, a partition range), launched by a
schedule through the same daemon, run queue and instance. What it costs is what Dagster costs
for a morning of this many tenants and runs with none of the project's work.

Its schedule ticks at ``FLOOR_CRON`` (the benchmark sets the next minute) for today's partition.
"""

import os

import dagster as dg

from bakery_orchestration.core.batches import plan_batches, tenants_per_run
from bakery_orchestration.core.partitions import madrid_today, tenant_day_partitions


@dg.asset(partitions_def=tenant_day_partitions)
def floor_first(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"tenant_days": len(context.partition_keys)})


@dg.asset(partitions_def=tenant_day_partitions, deps=[floor_first])
def floor_second(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"tenant_days": len(context.partition_keys)})


floor_job = dg.define_asset_job(
    "floor_job", selection=[floor_first, floor_second], executor_def=dg.in_process_executor
)


@dg.schedule(
    job=floor_job,
    cron_schedule=os.environ.get("FLOOR_CRON", "0 8 * * *"),
    execution_timezone="Europe/Madrid",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def floor_schedule(context: dg.ScheduleEvaluationContext):
    day = madrid_today(context.scheduled_execution_time)
    order = context.instance.get_dynamic_partitions("tenant")
    batches = plan_batches(((slug, day, 0) for slug in order), order, tenants_per_run())
    return [
        dg.RunRequest(run_key=batch.run_key, partition_key=batch.partition_key, tags=batch.tags())
        for batch in batches
    ]


defs = dg.Definitions(
    assets=[floor_first, floor_second], jobs=[floor_job], schedules=[floor_schedule]
)
