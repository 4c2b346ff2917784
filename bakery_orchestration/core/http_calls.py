"""HTTP pieces shared by the Sales Service client and the webhook poster.

One retry layer for transient HTTP failures: httpx-retries' transport, inside one call (connect
errors, timeouts, dropped connections, 429 and 5xx, with Retry-After honoured and capped). What
it cannot absorb is the caller's to report; docs/RELIABILITY.md says which layer retries what.
Responses are read as a stream and cut off at a size and a time limit, so a hostile or broken
server cannot fill memory or hold a step forever.
"""

import functools
import json
import ssl
import time
import urllib.request
from dataclasses import dataclass
from http import HTTPStatus

import httpx
from httpx_retries import Retry, RetryTransport

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class ResponseLimitExceeded(Exception):
    """A response was larger or slower than allowed; the message is one line."""


class CountingTransport(httpx.BaseTransport):
    """Counts the requests that reach the network, so a caller can say after how many tries."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@functools.cache
def tls_context(trust_env: bool) -> ssl.SSLContext:
    """The certificate-verifying TLS context httpx would build for a new transport, built once
    per process: loading the CA bundle costs 25-70 ms, and a morning run opens a transport per
    tenant for the Sales Service and another for the webhook. ``trust_env`` honours
    SSL_CERT_FILE / SSL_CERT_DIR, as httpx does; an SSLContext is safe to share between
    threads."""
    return httpx.create_ssl_context(trust_env=trust_env)


def http_transport(*, trust_env: bool = False, proxy: str | None = None) -> httpx.HTTPTransport:
    """``httpx.HTTPTransport`` with the process's shared TLS context (``tls_context``)."""
    return httpx.HTTPTransport(verify=tls_context(trust_env), trust_env=trust_env, proxy=proxy)


def plain_transport(url: str | httpx.URL) -> httpx.HTTPTransport:
    """A transport for `url` through the proxy the environment names for it (HTTPS_PROXY,
    NO_PROXY...), as httpx would pick by itself when no transport is given."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        return http_transport()  # the request itself will say what is wrong
    proxy = urllib.request.getproxies().get(target.scheme)
    if proxy and not urllib.request.proxy_bypass(target.host):
        return http_transport(trust_env=True, proxy=proxy)
    return http_transport()


def retrying_transport(
    inner: httpx.BaseTransport,
    *,
    attempts: int,
    backoff_base_seconds: float,
    backoff_max_seconds: float,
    methods: tuple[str, ...] = ("GET",),
) -> RetryTransport:
    """`inner` tried up to `attempts` times; waits grow from the base (full jitter), each capped
    at the max, a server's Retry-After included, and their sum capped at twice the max."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    longest = max(backoff_max_seconds, 0.001)  # httpx-retries refuses a zero cap
    retry = Retry(
        total=attempts - 1,
        allowed_methods=methods,
        status_forcelist=TRANSIENT_STATUSES,
        backoff_factor=backoff_base_seconds,
        max_backoff_wait=longest,
        total_timeout=2 * longest,
    )
    return RetryTransport(transport=inner, retry=retry)


@dataclass(frozen=True)
class Limits:
    """How much of a response is read, and for how long."""

    max_bytes: int
    max_seconds: float


def read_limited(response: httpx.Response, limits: Limits, *, truncate: bool = False) -> bytes:
    """The body of a streamed response, read chunk by chunk; past `max_bytes` it is cut off
    (`truncate`) or refused, and reading longer than `max_seconds` is refused."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > limits.max_bytes:
        raise ResponseLimitExceeded(_too_large(int(declared), limits))
    deadline = time.monotonic() + limits.max_seconds
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > limits.max_bytes:
            if truncate:
                return bytes(body[: limits.max_bytes])
            raise ResponseLimitExceeded(_too_large(len(body), limits, at_least=True))
        if time.monotonic() > deadline:
            raise ResponseLimitExceeded(
                f"response took more than {limits.max_seconds:g} s to read "
                f"({len(body)} bytes so far)"
            )
    return bytes(body)


def _too_large(size: int, limits: Limits, at_least: bool = False) -> str:
    return (
        f"response of {'over ' if at_least else ''}{size} bytes is larger than the "
        f"{limits.max_bytes} byte limit"
    )


def describe_status(status: int, body: bytes) -> str:
    """One line: status, reason and the server's `detail` (or the start of the body)."""
    reason = f"HTTP {status} {_reason(status)}".rstrip()
    text = _detail(body)
    return f"{reason}: {text}" if text else reason


def describe_transport_error(error: Exception) -> str:
    """One line naming the kind of failure, e.g. `ReadTimeout: timed out`."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _detail(body: bytes) -> str:
    try:
        parsed = json.loads(body)
        detail = parsed.get("detail") if isinstance(parsed, dict) else None
    except ValueError:
        detail = None
    text = str(detail) if detail is not None else body[:200].decode("utf-8", "replace")
    return " ".join(text.split())
