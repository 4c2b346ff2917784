"""POST a JSON payload to a tenant's webhook; failures come back as a result, never raised.

A notification must not fail the run that produced the data it announces: the caller records
`status="failed"` with `error` and carries on.
"""

import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import httpx

from bakery_orchestration.retry import (
    Backoff,
    RetriesExhausted,
    describe_response,
    describe_transport_error,
    send_with_retries,
)

SIGNATURE_HEADER = "X-Bakery-Signature"


@dataclass(frozen=True)
class DeliveryResult:
    """How one delivery ended; `error` is a one-line reason when `status` is "failed"."""

    status: Literal["sent", "failed"]
    http_status: int | None
    attempts: int
    error: str | None
    elapsed_seconds: float


def signature(secret: str, body: bytes) -> str:
    """The `X-Bakery-Signature` value: `sha256=` and the hex HMAC-SHA256 of the exact body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
    backoff: Backoff | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> DeliveryResult:
    """Deliver `payload`, retrying connect errors, timeouts, 429 and 5xx; a 2xx means sent."""
    body = encode_payload(payload)
    request_headers = {"Content-Type": "application/json", **(headers or {})}
    if secret:
        request_headers[SIGNATURE_HEADER] = signature(secret, body)
    client = httpx.Client(timeout=timeout_seconds, transport=transport)
    started = time.monotonic()
    attempts = 0

    def send() -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return client.post(url, content=body, headers=request_headers)

    def result(http_status: int | None, error: str | None) -> DeliveryResult:
        status: Literal["sent", "failed"] = "failed" if error else "sent"
        return DeliveryResult(status, http_status, attempts, error, time.monotonic() - started)

    with client:
        try:
            response = send_with_retries(
                send,
                max_attempts=max_attempts,
                backoff=backoff or Backoff(),
                sleep=sleep,
                rand=rand,
            )
        except RetriesExhausted as error:
            last = error.last_error
            return result(last.http_status, f"gave up after {attempts} attempts: {last.reason}")
        except httpx.TransportError as error:
            return result(None, f"not sent: {describe_transport_error(error)}")
        except httpx.InvalidURL as error:
            return result(None, f"not sent: invalid URL: {error}")
    if response.is_success:
        return result(response.status_code, None)
    return result(response.status_code, f"rejected: {describe_response(response)}")


def _iso(value: object) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
