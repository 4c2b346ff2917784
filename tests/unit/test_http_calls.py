"""Scope: the shared HTTP pieces without a network: bounded reading of streamed bodies, one-line
descriptions, the retry settings handed to httpx-retries, and the shared TLS context."""

import ssl

import httpx
import pytest

from bakery_orchestration.core import http_calls
from bakery_orchestration.core.http_calls import (
    Limits,
    ResponseLimitExceeded,
    describe_status,
    read_limited,
    retrying_transport,
)


def streamed(chunks: list[bytes], headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, headers=headers, content=iter(chunks))


def test_a_body_within_the_limit_is_read_whole():
    assert read_limited(streamed([b"ab", b"cd"]), Limits(4, 5.0)) == b"abcd"


def test_reading_stops_at_the_first_chunk_past_the_limit():
    read: list[int] = []

    def chunks():
        for number in range(1000):
            read.append(number)
            yield b"x" * 100

    response = httpx.Response(200, content=chunks())
    with pytest.raises(ResponseLimitExceeded, match="over 300 bytes is larger than the 250"):
        read_limited(response, Limits(250, 5.0))
    assert read == [0, 1, 2]  # the other 997 chunks were never pulled


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    response = streamed([b"x"], {"Content-Length": "999999999"})
    with pytest.raises(ResponseLimitExceeded, match="999999999 bytes is larger than the 10"):
        read_limited(response, Limits(10, 5.0))


def test_truncate_keeps_the_start_instead_of_refusing():
    assert read_limited(streamed([b"abcdef"]), Limits(4, 5.0), truncate=True) == b"abcd"


def test_a_slow_body_is_refused_after_the_time_limit():
    with pytest.raises(ResponseLimitExceeded, match="more than 0 s to read"):
        read_limited(streamed([b"a", b"b"]), Limits(100, 0.0))


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (500, b'{"detail": "db\\ndown"}', "HTTP 500 Internal Server Error: db down"),
        (503, b"", "HTTP 503 Service Unavailable"),
        (599, b"<html>\n oops</html>", "HTTP 599: <html> oops</html>"),
    ],
)
def test_describe_status_is_one_line(status, body, expected):
    assert describe_status(status, body) == expected


def test_retry_settings_count_attempts_not_retries():
    transport = retrying_transport(
        httpx.MockTransport(lambda request: httpx.Response(200)),
        attempts=3,
        backoff_base_seconds=0.5,
        backoff_max_seconds=10,
    )
    assert (transport.retry.total, transport.retry.max_backoff_wait) == (2, 10)
    assert transport.retry.total_timeout == 20
    assert transport.retry.is_retryable_status_code(429)
    assert not transport.retry.is_retryable_status_code(404)
    with pytest.raises(ValueError, match="at least 1"):
        retrying_transport(transport, attempts=0, backoff_base_seconds=0, backoff_max_seconds=0)


def test_transports_share_one_verifying_tls_context_per_process(monkeypatch):
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    built = []
    real = httpx.create_ssl_context
    http_calls.tls_context.cache_clear()
    monkeypatch.setattr(httpx, "create_ssl_context", lambda **kw: built.append(kw) or real(**kw))

    for url in ("https://sales.example/a", "https://hooks.example/b", "not a url"):
        http_calls.plain_transport(url).close()

    assert built == [{"trust_env": False}]  # built once, for three transports
    context = http_calls.tls_context(False)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    http_calls.tls_context.cache_clear()
