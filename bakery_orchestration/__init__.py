"""The bakery_orchestration code location (see ``definitions.py``).

The checks on ``forecast_validation`` are partitioned per tenant-day on purpose: that is how a
check verdict is kept per bakery and day. Dagster 1.13 marks a check's ``partitions_def`` as a
preview and warns each time a process loads the code location; operators cannot act on it, so
that one message is silenced here, before any module declares a check. It matches on the
message so that every other Dagster warning still shows, and needs no Dagster import.
"""

import warnings

warnings.filterwarnings(
    "ignore", message=r"Specifying a partitions_def on an AssetCheckSpec is currently in preview"
)
