"""``bakery-orch backfill``: re-run a tenant's days through a running Dagster webserver.

The backfill is launched with the webserver's GraphQL mutation ``launchPartitionBackfill`` (the
Python GraphQL client has no backfill method), so it is the same backfill the UI launches: the
daemon runs it through the queue, its runs are audited, and the UI shows it. The command then
polls ``partitionBackfillOrError`` and shows a progress bar until the backfill ends. Without
``--asset``, it targets every tenant-day asset of the code location (the daily cycle).

Days before the webserver's first date partition (a rolling window, ``BAKERY_PARTITION_DAYS_KEPT``,
moves it forward every day) are refused before launching: they are no longer partitions, and
their history stays in the orchestration database (``bakery-orch runs list``).
"""

import sys
import time
from datetime import date, datetime, timedelta

import click
import httpx

from bakery_orchestration.core.errors import BakeryError

DEFAULT_URL = "http://127.0.0.1:3000"
FINISHED = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

ASSETS_QUERY = """
query TenantDayAssets {
  assetNodes { assetKey { path } partitionDefinition { dimensionTypes { name } } }
}"""

FIRST_DAY_QUERY = """
query FirstDay($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    __typename
    ... on AssetNode { partitionKeysByDimension(startIdx: 0, endIdx: 1) { name partitionKeys } }
    ... on Error { message }
  }
}"""

LAUNCH_MUTATION = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}"""

PROGRESS_QUERY = """
query Progress($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill {
      status
      assetBackfillData { assetBackfillStatuses {
        ... on AssetPartitionsStatusCounts {
          assetKey { path } numPartitionsTargeted numPartitionsMaterialized numPartitionsFailed
        }
      } }
    }
    ... on Error { message }
  }
}"""


class Webserver:
    """GraphQL over HTTP to one Dagster webserver; every failure becomes a one-line error."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, timeout=timeout)

    def query(self, text: str, variables: dict | None = None) -> dict:
        try:
            response = self._client.post("/graphql", json={"query": text, "variables": variables})
            response.raise_for_status()
            body = response.json()
        except httpx.HTTPError as exc:
            raise BakeryError(
                f"cannot reach the Dagster webserver at {self.url} ({exc}): start it with "
                "`.venv/bin/dagster dev` or pass --url"
            ) from exc
        if body.get("errors"):
            raise BakeryError(f"webserver at {self.url}: {body['errors'][0].get('message')}")
        return body["data"]

    def close(self) -> None:
        self._client.close()


def tenant_day_assets(server: Webserver) -> list[list[str]]:
    """Asset keys partitioned by tenant x date, as GraphQL paths."""
    nodes = server.query(ASSETS_QUERY)["assetNodes"]
    return sorted(
        node["assetKey"]["path"]
        for node in nodes
        if node["partitionDefinition"]
        and {d["name"] for d in node["partitionDefinition"]["dimensionTypes"]} == {"tenant", "date"}
    )


def partition_names(tenant: str, first: date, last: date) -> list[str]:
    """``YYYY-MM-DD|tenant`` for every day from ``first`` to ``last``."""
    if last < first:
        raise click.BadParameter(f"{last} is before {first}", param_hint="--to")
    days = (last - first).days + 1
    return [f"{first + timedelta(days=n)}|{tenant}" for n in range(days)]


def first_day(server: Webserver, asset: list[str]) -> date | None:
    """The first day of the ``date`` dimension of ``asset`` as the webserver loaded it."""
    node = server.query(FIRST_DAY_QUERY, {"path": asset})["assetNodeOrError"]
    if node["__typename"] != "AssetNode":
        raise BakeryError(f"asset {'/'.join(asset)}: {node.get('message', node['__typename'])}")
    for dimension in node["partitionKeysByDimension"]:
        if dimension["name"] == "date" and dimension["partitionKeys"]:
            return date.fromisoformat(dimension["partitionKeys"][0])
    return None


def check_window(first: date, start: date | None) -> None:
    if start is not None and first < start:
        raise BakeryError(
            f"{first} is before the first date partition {start} (BAKERY_PARTITION_START or "
            "BAKERY_PARTITION_DAYS_KEPT): those days are no longer partitions; their history is "
            "in the orchestration database (`bakery-orch runs list`)"
        )


def launch(server: Webserver, assets: list[list[str]], partitions: list[str]) -> str:
    params = {
        "assetSelection": [{"path": path} for path in assets],
        "partitionNames": partitions,
        "title": f"bakery-orch backfill {partitions[0]} .. {partitions[-1]}",
    }
    result = server.query(LAUNCH_MUTATION, {"params": params})["launchPartitionBackfill"]
    if result["__typename"] != "LaunchBackfillSuccess":
        raise BakeryError(f"backfill refused ({result['__typename']}): {result.get('message')}")
    return result["backfillId"]


def progress(server: Webserver, backfill_id: str) -> tuple[str, int, int, int]:
    """(status, asset partitions targeted, materialized, failed) of the backfill."""
    result = server.query(PROGRESS_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
    if result["__typename"] != "PartitionBackfill":
        raise BakeryError(f"backfill {backfill_id}: {result.get('message')}")
    counts = (result.get("assetBackfillData") or {}).get("assetBackfillStatuses") or []
    total = sum(c.get("numPartitionsTargeted", 0) for c in counts)
    done = sum(c.get("numPartitionsMaterialized", 0) for c in counts)
    failed = sum(c.get("numPartitionsFailed", 0) for c in counts)
    return result["status"], total, done, failed


def follow(server: Webserver, backfill_id: str, poll: float, timeout: float) -> tuple:
    """Poll until the backfill ends; the last (status, total, done, failed)."""
    from tqdm import tqdm

    deadline = time.monotonic() + timeout
    with tqdm(desc="backfill", unit="asset-partition", file=sys.stderr) as bar:
        while True:
            state = progress(server, backfill_id)
            status, total, done, failed = state
            bar.total = total or None
            bar.update(done + failed - bar.n)
            bar.set_postfix_str(f"{status.lower()}, {failed} failed")
            if status in FINISHED:
                return state
            if time.monotonic() > deadline:
                raise BakeryError(
                    f"backfill {backfill_id} still {status} after {timeout:.0f} s "
                    "(is dagster-daemon running?); follow it in the UI"
                )
            time.sleep(poll)


@click.command()
@click.option("--tenant", required=True, help="The tenant (bakery) slug.")
@click.option("--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--asset", "assets", multiple=True, help="Only these assets (repeatable).")
@click.option("--url", default=DEFAULT_URL, show_default=True, envvar="BAKERY_DAGSTER_URL")
@click.option("--poll-seconds", type=click.FloatRange(0.1, 60), default=2.0, show_default=True)
@click.option("--timeout", type=click.FloatRange(1), default=3600, show_default=True)
@click.option("--no-wait", is_flag=True, help="Launch and return without following it.")
def backfill(tenant, first: datetime, last: datetime, assets, url, poll_seconds, timeout, no_wait):
    """Backfill TENANT's days --from .. --to (inclusive) through the Dagster webserver at --url;
    needs dagster-daemon running. Exit 0 only when every asset partition materialized."""
    names = partition_names(tenant, first.date(), last.date())
    server = Webserver(url)
    try:
        paths = [[a] for a in assets] or tenant_day_assets(server)
        if not paths:
            raise BakeryError(f"the webserver at {url} has no tenant x date assets")
        check_window(first.date(), first_day(server, paths[0]))
        backfill_id = launch(server, paths, names)
        click.echo(f"backfill {backfill_id}: {len(paths)} assets x {len(names)} days of {tenant}")
        click.echo(f"  {server.url}/runs/b/{backfill_id}")
        if no_wait:
            return
        status, total, done, failed = follow(server, backfill_id, poll_seconds, timeout)
    finally:
        server.close()
    click.echo(
        f"backfill {backfill_id} {status.lower()}: {done}/{total} materialized, {failed} failed"
    )
    if not succeeded(status, failed):
        raise SystemExit(1)


def succeeded(status: str, failed: int) -> bool:
    return status == "COMPLETED_SUCCESS" or (status == "COMPLETED" and failed == 0)
