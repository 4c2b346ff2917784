"""The Dagster face of the webhook poster: delivery settings as resource config."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from bakery_orchestration.notifications.addresses import AddressPolicy
from bakery_orchestration.notifications.webhook import (
    MAX_RESPONSE_BYTES,
    DeliveryResult,
    post_json,
)


class WebhookNotifier(dg.ConfigurableResource):
    """Posts signed JSON notifications to tenants' webhooks, only to addresses the operator's
    policy allows (notifications.addresses); a failed delivery is returned, not raised."""

    timeout_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    max_response_bytes: int = Field(default=MAX_RESPONSE_BYTES, gt=0)

    def deliver(
        self, url: str, payload: Mapping[str, Any], secret: str | None = None
    ) -> DeliveryResult:
        """POST `payload` to `url`, signed with the tenant's `secret` (Standard Webhooks)."""
        return post_json(
            url,
            payload,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            secret=secret,
            backoff_base_seconds=self.backoff_base_seconds,
            backoff_max_seconds=self.backoff_max_seconds,
            policy=AddressPolicy.from_environment(),
            max_response_bytes=self.max_response_bytes,
        )
