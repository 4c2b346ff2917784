"""Retries with exponential backoff and full jitter, shared by the sales client and the webhook.

The pure part (`Backoff`, `retry_call`, `parse_retry_after`) knows nothing of HTTP libraries;
`send_with_retries` applies it to httpx requests so that both HTTP clients treat transient
failures (connect errors, timeouts, 429, 5xx, Retry-After) the same way.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx

T = TypeVar("T")

# Connect, read and write failures and a connection dropped mid-response are worth another try;
# an unsupported scheme or a bad proxy setting is not.
TRANSIENT_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff, full jitter: attempt n waits uniform(0, min(max, base * 2**(n-1)))."""

    base_seconds: float = 0.5
    max_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.base_seconds < 0 or self.max_seconds < 0:
            raise ValueError("backoff seconds must not be negative")

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after failed `attempt` (1-based); a server's Retry-After wins, capped."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_seconds)
        return rand() * min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))


class RetryableError(Exception):
    """An attempt failed in a way that may succeed if tried again."""

    def __init__(
        self, reason: str, retry_after: float | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.http_status = http_status


class RetriesExhausted(Exception):
    """Every attempt failed with a `RetryableError`; `last_error` is the final one."""

    def __init__(self, attempts: int, last_error: RetryableError) -> None:
        super().__init__(f"gave up after {attempts} attempts: {last_error.reason}")
        self.attempts = attempts
        self.last_error = last_error


def retry_call(
    attempt: Callable[[], T],
    *,
    max_attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> T:
    """Call `attempt` until it returns, retrying only on `RetryableError`."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
    for number in range(1, max_attempts + 1):
        try:
            return attempt()
        except RetryableError as error:
            if number == max_attempts:
                raise RetriesExhausted(max_attempts, error) from error
            sleep(backoff.delay(number, error.retry_after, rand))
    raise AssertionError("unreachable")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from Retry-After (delta-seconds or HTTP date); None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def is_transient_status(status: int) -> bool:
    """429 and 5xx say "not now", every other status is the final answer."""
    return status == 429 or status >= 500


def describe_response(response: httpx.Response) -> str:
    """One line: status, reason and the server's `detail` (or the start of the body)."""
    try:
        body = response.json()
        detail = body.get("detail") if isinstance(body, dict) else None
    except ValueError:
        detail = None
    text = str(detail) if detail is not None else response.text[:200]
    text = " ".join(text.split())
    reason = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    return f"{reason}: {text}" if text else reason


def describe_transport_error(error: httpx.TransportError) -> str:
    """One line naming the kind of failure, e.g. `ReadTimeout: timed out`."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    max_attempts: int,
    backoff: Backoff,
    sleep: Callable[[float], None] = time.sleep,
    rand: Callable[[], float] = random.random,
) -> httpx.Response:
    """The first response that is not transient; raises `RetriesExhausted` otherwise."""

    def attempt() -> httpx.Response:
        try:
            response = send()
        except TRANSIENT_TRANSPORT_ERRORS as error:
            raise RetryableError(describe_transport_error(error)) from error
        if is_transient_status(response.status_code):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RetryableError(describe_response(response), retry_after, response.status_code)
        return response

    return retry_call(attempt, max_attempts=max_attempts, backoff=backoff, sleep=sleep, rand=rand)
