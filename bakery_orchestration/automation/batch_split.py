"""``batch_split_sensor``: a tenant batch that failed is re-run one tenant-day per run.

A batch run (``core/batches.py``) fails as a whole when one tenant-day's step fails. This sensor
sees the failure and requests one run per tenant-day of the batch, with the batch's priority and
a ``bakery/split_from`` tag naming it. Healthy tenants then complete in their own runs; the
broken one fails alone, with its own audit row and alert. Batch runs carry
``dagster/max_retries`` 0, so the daemon's run retries never re-run the batch beside these runs.
Run keys make a second look at the same failure harmless.

The weekly retraining's batches (``retrain_model_job`` over a range of tenant partitions) are
split the same way: one retraining run per tenant, with the rule that fired for it.
"""

import dagster as dg

from bakery_orchestration.automation.jobs import daily_cycle_job, retrain_model_job
from bakery_orchestration.automation.schedules import retrain_request
from bakery_orchestration.core.batches import (
    BATCH_TAG,
    CYCLE_DATE_TAG,
    SPLIT_FROM_TAG,
    Batch,
    run_partition_keys,
)
from bakery_orchestration.core.partitions import split_key
from bakery_orchestration.framework import tags

BATCH_SPLIT_SENSOR = "batch_split_sensor"


def split_requests(run: dg.DagsterRun, keys: list[str]) -> list[dg.RunRequest]:
    """One run request per tenant-day of the failed batch ``run``."""
    requests = []
    for key in keys:
        tenant, day = split_key(key)
        single = Batch((tenant,), day, int(run.tags.get(tags.PRIORITY, "0")))
        requests.append(
            dg.RunRequest(
                run_key=f"split:{run.run_id}:{key}",
                partition_key=single.partition_key,
                tags={
                    tags.PRIORITY: run.tags.get(tags.PRIORITY, "0"),
                    tags.RUN_TYPE: run.tags.get(tags.RUN_TYPE, "scheduled"),
                    **tags.triggered_by("sensor", BATCH_SPLIT_SENSOR),
                    SPLIT_FROM_TAG: run.run_id,
                    **(
                        {CYCLE_DATE_TAG: run.tags[CYCLE_DATE_TAG]}
                        if CYCLE_DATE_TAG in run.tags
                        else {}
                    ),
                },
            )
        )
    return requests


def split_retraining(run: dg.DagsterRun) -> list[dg.RunRequest]:
    """One retraining run per tenant of the failed retraining batch ``run``, each with the
    reason the schedule recorded for it."""
    config = run.run_config.get("ops", {}).get("forecast_model", {}).get("config", {})
    reasons = config.get("reasons", {})
    return [
        retrain_request(
            slug,
            reasons.get(slug, config.get("reason", "manual")),
            run_key=f"split:{run.run_id}:{slug}",
            extra_tags={
                **tags.triggered_by("sensor", BATCH_SPLIT_SENSOR),
                SPLIT_FROM_TAG: run.run_id,
            },
        )
        for slug in run.tags[BATCH_TAG].split(",")
    ]


@dg.run_failure_sensor(
    name=BATCH_SPLIT_SENSOR,
    monitored_jobs=[daily_cycle_job, retrain_model_job],
    request_jobs=[daily_cycle_job, retrain_model_job],
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Re-runs each tenant-day of a failed tenant batch in a run of its own, so one "
    "bakery's failure neither fails nor hides the others.",
)
def batch_split_sensor(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    if BATCH_TAG not in run.tags:
        return
    if run.job_name == retrain_model_job.name:
        requests = split_retraining(run)
        context.log.info(f"retraining batch {run.run_id} failed: {len(requests)} tenants alone")
        yield from requests
        return
    keys = run_partition_keys(run, context.instance)
    context.log.info(f"batch run {run.run_id} failed: re-running {len(keys)} tenant-days alone")
    yield from split_requests(run, keys)
