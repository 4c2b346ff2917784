"""A client for the bakery platform's Sales Service (docs/SALES_SERVICE_API.md); no Dagster here."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd

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
from bakery_orchestration.sales.source_types import (
    ChangesPage,
    RawSales,
    SalesChange,
    SalesSourceError,
    SalesSourceUnavailable,
    rows_frame,
)

NOT_YET_AVAILABLE = "no sales for date"
MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # a bakery day is ~10 KB; 400 times that is not a day
MAX_ROWS = 10_000


@dataclass(frozen=True)
class Answer:
    """A response read within the limits: status, body and the URL it came from."""

    status: int
    body: bytes
    url: str
    content_type: str


class SalesServiceClient:
    """Daily sales and the change feed; transient failures are retried by the transport (up to
    `max_attempts` calls per request), responses bounded in size, rows and reading time."""

    def __init__(
        self,
        base_url: str,
        *,
        api_token: str | None = None,
        timeout_seconds: float = 10.0,
        max_attempts: int = 3,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 10.0,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        max_rows: int = MAX_ROWS,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if api_token == "":
            raise ValueError("api_token is empty: leave it unset to send no Authorization header")
        headers = {"Accept": "application/json", "User-Agent": "bakery-orchestration"}
        if api_token is not None:
            headers["Authorization"] = f"Bearer {api_token}"
        self._calls = CountingTransport(transport or plain_transport(base_url))
        retrying = retrying_transport(
            self._calls,
            attempts=max_attempts,
            backoff_base_seconds=backoff_base_seconds,
            backoff_max_seconds=backoff_max_seconds,
        )
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout_seconds, transport=retrying
        )
        self._limits = Limits(max_response_bytes, 3 * timeout_seconds)
        self._max_rows = max_rows

    @property
    def calls(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._calls.calls

    def __enter__(self) -> "SalesServiceClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def daily_sales(self, tenant: str, day: date) -> RawSales:
        """The tenant's sales on `day`; found=False while the service has none for that day yet."""
        if not tenant:
            raise ValueError("tenant must not be empty")
        subject = f"tenant {tenant!r} date {day.isoformat()}"
        path = f"api/v1/tenants/{quote(tenant, safe='')}/sales/daily"
        response = self._get(subject, path, {"date": day.isoformat()}, not_yet_ok=True)
        source = response.url
        if _is_not_yet_available(response):
            return RawSales(tenant, day, rows_frame([]), source, found=False)
        body = _json_object(subject, response)
        if body.get("tenant") != tenant or body.get("date") != day.isoformat():
            raise SalesSourceError(
                f"sales service answered for tenant {body.get('tenant')!r} date "
                f"{body.get('date')!r} when asked for {subject} ({source})"
            )
        rows = _daily_rows(subject, body, self._max_rows)
        return RawSales(tenant, day, rows, source, found=True)

    def changes(self, cursor: str | None, limit: int) -> ChangesPage:
        """Days whose sales changed after `cursor` (None: from the beginning), oldest first."""
        subject = f"changes since cursor {cursor!r}"
        params: dict[str, str | int] = {"limit": limit}
        if cursor is not None:
            params["since"] = cursor
        body = _json_object(subject, self._get(subject, "api/v1/sales/changes", params))
        try:
            items = [_change(item) for item in body["changes"]]
            next_cursor = body["next_cursor"]
            has_more = bool(body.get("has_more", False))
        except (KeyError, TypeError, ValueError) as error:
            raise SalesSourceError(f"malformed sales changes for {subject}: {error!r}") from error
        if next_cursor is not None and not isinstance(next_cursor, str):
            raise SalesSourceError(f"malformed sales changes for {subject}: bad next_cursor")
        return ChangesPage(items, next_cursor if next_cursor is not None else cursor, has_more)

    def _get(
        self, subject: str, path: str, params: dict[str, Any], *, not_yet_ok: bool = False
    ) -> Answer:
        """A 2xx answer, or the not-yet-available 404 when `not_yet_ok`; else SalesSourceError
        (SalesSourceUnavailable when the service did not answer usefully after every try)."""
        before = self.calls
        try:
            with self._http.stream("GET", path, params=params) as response:
                answer = Answer(
                    response.status_code,
                    read_limited(response, self._limits),
                    str(response.request.url),
                    response.headers.get("content-type", "no content type"),
                )
        except ResponseLimitExceeded as error:
            raise SalesSourceError(
                f"sales service answer for {subject} refused: {error}"
            ) from error
        except httpx.TransportError as error:
            raise self._unavailable(subject, before, describe_transport_error(error)) from error
        if answer.status in TRANSIENT_STATUSES:
            raise self._unavailable(subject, before, describe_status(answer.status, answer.body))
        if 200 <= answer.status < 300 or (not_yet_ok and _is_not_yet_available(answer)):
            return answer
        raise SalesSourceError(
            f"sales service rejected {subject}: {describe_status(answer.status, answer.body)} "
            f"(GET {answer.url})"
        )

    def _unavailable(self, subject: str, before: int, reason: str) -> SalesSourceUnavailable:
        attempts = self.calls - before
        return SalesSourceUnavailable(
            f"sales service unavailable for {subject} after {attempts} attempts: "
            f"last error: {reason}"
        )


def _is_not_yet_available(answer: Answer) -> bool:
    if answer.status != 404:
        return False
    try:
        body = json.loads(answer.body)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("detail") == NOT_YET_AVAILABLE


def _json_object(subject: str, answer: Answer) -> dict[str, Any]:
    try:
        body = json.loads(answer.body)
    except ValueError as error:
        raise SalesSourceError(
            f"sales service sent no JSON for {subject} (HTTP {answer.status}, "
            f"{answer.content_type})"
        ) from error
    if not isinstance(body, dict):
        raise SalesSourceError(f"sales service sent a JSON {type(body).__name__} for {subject}")
    return body


def _daily_rows(subject: str, body: dict[str, Any], max_rows: int) -> pd.DataFrame:
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise SalesSourceError(f"malformed daily sales for {subject}: items must be objects")
    if len(items) > max_rows:
        raise SalesSourceError(
            f"sales service sent {len(items)} rows for {subject}, more than the {max_rows} limit"
        )
    return rows_frame(
        [
            (body["date"], _as_text(item.get("product")), _as_text(item.get("quantity")), number)
            for number, item in enumerate(items, start=1)
        ]
    )


def _as_text(value: object) -> str:
    """A JSON value as the text it was sent as, so validation sees `12.5` or `"12,5"` verbatim."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _change(item: dict[str, Any]) -> SalesChange:
    changed_at = datetime.fromisoformat(item["changed_at"])
    if changed_at.tzinfo is None:
        raise ValueError(f"changed_at {item['changed_at']!r} has no UTC offset")
    return SalesChange(
        tenant=str(item["tenant"]),
        day=date.fromisoformat(item["date"]),
        changed_at=changed_at.astimezone(UTC),
    )
