"""``orchestrator.workflow_completed`` / ``orchestrator.workflow_failed`` events, in the JSON shape
of the bakery platform's orchestrator, published when a run of this code location ends.

Destinations, both optional and read at publish time: an HTTP webhook
(``BAKERY_EVENTS_WEBHOOK_URL``) and the RabbitMQ topic exchange ``orchestrator`` (durable) at
``BAKERY_RABBITMQ_URL``, routing key = the event name. A workflow is one Dagster run: one job
(or asset backfill run) for one tenant-day or a tenant batch, so
``tenants_processed``/``tenants_affected`` is the number of tenants it covers (0 for runs not
partitioned by tenant-day).
"""

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import pika

from bakery_orchestration.core.batches import run_tenants
from bakery_orchestration.notifications.webhook import encode_payload, post_json

EXCHANGE = "orchestrator"
COMPLETED = "orchestrator.workflow_completed"
FAILED = "orchestrator.workflow_failed"
WEBHOOK_ENV = "BAKERY_EVENTS_WEBHOOK_URL"
RABBITMQ_ENV = "BAKERY_RABBITMQ_URL"


def _timestamp(seconds: float | None) -> str:
    moment = datetime.fromtimestamp(seconds, UTC) if seconds else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tenants(run: dg.DagsterRun) -> int:
    return len(run_tenants(run))


def completed_payload(run: dg.DagsterRun, stats) -> dict[str, Any]:
    duration = (stats.end_time or 0) - (stats.start_time or stats.end_time or 0)
    return {
        "event_type": "orchestrator_workflow_completed",
        "workflow_name": run.job_name,
        "execution_id": run.run_id,
        "tenants_processed": _tenants(run),
        "steps_completed": stats.steps_succeeded,
        "steps_failed": stats.steps_failed,
        "duration_seconds": round(duration),
        "timestamp": _timestamp(stats.end_time),
    }


def failed_payload(run: dg.DagsterRun, error_message: str, ended_at: float | None) -> dict:
    return {
        "event_type": "orchestrator_workflow_failed",
        "workflow_name": run.job_name,
        "execution_id": run.run_id,
        "error_message": error_message,
        "tenants_affected": _tenants(run),
        "timestamp": _timestamp(ended_at),
    }


def publish_rabbitmq(url: str, routing_key: str, payload: Mapping[str, Any]) -> None:
    """Publish one persistent JSON message; connection errors propagate (the tick retries)."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.exchange_declare(exchange=EXCHANGE, exchange_type="topic", durable=True)
        channel.basic_publish(
            exchange=EXCHANGE,
            routing_key=routing_key,
            body=encode_payload(payload),
            properties=pika.BasicProperties(content_type="application/json", delivery_mode=2),
        )
    finally:
        connection.close()


def publish(routing_key: str, payload: Mapping[str, Any], log) -> None:
    webhook = os.environ.get(WEBHOOK_ENV)
    if webhook:
        result = post_json(webhook, payload, headers={"X-Bakery-Event": routing_key})
        if result.status == "failed":
            log.warning(
                f"{routing_key} for {payload['execution_id']} not delivered: {result.error}"
            )
    rabbitmq = os.environ.get(RABBITMQ_ENV)
    if rabbitmq:
        publish_rabbitmq(rabbitmq, routing_key, payload)
    log.info(f"published {routing_key}: {json.dumps(payload, sort_keys=True)}")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="workflow_completed_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes orchestrator.workflow_completed for every successful run.",
)
def workflow_completed_sensor(context: dg.RunStatusSensorContext):
    stats = context.instance.get_run_stats(context.dagster_run.run_id)
    publish(COMPLETED, completed_payload(context.dagster_run, stats), context.log)


@dg.run_failure_sensor(
    name="workflow_failed_sensor",
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Publishes orchestrator.workflow_failed for every failed run.",
)
def workflow_failed_sensor(context: dg.RunFailureSensorContext):
    run = context.dagster_run
    stats = context.instance.get_run_stats(run.run_id)
    payload = failed_payload(run, context.failure_event.message or "run failed", stats.end_time)
    publish(FAILED, payload, context.log)
