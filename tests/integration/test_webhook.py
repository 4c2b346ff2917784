"""Scope: the webhook poster, its address guard and its signatures, against real HTTP servers on
127.0.0.1; signatures are checked with the independent `standardwebhooks` library.

Failures come back as a DeliveryResult with a one-line reason, never as an exception.
"""

import ipaddress
from datetime import date

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bakery_orchestration.notifications.addresses import (
    ALLOWED_NETWORKS_ENV,
    AddressPolicy,
    GuardedTransport,
    UnsafeWebhookUrl,
    check_webhook_url,
)
from bakery_orchestration.notifications.resources import WebhookNotifier
from bakery_orchestration.notifications.signing import new_secret, signature_headers
from bakery_orchestration.notifications.webhook import post_json
from tests.helpers.http_server import Reply, ScriptedServer

PAYLOAD = {"tenant": "bakery-a", "date": date(2026, 3, 2), "plan": {"BAGUETTE": 48}}
FAST = {"backoff_base_seconds": 0.001, "backoff_max_seconds": 0.01}
PUBLIC = ipaddress.ip_address("93.184.216.34")


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
    [request] = server.requests
    assert (request.method, request.route) == ("POST", "/hooks/a")
    assert request.json() == {"tenant": "bakery-a", "date": "2026-03-02", "plan": {"BAGUETTE": 48}}
    assert request.header("Content-Type") == "application/json"
    assert request.header("X-Tenant") == "bakery-a"
    assert request.header("webhook-signature") is None


def test_500_fails_with_the_reason_after_max_attempts(server):
    server.reply(*[Reply(500, {"detail": "boom"})] * 3)
    result = post_json(server.url, PAYLOAD, **FAST)

    assert (result.status, result.http_status, result.attempts) == ("failed", 500, 3)
    assert result.error == "gave up after 3 attempts: HTTP 500 Internal Server Error: boom"
    assert len(server.requests) == 3


def test_429_then_204_is_sent_on_the_second_attempt(server):
    server.reply(Reply(429, headers={"Retry-After": "0"}), Reply(204))
    result = post_json(server.url, PAYLOAD, **FAST)
    assert (result.status, result.http_status, result.attempts) == ("sent", 204, 2)


def test_timeout_fails_with_the_reason(server):
    server.reply(*[Reply(200, delay_seconds=1.0)] * 2)
    result = post_json(server.url, PAYLOAD, timeout_seconds=0.1, max_attempts=2, **FAST)

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


def test_a_huge_answer_is_cut_and_the_status_decides(server):
    server.reply(Reply(200, b"x" * 2_000_000))
    result = post_json(server.url, PAYLOAD, max_response_bytes=1024)
    assert (result.status, result.http_status) == ("sent", 200)


def test_signed_post_verifies_with_the_standard_webhooks_library(server, monkeypatch):
    monkeypatch.setenv(ALLOWED_NETWORKS_ENV, "127.0.0.1/32")
    secret = new_secret()
    server.reply(Reply(503), Reply(200))
    result = WebhookNotifier(**FAST).deliver(server.url, PAYLOAD, secret=secret)

    assert (result.status, result.attempts) == ("sent", 2)
    first, retried = server.requests
    assert first.header("webhook-id") == retried.header("webhook-id")  # receivers dedupe on it
    verified = Webhook(secret).verify(retried.body, retried.headers)
    assert verified == {"tenant": "bakery-a", "date": "2026-03-02", "plan": {"BAGUETTE": 48}}
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(retried.body, retried.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(retried.body.replace(b"48", b"480"), retried.headers)


def test_signature_matches_the_specification_example():
    """The example of the Standard Webhooks specification, signed by our code."""
    headers = signature_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        b'{"test": 2432232314}',
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_notifier_refuses_loopback_unless_the_operator_allows_it(server, monkeypatch):
    monkeypatch.delenv(ALLOWED_NETWORKS_ENV, raising=False)
    monkeypatch.delenv("BAKERY_WEBHOOK_ALLOW_PRIVATE", raising=False)
    refused = WebhookNotifier().deliver(f"{server.url}/admin/internal", PAYLOAD)
    assert (refused.status, refused.http_status) == ("failed", None)
    assert refused.error == (
        "not sent: webhook delivery refused: 127.0.0.1 -> 127.0.0.1 is a loopback address "
        f"(an operator may allow it with {ALLOWED_NETWORKS_ENV})"
    )
    assert server.requests == []

    monkeypatch.setenv("BAKERY_WEBHOOK_ALLOW_PRIVATE", "1")
    server.reply(Reply(200))
    assert WebhookNotifier().deliver(server.url, PAYLOAD).status == "sent"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme 'file' refused"),
        ("gopher://127.0.0.1:70/", "scheme 'gopher' refused"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address"),
        ("http://127.0.0.1:8080/admin/internal", "is a loopback address"),
        ("http://[::1]/", "is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "is a loopback address"),
        ("http://10.1.2.3/", "is a private address"),
        ("http://192.168.0.1/", "is a private address"),
        ("http://0.0.0.0/", "is an unspecified address"),
        ("http://100.64.0.1/", "is a non-public address"),
        ("http://[fd00:ec2::254]/", "is a private address"),
        ("http://localhost:9/", "is a loopback address"),
    ],
)
def test_registration_refuses_non_http_and_non_public_urls(url, reason):
    with pytest.raises(UnsafeWebhookUrl) as raised:
        check_webhook_url(url, AddressPolicy())
    assert reason in str(raised.value) and "\n" not in str(raised.value)


def test_registration_checks_what_a_name_resolves_to():
    def to_private(host, port):
        return [ipaddress.ip_address("10.0.0.7")]

    def to_public(host, port):
        return [PUBLIC]

    url = "https://hooks.bakery.test/summary"
    with pytest.raises(UnsafeWebhookUrl, match="hooks.bakery.test -> 10.0.0.7 is a private"):
        check_webhook_url(url, AddressPolicy(), resolver=to_private)
    assert check_webhook_url(url, AddressPolicy(), resolver=to_public) == url
    allowed = AddressPolicy(allowed_networks=(ipaddress.ip_network("10.0.0.0/24"),))
    assert check_webhook_url(url, allowed, resolver=to_private) == url


def test_delivery_connects_to_the_checked_address_keeping_the_name(server):
    """A name checked at registration that now resolves elsewhere (DNS rebinding) is checked
    again at delivery, and the request goes to the address that was checked."""
    port = int(server.url.rsplit(":", 1)[1])
    answers = {"hooks.bakery.test": [ipaddress.ip_address("127.0.0.1")]}
    loopback = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
    guarded = GuardedTransport(loopback, resolver=lambda host, _port: answers[host])
    server.reply(Reply(200))
    with httpx.Client(transport=guarded) as client:
        assert client.post(f"http://hooks.bakery.test:{port}/hook").status_code == 200
    assert server.requests[0].header("Host") == f"hooks.bakery.test:{port}"

    answers["hooks.bakery.test"] = [ipaddress.ip_address("169.254.169.254")]
    with (
        httpx.Client(transport=guarded) as client,
        pytest.raises(UnsafeWebhookUrl, match="169.254.169.254 is a link-local address"),
    ):
        client.post(f"http://hooks.bakery.test:{port}/hook")
    assert len(server.requests) == 1


def test_notifier_config_sets_attempts_and_timeout(server, monkeypatch):
    monkeypatch.setenv(ALLOWED_NETWORKS_ENV, "127.0.0.1/32")
    server.reply(*[Reply(200, delay_seconds=1.0)] * 2)
    notifier = WebhookNotifier(timeout_seconds=0.1, max_attempts=2, **FAST)
    result = notifier.deliver(server.url, PAYLOAD)

    assert (result.status, result.attempts, len(server.requests)) == ("failed", 2, 2)
    assert result.elapsed_seconds >= 0.2
