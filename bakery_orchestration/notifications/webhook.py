"""POST a JSON payload to a webhook; failures come back as a result, never raised.

A notification must not fail the run that produced the data it announces: the caller records
`status="failed"` with `error` and carries on. Transient failures (connect errors, timeouts,
429, 5xx) are retried by the transport (bakery_orchestration.core.http_calls); a `policy` restricts
the addresses reached (tenants' webhooks, notifications.addresses); a `secret` signs the POST
(notifications.signing). The response is read only up to `max_response_bytes`.
"""

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import httpx

from bakery_orchestration.core.http_calls import (
    TRANSIENT_STATUSES,
    CountingTransport,
    Limits,
    ResponseLimitExceeded,
    describe_status,
    describe_transport_error,
    plain_transport,
    read_limited,
    retrying_transport,
)
from bakery_orchestration.notifications.addresses import (
    AddressPolicy,
    GuardedTransport,
    UnsafeWebhookUrl,
)
from bakery_orchestration.notifications.signing import signature_headers

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery ended; `error` is a one-line reason when `status` is "failed"."""

    status: Literal["sent", "failed"]
    http_status: int | None
    attempts: int
    error: str | None
    elapsed_seconds: float


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Compact JSON with sorted keys; dates and datetimes as ISO 8601 strings."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_iso).encode()


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    timeout_seconds: float = 5.0,
    max_attempts: int = 3,
    headers: Mapping[str, str] | None = None,
    secret: str | None = None,
    backoff_base_seconds: float = 0.5,
    backoff_max_seconds: float = 30.0,
    policy: AddressPolicy | None = None,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
    transport: httpx.BaseTransport | None = None,
) -> DeliveryResult:
    """Deliver `payload`; a 2xx means sent. Without `policy` any address is reached (operators'
    own webhooks, set by environment); with one, only the addresses it allows."""
    body = encode_payload(payload)
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    if secret:
        request_headers.update(signature_headers(secret, body))
    if policy is None:  # an operator's own endpoint: through the environment's proxy, if any
        counter = CountingTransport(transport or plain_transport(url))
    else:  # a tenant's: straight to the checked address, never via a proxy that would resolve it
        counter = CountingTransport(GuardedTransport(policy, transport))
    retrying = retrying_transport(
        counter,
        attempts=max_attempts,
        backoff_base_seconds=backoff_base_seconds,
        backoff_max_seconds=backoff_max_seconds,
        methods=("POST",),  # safe to repeat: receivers drop duplicates by webhook-id
    )
    started = time.monotonic()
    limits = Limits(max_response_bytes, timeout_seconds)
    with httpx.Client(timeout=timeout_seconds, transport=retrying) as client:
        http_status, error = _send(client, url, body, request_headers, limits, counter)
    status: Literal["sent", "failed"] = "failed" if error else "sent"
    elapsed = time.monotonic() - started
    return DeliveryResult(status, http_status, max(counter.calls, 1), error, elapsed)


def _send(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    limits: Limits,
    counter: CountingTransport,
) -> tuple[int | None, str | None]:
    """The receiver's status and, unless it is a 2xx, the one-line reason."""
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            answer = _answer(response, limits)
    except UnsafeWebhookUrl as error:
        return None, f"not sent: {error}"
    except httpx.TransportError as error:
        return None, _gave_up(counter.calls, describe_transport_error(error))
    except httpx.InvalidURL as error:
        return None, f"not sent: invalid URL: {error}"
    if response.is_success:
        return response.status_code, None
    reason = describe_status(response.status_code, answer)
    if response.status_code in TRANSIENT_STATUSES:
        return response.status_code, _gave_up(counter.calls, reason)
    return response.status_code, f"rejected: {reason}"


def _answer(response: httpx.Response, limits: Limits) -> bytes:
    """The start of the receiver's answer; its status alone decides, so a slow body is cut."""
    try:
        return read_limited(response, limits, truncate=True)
    except ResponseLimitExceeded:
        return b""


def _gave_up(attempts: int, reason: str) -> str:
    if attempts <= 1:
        return f"not sent: {reason}"
    return f"gave up after {attempts} attempts: {reason}"


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
