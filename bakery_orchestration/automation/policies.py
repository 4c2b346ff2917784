"""Step retry policy for assets that call services (the Sales Service, tenants' webhooks).

Three retries, 2 s doubling with jitter, so a brief outage does not fail a tenant's morning; run
retries (dagster.yaml) and run monitoring cover what step retries cannot.
"""

import dagster as dg

SERVICE_RETRY_POLICY = dg.RetryPolicy(
    max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
