"""Scope: the Sales Service client and HttpSalesSource against a real HTTP server on 127.0.0.1.

Retries (httpx-retries in the transport) run with millisecond backoff and are counted at the
server; timeouts, Retry-After waits and size limits are real.
"""

import socket
import time
from datetime import UTC, date, datetime

import dagster as dg
import pytest

from bakery_orchestration.sales.http_client import SalesServiceClient
from bakery_orchestration.sales.resources import (
    HttpSalesSource,
    SalesSource,
    SalesSourceError,
    SalesSourceUnavailable,
)
from tests.helpers.http_server import Reply, ScriptedServer

DAY = date(2026, 3, 2)
DAILY_PATH = "/api/v1/tenants/bakery-a/sales/daily"
NOT_YET = Reply(404, {"detail": "no sales for date"})


def daily_body(tenant: str = "bakery-a", day: str = "2026-03-02") -> dict:
    items = [{"product": "BAGUETTE", "quantity": 46}, {"product": "CROISSANT", "quantity": "12,5"}]
    return {"tenant": tenant, "date": day, "items": items}


@pytest.fixture
def server():
    with ScriptedServer() as running:
        yield running


FAST = {"backoff_base_seconds": 0.001, "backoff_max_seconds": 0.01}


@pytest.fixture
def client(server):
    """Three calls per request at most, millisecond waits between them."""
    with SalesServiceClient(server.url, timeout_seconds=2.0, max_attempts=3, **FAST) as client:
        yield client


def test_daily_sales_are_returned_as_received(server, client):
    server.reply(Reply(200, daily_body()))
    sales = client.daily_sales("bakery-a", DAY)

    assert sales.found and (sales.tenant, sales.day) == ("bakery-a", DAY)
    assert sales.rows.to_dict("records") == [
        {"date": "2026-03-02", "product": "BAGUETTE", "quantity": "46", "line": 1},
        {"date": "2026-03-02", "product": "CROISSANT", "quantity": "12,5", "line": 2},
    ]
    assert sales.source == f"{server.url}{DAILY_PATH}?date=2026-03-02"
    [request] = server.requests
    assert (request.method, request.route, request.query) == (
        "GET",
        DAILY_PATH,
        {"date": "2026-03-02"},
    )
    assert request.header("Authorization") is None


def test_503_twice_then_200_succeeds_after_backoff(server, client):
    server.reply(Reply(503, "down"), Reply(503, "down"), Reply(200, daily_body()))
    sales = client.daily_sales("bakery-a", DAY)

    assert sales.found and len(sales.rows) == 2
    assert len(server.requests) == client.calls == 3


def test_429_retry_after_is_honoured(server):
    server.reply(
        Reply(429, {"detail": "slow down"}, {"Retry-After": "1"}), Reply(200, daily_body())
    )
    started = time.monotonic()
    with SalesServiceClient(server.url, max_attempts=2, backoff_max_seconds=5) as client:
        assert client.daily_sales("bakery-a", DAY).found
    assert 1.0 <= time.monotonic() - started < 4.0
    assert len(server.requests) == 2


def test_retry_after_is_capped_by_the_longest_backoff(server):
    server.reply(Reply(503, headers={"Retry-After": "3600"}), Reply(200, daily_body()))
    started = time.monotonic()
    with SalesServiceClient(server.url, max_attempts=2, **FAST) as client:
        assert client.daily_sales("bakery-a", DAY).found
    assert time.monotonic() - started < 2.0


def test_exhausted_retries_name_tenant_date_attempts_and_last_error(server, client):
    server.reply(Reply(503), Reply(502), Reply(500, {"detail": "database\nunavailable"}))
    with pytest.raises(SalesSourceError) as raised:
        client.daily_sales("bakery-a", DAY)

    message = str(raised.value)
    assert message == (
        "sales service unavailable for tenant 'bakery-a' date 2026-03-02 after 3 attempts: "
        "last error: HTTP 500 Internal Server Error: database unavailable"
    )
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("status", "reason"), [(400, "Bad Request"), (401, "Unauthorized"), (403, "Forbidden")]
)
def test_client_errors_fail_at_once_in_one_line(server, client, status, reason):
    server.reply(Reply(status, {"detail": "tenant\nnot allowed"}))
    with pytest.raises(SalesSourceError) as raised:
        client.daily_sales("bakery-a", DAY)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(
        f"sales service rejected tenant 'bakery-a' date 2026-03-02: "
        f"HTTP {status} {reason}: tenant not allowed (GET {server.url}{DAILY_PATH}"
    )
    assert len(server.requests) == 1


def test_timeouts_are_retried_then_fail_clearly(server):
    server.reply(*[Reply(200, daily_body(), delay_seconds=1.0)] * 2)
    slow_client = SalesServiceClient(server.url, timeout_seconds=0.1, max_attempts=2, **FAST)
    with slow_client, pytest.raises(SalesSourceError) as raised:
        slow_client.daily_sales("bakery-a", DAY)

    assert str(raised.value).startswith(
        "sales service unavailable for tenant 'bakery-a' date 2026-03-02 after 2 attempts: "
        "last error: ReadTimeout"
    )
    assert len(server.requests) == 2


def test_connection_refused_is_retried_then_fails():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = SalesServiceClient(f"http://127.0.0.1:{port}", max_attempts=2, **FAST)
    with (
        refused,
        pytest.raises(SalesSourceError, match="after 2 attempts: last error: ConnectError"),
    ):
        refused.daily_sales("bakery-a", DAY)


def test_an_oversized_answer_is_refused_naming_tenant_and_date(server):
    server.reply(Reply(200, {**daily_body(), "padding": "x" * 5000}))
    with (
        SalesServiceClient(server.url, max_response_bytes=4096) as client,
        pytest.raises(SalesSourceError) as raised,
    ):
        client.daily_sales("bakery-a", DAY)
    assert str(raised.value) == (
        "sales service answer for tenant 'bakery-a' date 2026-03-02 refused: response of 5157 "
        "bytes is larger than the 4096 byte limit"
    )
    assert len(server.requests) == 1  # a limit is not transient: no retry


def test_too_many_rows_are_refused_naming_tenant_and_date(server):
    items = [{"product": f"P{i}", "quantity": 1} for i in range(11)]
    server.reply(Reply(200, {"tenant": "bakery-a", "date": "2026-03-02", "items": items}))
    with (
        SalesServiceClient(server.url, max_rows=10) as client,
        pytest.raises(SalesSourceError) as raised,
    ):
        client.daily_sales("bakery-a", DAY)
    assert str(raised.value) == (
        "sales service sent 11 rows for tenant 'bakery-a' date 2026-03-02, more than the 10 limit"
    )


def test_garbage_is_an_error_not_an_outage(server, client):
    server.reply(Reply(200, b"\x00\xff garbage", {"Content-Type": "application/json"}))
    with pytest.raises(SalesSourceError) as raised:
        client.daily_sales("bakery-a", DAY)
    assert not isinstance(raised.value, SalesSourceUnavailable)
    assert str(raised.value) == (
        "sales service sent no JSON for tenant 'bakery-a' date 2026-03-02 (HTTP 200, "
        "application/json)"
    )
    assert len(server.requests) == 1


def test_not_yet_available_404_means_not_found(server, client):
    server.reply(NOT_YET)
    sales = client.daily_sales("bakery-a", DAY)

    assert not sales.found
    assert sales.rows.empty and list(sales.rows.columns) == ["date", "product", "quantity", "line"]


@pytest.mark.parametrize(
    "reply", [Reply(404, {"detail": "unknown tenant"}), Reply(404, "<html>Not Found</html>")]
)
def test_any_other_404_is_an_error(server, client, reply):
    server.reply(reply)
    with pytest.raises(
        SalesSourceError, match="rejected tenant 'bakery-a' date 2026-03-02: HTTP 404"
    ):
        client.daily_sales("bakery-a", DAY)


def test_an_answer_for_another_day_is_refused(server, client):
    server.reply(Reply(200, daily_body(day="2026-03-01")))
    with pytest.raises(
        SalesSourceError, match="date '2026-03-01' when asked for tenant 'bakery-a'"
    ):
        client.daily_sales("bakery-a", DAY)


def test_an_empty_day_is_found_with_no_rows(server, client):
    server.reply(Reply(200, {"tenant": "bakery-a", "date": "2026-03-02", "items": []}))
    sales = client.daily_sales("bakery-a", DAY)
    assert sales.found and sales.rows.empty


def test_tenant_slug_is_path_escaped(server, client):
    server.reply(Reply(200, daily_body(tenant="la boulangerie/2")))
    client.daily_sales("la boulangerie/2", DAY)
    assert server.requests[0].route == "/api/v1/tenants/la%20boulangerie%2F2/sales/daily"


def test_changes_are_paged_with_the_cursor(server, client):
    server.reply(
        Reply(
            200,
            {
                "changes": [
                    {
                        "tenant": "bakery-a",
                        "date": "2026-03-01",
                        "changed_at": "2026-03-02T06:00:00Z",
                    },
                    {
                        "tenant": "bakery-b",
                        "date": "2026-03-02",
                        "changed_at": "2026-03-02T08:30:00+01:00",
                    },
                ],
                "next_cursor": "c-2",
                "has_more": True,
            },
        ),
        Reply(200, {"changes": [], "next_cursor": "c-2", "has_more": False}),
    )
    first = client.changes(None, limit=2)
    second = client.changes(first.next_cursor, limit=2)

    assert [(c.tenant, c.day, c.changed_at) for c in first.items] == [
        ("bakery-a", date(2026, 3, 1), datetime(2026, 3, 2, 6, 0, tzinfo=UTC)),
        ("bakery-b", date(2026, 3, 2), datetime(2026, 3, 2, 7, 30, tzinfo=UTC)),
    ]
    assert (first.next_cursor, first.has_more) == ("c-2", True)
    assert (second.items, second.next_cursor, second.has_more) == ([], "c-2", False)
    assert [r.query for r in server.requests] == [{"limit": "2"}, {"since": "c-2", "limit": "2"}]
    assert {r.route for r in server.requests} == {"/api/v1/sales/changes"}


def test_changes_without_utc_offset_are_refused(server, client):
    change = {"tenant": "bakery-a", "date": "2026-03-01", "changed_at": "2026-03-02T06:00:00"}
    server.reply(Reply(200, {"changes": [change], "next_cursor": "c-1"}))
    with pytest.raises(SalesSourceError, match="has no UTC offset"):
        client.changes("c-0", limit=10)


def test_resource_sends_the_bearer_token_under_a_base_path(server, monkeypatch):
    monkeypatch.setenv("SALES_SERVICE_TOKEN", "s3cret")
    server.reply(Reply(200, daily_body()), NOT_YET)
    source = HttpSalesSource(
        base_url=f"{server.url}/sales-service", api_token=dg.EnvVar("SALES_SERVICE_TOKEN")
    )

    @dg.asset
    def fetched(sales_source: SalesSource) -> list[bool]:
        return [sales_source.fetch_daily_sales("bakery-a", day).found for day in (DAY, DAY)]

    result = dg.materialize([fetched], resources={"sales_source": source})

    assert result.output_for_node("fetched") == [True, False]
    assert [r.header("Authorization") for r in server.requests] == ["Bearer s3cret"] * 2
    assert server.requests[0].route == f"/sales-service{DAILY_PATH}"


def test_resource_changes_use_the_configured_page_size(server):
    server.reply(Reply(200, {"changes": [], "next_cursor": None, "has_more": False}))
    page = HttpSalesSource(base_url=server.url, changes_page_size=25).changes_since(None)
    assert (page.items, page.next_cursor) == ([], None)
    assert server.requests[0].query == {"limit": "25"}


def test_the_environment_proxy_is_used_unless_no_proxy_names_the_host(server, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server.reply(Reply(200, daily_body()))
    with SalesServiceClient("http://sales.bakery.test") as client:
        assert client.daily_sales("bakery-a", DAY).found
    assert server.requests[0].path.startswith(f"http://sales.bakery.test{DAILY_PATH}")

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nobody listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server.reply(Reply(200, daily_body()))
    with SalesServiceClient(server.url) as client:
        assert client.daily_sales("bakery-a", DAY).found  # straight to the service
    assert server.requests[1].path.startswith(DAILY_PATH)
