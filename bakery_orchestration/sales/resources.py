"""Where daily sales come from: the Sales Service over HTTP in production, landed files locally."""

from abc import abstractmethod
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from bakery_orchestration.sales import landing_files
from bakery_orchestration.sales.http_client import MAX_RESPONSE_BYTES, MAX_ROWS, SalesServiceClient
from bakery_orchestration.sales.source_types import (
    ChangesPage,
    RawSales,
    SalesChange,
    SalesSourceError,
    SalesSourceUnavailable,
)

__all__ = [
    "ChangesPage",
    "HttpSalesSource",
    "LocalFilesSalesSource",
    "RawSales",
    "SalesChange",
    "SalesSource",
    "SalesSourceError",
    "SalesSourceUnavailable",
]


class SalesSource(dg.ConfigurableResource):
    """A tenant's raw daily sales and a feed of the days whose sales changed."""

    changes_page_size: int = Field(default=500, gt=0, description="Most changes per page.")
    outage_step_retries: int = Field(
        default=2, ge=0, description="Step retries when the source stays unavailable."
    )
    outage_retry_seconds: float = Field(
        default=60.0, ge=0, description="Wait before each of those step retries."
    )

    @abstractmethod
    def fetch_daily_sales(self, tenant: str, day: date) -> RawSales:
        """The day's sales as received; found=False if none yet. Raises SalesSourceError."""

    @abstractmethod
    def changes_since(self, cursor: str | None) -> ChangesPage:
        """Days changed after `cursor` (None: from the start); pass `next_cursor` next time."""


class HttpSalesSource(SalesSource):
    """The bakery platform's Sales Service (docs/SALES_SERVICE_API.md)."""

    base_url: str = Field(description="Service root, e.g. https://sales.example.com")
    api_token: str | None = Field(default=None, description="Bearer token; unset sends none.")
    timeout_seconds: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(default=3, ge=1, description="HTTP calls per request, retries in.")
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=10.0, ge=0)
    max_response_bytes: int = Field(default=MAX_RESPONSE_BYTES, gt=0)
    max_rows: int = Field(default=MAX_ROWS, gt=0, description="Most sales rows in one day.")

    def fetch_daily_sales(self, tenant: str, day: date) -> RawSales:
        with self._client() as client:
            return client.daily_sales(tenant, day)

    def changes_since(self, cursor: str | None) -> ChangesPage:
        with self._client() as client:
            return client.changes(cursor, self.changes_page_size)

    def _client(self) -> SalesServiceClient:
        return SalesServiceClient(
            self.base_url,
            api_token=self.api_token,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            backoff_base_seconds=self.backoff_base_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
            max_response_bytes=self.max_response_bytes,
            max_rows=self.max_rows,
        )


class LocalFilesSalesSource(SalesSource):
    """CSV files landed at `{landing_dir}/{tenant}/{YYYY-MM-DD}.csv`: the embedded default."""

    landing_dir: str = Field(description="Folder holding one sub-folder per tenant.")
    settle_seconds: float = Field(
        default=1.0, ge=0, description="Files changed more recently wait for the next call."
    )

    def fetch_daily_sales(self, tenant: str, day: date) -> RawSales:
        return landing_files.read_sales_file(Path(self.landing_dir), tenant, day)

    def changes_since(self, cursor: str | None) -> ChangesPage:
        return landing_files.changes_since(
            Path(self.landing_dir), cursor, self.changes_page_size, self.settle_seconds
        )
