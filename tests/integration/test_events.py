"""Workflow events: the payloads in the orchestrator's JSON shape, built from real runs, posted
to a real HTTP webhook and published to the real RabbitMQ at 127.0.0.1:5672 (a temporary queue
bound to the ``orchestrator`` exchange). With CI=true a missing RabbitMQ fails the test."""

import json
import os
import re

import dagster as dg
import pika
import pytest

from bakery_orchestration.automation.events import (
    COMPLETED,
    EXCHANGE,
    FAILED,
    completed_payload,
    failed_payload,
    publish,
)
from tests.helpers.http_server import Reply, ScriptedServer

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TAGS = {"dagster/partition/tenant": "bakery-a"}


@dg.asset
def fine():
    return 1


@dg.asset
def broken():
    raise RuntimeError("sales service down")


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def ended_run(instance, asset):
    result = dg.materialize([asset], instance=instance, tags=TAGS, raise_on_error=False)
    run = instance.get_run_by_id(result.run_id)
    return run, instance.get_run_stats(run.run_id)


def test_completed_payload_matches_the_orchestrator_shape(instance):
    run, stats = ended_run(instance, fine)
    payload = completed_payload(run, stats)
    assert set(payload) == {
        "event_type",
        "workflow_name",
        "execution_id",
        "tenants_processed",
        "steps_completed",
        "steps_failed",
        "duration_seconds",
        "timestamp",
    }
    assert payload["event_type"] == "orchestrator_workflow_completed"
    assert (payload["execution_id"], payload["tenants_processed"]) == (run.run_id, 1)
    assert (payload["steps_completed"], payload["steps_failed"]) == (1, 0)
    assert ISO_Z.match(payload["timestamp"]) and payload["duration_seconds"] >= 0


def test_failed_payload_matches_the_orchestrator_shape(instance):
    run, stats = ended_run(instance, broken)
    payload = failed_payload(run, "step broken failed", stats.end_time)
    assert set(payload) == {
        "event_type",
        "workflow_name",
        "execution_id",
        "error_message",
        "tenants_affected",
        "timestamp",
    }
    assert payload["event_type"] == "orchestrator_workflow_failed"
    assert payload["tenants_affected"] == 1 and ISO_Z.match(payload["timestamp"])


def test_publish_posts_to_the_events_webhook(monkeypatch, instance):
    run, stats = ended_run(instance, fine)
    payload = completed_payload(run, stats)
    with ScriptedServer() as server:
        server.reply(Reply(200))
        monkeypatch.setenv("BAKERY_EVENTS_WEBHOOK_URL", f"{server.url}/events")
        publish(COMPLETED, payload, dg.get_dagster_logger())
        (request,) = server.requests
    assert request.route == "/events" and request.header("X-Bakery-Event") == COMPLETED
    assert request.json() == payload


def test_sensors_publish_to_rabbitmq(monkeypatch, instance):
    try:
        connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ_URL))
    except pika.exceptions.AMQPConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"RabbitMQ is required in CI and not reachable at {RABBITMQ_URL}")
        pytest.skip(f"no RabbitMQ at {RABBITMQ_URL}")
    monkeypatch.setenv("BAKERY_RABBITMQ_URL", RABBITMQ_URL)
    try:
        channel = connection.channel()
        channel.exchange_declare(exchange=EXCHANGE, exchange_type="topic", durable=True)
        queue = channel.queue_declare(queue="", exclusive=True).method.queue
        channel.queue_bind(queue=queue, exchange=EXCHANGE, routing_key="orchestrator.#")
        run, stats = ended_run(instance, fine)
        publish(COMPLETED, completed_payload(run, stats), dg.get_dagster_logger())
        failed, failed_stats = ended_run(instance, broken)
        publish(
            FAILED, failed_payload(failed, "boom", failed_stats.end_time), dg.get_dagster_logger()
        )
        received = []
        for _ in range(2):
            method, properties, body = _get(channel, queue)
            received.append((method.routing_key, properties.content_type, json.loads(body)))
    finally:
        connection.close()
    assert [(key, kind) for key, kind, _ in received] == [
        (COMPLETED, "application/json"),
        (FAILED, "application/json"),
    ]
    assert received[0][2]["execution_id"] == run.run_id
    assert received[1][2] == failed_payload(failed, "boom", failed_stats.end_time)


def _get(channel, queue):
    for _ in range(50):
        method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is not None:
            return method, properties, body
        channel.connection.sleep(0.1)
    raise AssertionError("no message arrived on the bound queue")
