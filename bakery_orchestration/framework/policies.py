"""Which layer retries which failure: one layer per kind (docs/RELIABILITY.md).

- A transient HTTP failure (connect error, timeout, dropped connection, 429, 5xx): the HTTP
  client's transport, inside one step attempt (bakery_orchestration.core.http_calls).
- A Sales Service outage longer than the client's tries: the ``daily_sales`` step, again after
  a pause (``after_outage``); no other failure of that step is retried.
- A database blip during the summary: ``SERVICE_RETRY_POLICY`` on ``daily_summary`` (its webhook
  never raises, so this never repeats a delivery the notifier already retried).
- A dead run worker (OOM, lost node): run retries in dagster.yaml, which skip runs that failed
  in a step (``retry_on_asset_or_op_failure: false``), so no cause is retried twice.
"""

import dagster as dg

SERVICE_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)


def after_outage(context: dg.AssetExecutionContext, source, error: Exception) -> Exception:
    """What a step raises when its source stayed unavailable through the client's own tries:
    a step retry after a pause while some remain, then a failure carrying the one-line reason."""
    if context.retry_number < source.outage_step_retries:
        return dg.RetryRequested(
            max_retries=source.outage_step_retries, seconds_to_wait=source.outage_retry_seconds
        )
    attempts = context.retry_number + 1
    return dg.Failure(description=f"{error}; gave up after {attempts} step attempts")
