"""The Dagster face of the webhook poster: delivery settings as resource config."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from bakery_orchestration.notifications.webhook import DeliveryResult, post_json
from bakery_orchestration.retry import Backoff


class WebhookNotifier(dg.ConfigurableResource):
    """Posts JSON notifications to tenants' webhooks; a failed delivery is returned, not raised."""

    timeout_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    backoff_base_seconds: float = Field(default=0.5, ge=0)
    backoff_max_seconds: float = Field(default=30.0, ge=0)

    def deliver(
        self, url: str, payload: Mapping[str, Any], secret: str | None = None
    ) -> DeliveryResult:
        """POST `payload` to `url`, signed with `secret` (X-Bakery-Signature) when one is given."""
        return post_json(
            url,
            payload,
            timeout_seconds=self.timeout_seconds,
            max_attempts=self.max_attempts,
            secret=secret,
            backoff=Backoff(self.backoff_base_seconds, self.backoff_max_seconds),
        )
