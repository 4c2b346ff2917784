"""The bakery_orchestration code location (see ``definitions.py``).

The checks on ``forecast_validation`` are partitioned per tenant-day on purpose: that is how a
check verdict is kept per bakery and day. Dagster 1.13 marks a check's ``partitions_def`` as a
preview and warns each time a process loads the code location; operators cannot act on it, so
that one message is silenced here, before any module declares a check. It matches on the
message so that every other Dagster warning still shows, and needs no Dagster import.

Likewise ``backfill_policy`` on ``@asset`` is marked beta in 1.13 (it is how UI and sensor
backfills batch tenant-days, docs/SCALING.md): chosen on purpose, its warning is silenced too.
"""

import warnings

warnings.filterwarnings(
    "ignore", message=r"Specifying a partitions_def on an AssetCheckSpec is currently in preview"
)
warnings.filterwarnings(
    "ignore", message=r"Parameter `backfill_policy` of function `asset` is currently in beta"
)
