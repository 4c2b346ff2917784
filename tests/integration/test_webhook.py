"""Scope: the webhook poster and WebhookNotifier against a real HTTP server on 127.0.0.1.

Failures must come back as a DeliveryResult with a reason, never as an exception.
"""

import hashlib
import hmac
from datetime import date

import pytest

from bakery_orchestration.notifications.resources import WebhookNotifier
from bakery_orchestration.notifications.webhook import post_json
from bakery_orchestration.retry import Backoff
from tests.helpers.http_server import Reply, ScriptedServer

PAYLOAD = {"tenant": "bakery-a", "date": date(2026, 3, 2), "plan": {"BAGUETTE": 48}}


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


def test_200_is_sent_with_the_payload_as_json(server):
    server.reply(Reply(200, {"ok": True}))
    result = post_json(f"{server.url}/hooks/a", PAYLOAD, headers={"X-Tenant": "bakery-a"})

    assert (result.status, result.http_status, result.attempts, result.error) == (
        "sent",
        200,
        1,
        None,
    )
    assert result.elapsed_seconds >= 0
    [request] = server.requests
    assert (request.method, request.route) == ("POST", "/hooks/a")
    assert request.json() == {"tenant": "bakery-a", "date": "2026-03-02", "plan": {"BAGUETTE": 48}}
    assert request.header("Content-Type") == "application/json"
    assert request.header("X-Tenant") == "bakery-a"
    assert request.header("X-Bakery-Signature") is None


def test_500_fails_with_the_reason_after_max_attempts(server):
    sleeps: list[float] = []
    server.reply(*[Reply(500, {"detail": "boom"})] * 3)
    backoff = Backoff(0.5, 30.0)
    result = post_json(server.url, PAYLOAD, backoff=backoff, sleep=sleeps.append, rand=lambda: 1.0)

    assert (result.status, result.http_status, result.attempts) == ("failed", 500, 3)
    assert result.error == "gave up after 3 attempts: HTTP 500 Internal Server Error: boom"
    assert sleeps == [0.5, 1.0]


def test_429_then_200_honours_retry_after(server):
    sleeps: list[float] = []
    server.reply(Reply(429, headers={"Retry-After": "3"}), Reply(204))
    result = post_json(server.url, PAYLOAD, sleep=sleeps.append)
    assert (result.status, result.http_status, result.attempts, sleeps) == ("sent", 204, 2, [3.0])


def test_timeout_fails_with_the_reason(server):
    server.reply(*[Reply(200, delay_seconds=1.0)] * 2)
    result = post_json(
        server.url, PAYLOAD, timeout_seconds=0.1, max_attempts=2, sleep=lambda _: None
    )

    assert (result.status, result.http_status, result.attempts) == ("failed", None, 2)
    assert result.error.startswith("gave up after 2 attempts: ReadTimeout")


def test_a_client_error_is_not_retried(server):
    server.reply(Reply(410, {"detail": "hook deleted"}))
    result = post_json(server.url, PAYLOAD)
    assert (result.status, result.http_status, result.attempts) == ("failed", 410, 1)
    assert result.error == "rejected: HTTP 410 Gone: hook deleted"


def test_an_unusable_url_fails_without_raising():
    result = post_json("ftp://example.invalid/hook", PAYLOAD)
    assert (result.status, result.attempts) == ("failed", 1)
    assert result.error.startswith("not sent: UnsupportedProtocol")


def test_signature_header_verifies_against_the_raw_body(server):
    server.reply(Reply(200))
    result = WebhookNotifier().deliver(server.url, PAYLOAD, secret="whsec-1")

    assert result.status == "sent"
    [request] = server.requests
    expected = hmac.new(b"whsec-1", request.body, hashlib.sha256).hexdigest()
    assert request.header("X-Bakery-Signature") == f"sha256={expected}"


def test_notifier_config_sets_attempts_and_timeout(server):
    server.reply(*[Reply(200, delay_seconds=1.0)] * 2)
    notifier = WebhookNotifier(timeout_seconds=0.1, max_attempts=2, backoff_base_seconds=0.01)
    result = notifier.deliver(server.url, PAYLOAD)

    assert (result.status, result.attempts, len(server.requests)) == ("failed", 2, 2)
    assert result.elapsed_seconds >= 0.2
