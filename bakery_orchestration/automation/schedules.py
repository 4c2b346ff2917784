"""The daily cycle per tenant at 08:00 local time, and the weekly retraining decision.

Cron, hour and timezones come from environment variables read when the definitions are built
(``build_schedules()``), never at import:

- ``BAKERY_DAILY_CYCLE_HOUR`` (default 8): the tenant-local hour the cycle starts.
- ``BAKERY_DAILY_CYCLE_CRON`` (default ``0 * * * *``) and ``BAKERY_DAILY_CYCLE_TIMEZONE``
  (default UTC): when the schedule evaluates. It must tick at least hourly, since each tick only
  starts the tenants whose local hour is the configured one (see ``automation.cycle``); the
  deterministic run key ``{tenant}:{day}`` makes extra ticks harmless.
- ``BAKERY_TENANTS_PER_RUN`` (default 1): up to this many due tenants (adjacent in partition
  order, same local day) share one run, as a partition range, at their most urgent tenant's
  priority; see ``core/batches.py``.
- ``BAKERY_RETRAIN_TENANTS_PER_RUN`` (default: ``BAKERY_TENANTS_PER_RUN``): tenants whose
  weekly retraining shares one run, as a range of the tenant partitions, queued at priority -1.
- ``BAKERY_RETRAINING_CRON`` (default ``0 22 * * 0``, Sunday 22:00) and
  ``BAKERY_RETRAINING_TIMEZONE`` (default Europe/Madrid).
"""

import os
from collections import Counter
from dataclasses import dataclass

import dagster as dg

from bakery_orchestration.automation.cycle import due_cycles
from bakery_orchestration.automation.jobs import daily_cycle_job, retrain_model_job
from bakery_orchestration.automation.retraining import model_health
from bakery_orchestration.core.batches import (
    BATCH_TAG,
    CYCLE_DATE_TAG,
    RANGE_END_TAG,
    RANGE_START_TAG,
    adjacent_groups,
    plan_batches,
    retrain_tenants_per_run,
    run_tenants,
    tenants_per_run,
)
from bakery_orchestration.core.partitions import tenant_partitions
from bakery_orchestration.deliveries.schedules import delivery_tracking_schedule
from bakery_orchestration.framework import tags
from bakery_orchestration.storage.database import OrchestrationDatabase
from bakery_orchestration.tenants.registry import list_tenants

DAILY_CYCLE_SCHEDULE = "daily_cycle_schedule"
WEEKLY_RETRAINING_SCHEDULE = "weekly_retraining_schedule"


@dataclass(frozen=True)
class ScheduleSettings:
    cycle_hour: int = 8
    cycle_cron: str = "0 * * * *"
    cycle_timezone: str = "UTC"
    retraining_cron: str = "0 22 * * 0"
    retraining_timezone: str = "Europe/Madrid"
    tenants_per_run: int = 1
    retrain_tenants_per_run: int = 1

    @classmethod
    def from_environment(cls) -> "ScheduleSettings":
        env = os.environ
        hour = int(env.get("BAKERY_DAILY_CYCLE_HOUR", cls.cycle_hour))
        if hour not in range(24):
            raise ValueError(f"BAKERY_DAILY_CYCLE_HOUR={hour}: use 0 to 23")
        return cls(
            cycle_hour=hour,
            cycle_cron=env.get("BAKERY_DAILY_CYCLE_CRON", cls.cycle_cron),
            cycle_timezone=env.get("BAKERY_DAILY_CYCLE_TIMEZONE", cls.cycle_timezone),
            retraining_cron=env.get("BAKERY_RETRAINING_CRON", cls.retraining_cron),
            retraining_timezone=env.get("BAKERY_RETRAINING_TIMEZONE", cls.retraining_timezone),
            tenants_per_run=tenants_per_run(env),
            retrain_tenants_per_run=retrain_tenants_per_run(dict(env)),
        )


def build_daily_cycle_schedule(settings: ScheduleSettings) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=DAILY_CYCLE_SCHEDULE,
        job=daily_cycle_job,
        cron_schedule=settings.cycle_cron,
        execution_timezone=settings.cycle_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=f"Each active tenant's daily cycle at {settings.cycle_hour:02d}:00 its local "
        "time, for its local day.",
    )
    def daily_cycle_schedule(
        context: dg.ScheduleEvaluationContext, database: OrchestrationDatabase
    ):
        tick = context.scheduled_execution_time
        due = due_cycles(list_tenants(database.engine), tick, settings.cycle_hour)
        launched = _already_launched(context.instance, {cycle.day for cycle in due})
        due = [cycle for cycle in due if cycle.run_key not in launched]
        if not due:
            return dg.SkipReason(f"no active tenant at {settings.cycle_hour:02d}:00 local time")
        order = (
            context.instance.get_dynamic_partitions(tenant_partitions.name)
            if settings.tenants_per_run > 1
            else []
        )
        batches = plan_batches(
            ((c.tenant.slug, c.day, c.tenant.run_priority) for c in due),
            order,
            settings.tenants_per_run,
        )
        return [
            dg.RunRequest(
                run_key=batch.run_key,
                partition_key=batch.partition_key,
                tags={
                    tags.PRIORITY: str(batch.priority),
                    tags.RUN_TYPE: "scheduled",
                    **tags.triggered_by("schedule", DAILY_CYCLE_SCHEDULE),
                    **batch.tags(),
                },
            )
            for batch in batches
        ]

    return daily_cycle_schedule


def _already_launched(instance: dg.DagsterInstance, days: set) -> set[str]:
    """``tenant:day`` keys this schedule already launched for ``days``, alone or in a batch.
    Dagster dedupes a schedule's run keys only within one tick, so a cron finer than hourly
    would start a tenant-day again."""
    launched: set[str] = set()
    for day in days:
        records = instance.get_run_records(
            filters=dg.RunsFilter(
                job_name=daily_cycle_job.name,
                tags={
                    "dagster/schedule_name": DAILY_CYCLE_SCHEDULE,
                    CYCLE_DATE_TAG: day.isoformat(),
                },
            )
        )
        for record in records:
            launched |= {f"{slug}:{day.isoformat()}" for slug in run_tenants(record.dagster_run)}
    return launched


def build_weekly_retraining_schedule(settings: ScheduleSettings) -> dg.ScheduleDefinition:
    @dg.schedule(
        name=WEEKLY_RETRAINING_SCHEDULE,
        job=retrain_model_job,
        cron_schedule=settings.retraining_cron,
        execution_timezone=settings.retraining_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Retrain the demand model of each active tenant whose forecasts got bad or "
        "worse, or whose model is over 30 days old.",
    )
    def weekly_retraining_schedule(
        context: dg.ScheduleEvaluationContext, database: OrchestrationDatabase
    ):
        today = context.scheduled_execution_time.date()
        reasons: dict[str, str] = {}
        with database.engine.connect() as conn:
            for tenant in list_tenants(database.engine, status="active"):
                health = model_health(conn, tenant.id, today)
                reason = health.decision()
                context.log.info(f"{tenant.slug}: {health} -> {reason or 'keep the model'}")
                if reason is not None:
                    reasons[tenant.slug] = reason
        if not reasons:
            return dg.SkipReason("no tenant needs a new model")
        size = settings.retrain_tenants_per_run
        order = context.instance.get_dynamic_partitions(tenant_partitions.name) if size > 1 else []
        return [
            _retrain_request(group, today.isoformat(), {slug: reasons[slug] for slug in group})
            for group in adjacent_groups(reasons, order, size)
        ]

    return weekly_retraining_schedule


def _retrain_request(group: list[str], day: str, reasons: dict[str, str]) -> dg.RunRequest:
    """One tenant's retraining run, or a batch of adjacent tenants' as a partition range. A
    batch runs behind every daily cycle in the queue (priority -1) and is never retried whole:
    ``batch_split_sensor`` retrains each of its tenants alone if it fails."""
    if len(group) == 1:
        return retrain_request(
            group[0],
            reasons[group[0]],
            run_key=f"{group[0]}:{day}",
            extra_tags=tags.triggered_by("schedule", WEEKLY_RETRAINING_SCHEDULE),
        )
    counts = Counter(reasons.values())
    return dg.RunRequest(
        run_key=f"{group[0]}..{group[-1]}:{day}",
        run_config={"ops": {"forecast_model": {"config": {"reasons": reasons}}}},
        tags={
            tags.RETRAIN_REASON: ",".join(f"{r}={n}" for r, n in sorted(counts.items())),
            tags.RUN_TYPE: "retraining",
            tags.PRIORITY: "-1",
            **tags.triggered_by("schedule", WEEKLY_RETRAINING_SCHEDULE),
            RANGE_START_TAG: group[0],
            RANGE_END_TAG: group[-1],
            BATCH_TAG: ",".join(group),
            "dagster/max_retries": "0",
        },
    )


def retrain_request(slug: str, reason: str, run_key: str, extra_tags: dict) -> dg.RunRequest:
    """One tenant's retraining run, with the rule that fired for it (the schedule's and
    ``batch_split_sensor``'s)."""
    return dg.RunRequest(
        run_key=run_key,
        job_name=retrain_model_job.name,
        partition_key=slug,
        run_config={"ops": {"forecast_model": {"config": {"reason": reason}}}},
        tags={tags.RETRAIN_REASON: reason, tags.RUN_TYPE: "retraining", **extra_tags},
    )


def build_schedules() -> list[dg.ScheduleDefinition]:
    settings = ScheduleSettings.from_environment()
    return [
        build_daily_cycle_schedule(settings),
        build_weekly_retraining_schedule(settings),
        delivery_tracking_schedule,
    ]
