"""A client for the bakery platform's Sales Service (docs/SALES_SERVICE_API.md); no Dagster here."""

import json
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd

from bakery_orchestration.retry import (
    Backoff,
    RetriesExhausted,
    describe_response,
    send_with_retries,
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


class SalesServiceClient:
    """Daily sales and the change feed, with timeouts and retries on transient failures."""

    def __init__(
        self,
        base_url: str,
        *,
        api_token: str | None = None,
        timeout_seconds: float = 10.0,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if api_token == "":
            raise ValueError("api_token is empty: leave it unset to send no Authorization header")
        headers = {"Accept": "application/json", "User-Agent": "bakery-orchestration"}
        if api_token is not None:
            headers["Authorization"] = f"Bearer {api_token}"
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout_seconds, transport=transport
        )
        self._retry = {
            "max_attempts": max_attempts,
            "backoff": backoff or Backoff(),
            "sleep": sleep,
            "rand": rand,
        }

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
        source = str(response.request.url)
        if _is_not_yet_available(response):
            return RawSales(tenant, day, rows_frame([]), source, found=False)
        body = _json_object(subject, response)
        if body.get("tenant") != tenant or body.get("date") != day.isoformat():
            raise SalesSourceError(
                f"sales service answered for tenant {body.get('tenant')!r} date "
                f"{body.get('date')!r} when asked for {subject} ({source})"
            )
        return RawSales(tenant, day, _daily_rows(subject, body), source, found=True)

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
    ) -> httpx.Response:
        """A 2xx response, or the not-yet-available 404 when `not_yet_ok`; else SalesSourceError."""
        try:
            response = send_with_retries(lambda: self._http.get(path, params=params), **self._retry)
        except RetriesExhausted as error:
            raise SalesSourceUnavailable(
                f"sales service unavailable for {subject} after {error.attempts} attempts: "
                f"last error: {error.last_error.reason}"
            ) from error
        if response.is_success or (not_yet_ok and _is_not_yet_available(response)):
            return response
        raise SalesSourceError(
            f"sales service rejected {subject}: {describe_response(response)} "
            f"({response.request.method} {response.request.url})"
        )


def _is_not_yet_available(response: httpx.Response) -> bool:
    if response.status_code != 404:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("detail") == NOT_YET_AVAILABLE


def _json_object(subject: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise SalesSourceError(
            f"sales service sent no JSON for {subject} (HTTP {response.status_code}, "
            f"{response.headers.get('content-type', 'no content type')})"
        ) from error
    if not isinstance(body, dict):
        raise SalesSourceError(f"sales service sent a JSON {type(body).__name__} for {subject}")
    return body


def _daily_rows(subject: str, body: dict[str, Any]) -> pd.DataFrame:
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise SalesSourceError(f"malformed daily sales for {subject}: items must be objects")
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
