"""Scope: the shared backoff helper (delays, Retry-After parsing, retry_call) with a fake clock."""

from datetime import UTC, datetime

import httpx
import pytest

from bakery_orchestration.retry import (
    Backoff,
    RetriesExhausted,
    RetryableError,
    describe_response,
    is_transient_status,
    parse_retry_after,
    retry_call,
)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [
        (1, 1.0, 0.5),
        (2, 1.0, 1.0),
        (3, 1.0, 2.0),
        (3, 0.25, 0.5),
        (7, 1.0, 30.0),  # 0.5 * 2**6 = 32, capped
        (20, 0.5, 15.0),
        (1, 0.0, 0.0),
    ],
)
def test_full_jitter_delay_is_uniform_below_the_capped_exponential(attempt, rand, expected):
    assert Backoff(0.5, 30.0).delay(attempt, rand=lambda: rand) == expected


@pytest.mark.parametrize(("retry_after", "expected"), [(2.0, 2.0), (120.0, 30.0), (-5.0, 0.0)])
def test_retry_after_replaces_jitter_and_is_capped(retry_after, expected):
    assert Backoff(0.5, 30.0).delay(1, retry_after, rand=lambda: 0.0) == expected


NOW = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        (" 17 ", 17.0),
        ("Mon, 02 Mar 2026 08:00:45 GMT", 45.0),
        ("Mon, 02 Mar 2026 07:59:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header, now=NOW) == expected


class FlakyCall:
    """Fails with RetryableError `failures` times, then returns "done"."""

    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retry_after = retry_after
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise RetryableError(f"failure {self.calls}", self.retry_after)
        return "done"


def test_retry_call_sleeps_the_backoff_between_attempts_and_returns():
    sleeps: list[float] = []
    call = FlakyCall(failures=3)
    result = retry_call(
        call, max_attempts=5, backoff=Backoff(1.0, 30.0), sleep=sleeps.append, rand=lambda: 0.5
    )
    assert (result, call.calls, sleeps) == ("done", 4, [0.5, 1.0, 2.0])


def test_retry_call_honours_retry_after():
    sleeps: list[float] = []
    retry_call(
        FlakyCall(1, retry_after=2.0), max_attempts=2, backoff=Backoff(), sleep=sleeps.append
    )
    assert sleeps == [2.0]


def test_retry_call_gives_up_with_the_last_error_and_no_sleep_after_it():
    sleeps: list[float] = []
    with pytest.raises(RetriesExhausted) as raised:
        retry_call(FlakyCall(9), max_attempts=3, backoff=Backoff(), sleep=sleeps.append)
    assert raised.value.attempts == 3
    assert raised.value.last_error.reason == "failure 3"
    assert len(sleeps) == 2


def test_retry_call_does_not_retry_other_errors():
    calls = []

    def broken() -> None:
        calls.append(1)
        raise KeyError("not transient")

    with pytest.raises(KeyError):
        retry_call(broken, max_attempts=5, backoff=Backoff(), sleep=lambda _: None)
    assert calls == [1]


def test_retry_call_rejects_zero_attempts():
    with pytest.raises(ValueError, match="max_attempts"):
        retry_call(lambda: None, max_attempts=0, backoff=Backoff())


@pytest.mark.parametrize(
    ("status", "transient"), [(429, True), (500, True), (503, True), (404, False), (400, False)]
)
def test_transient_statuses(status, transient):
    assert is_transient_status(status) is transient


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(401, json={"detail": "bad\ntoken"}), "HTTP 401 Unauthorized: bad token"),
        (
            httpx.Response(502, text="<h1>Bad\r\n gateway</h1>"),
            "HTTP 502 Bad Gateway: <h1>Bad gateway</h1>",
        ),
        (httpx.Response(500), "HTTP 500 Internal Server Error"),
    ],
)
def test_describe_response_is_one_line(response, expected):
    assert describe_response(response) == expected
