"""Late past days batch into rectangles of the tenant x day partitions (one run each) that cover
exactly the late tenant-days, never more than the backfill size."""

import random
from datetime import UTC, date, datetime, timedelta

from bakery_orchestration.automation.late_sales import past_day_rectangles, past_day_requests
from bakery_orchestration.core.batches import RANGE_END_TAG, RANGE_START_TAG
from bakery_orchestration.core.partitions import partition_key, split_key

ORDER = ["a", "b", "c", "d", "e"]
D = date(2026, 3, 10)


def key(tenant: str, offset: int) -> str:
    return str(partition_key(tenant, D + timedelta(days=offset)))


def expand(start: str, end: str, order: list[str]) -> set[str]:
    (t0, d0), (t1, d1) = split_key(start), split_key(end)
    tenants = order[order.index(t0) : order.index(t1) + 1]
    days = [d0 + timedelta(days=i) for i in range((d1 - d0).days + 1)]
    return {str(partition_key(t, d)) for t in tenants for d in days}


def test_consecutive_days_of_one_tenant_share_a_run_and_a_gap_splits():
    late = [key("a", 0), key("a", 1), key("a", 2), key("a", 4)]
    assert past_day_rectangles(late, ORDER, 20) == [
        (key("a", 0), key("a", 2)),
        (key("a", 4), key("a", 4)),
    ]


def test_the_same_day_of_adjacent_tenants_shares_a_run():
    late = [key("a", 0), key("b", 0), key("c", 0), key("e", 0)]
    assert past_day_rectangles(late, ORDER, 20) == [
        (key("a", 0), key("c", 0)),
        (key("e", 0), key("e", 0)),
    ]


def test_size_caps_each_run():
    late = [key("a", i) for i in range(25)]
    ranges = past_day_rectangles(late, ORDER, 20)
    assert ranges == [(key("a", 0), key("a", 19)), (key("a", 20), key("a", 24))]
    two = [key(t, i) for t in ("a", "b") for i in range(3)]
    assert past_day_rectangles(two, ORDER, 6) == [(key("a", 0), key("b", 2))]
    assert past_day_rectangles(two, ORDER, 5) == [
        (key("a", 0), key("a", 2)),
        (key("b", 0), key("b", 2)),
    ]


def test_random_late_sets_are_covered_exactly():
    rng = random.Random(7)
    for _ in range(200):
        late = {key(t, i) for t in ORDER for i in range(8) if rng.random() < 0.4}
        if not late:
            continue
        size = rng.choice([1, 2, 3, 5, 20])
        ranges = past_day_rectangles(sorted(late), ORDER, size)
        covered = [expand(start, end, ORDER) for start, end in ranges]
        assert all(len(c) <= size for c in covered)
        assert sum(len(c) for c in covered) == len(late)  # no overlap
        assert set().union(*covered) == late  # nothing more, nothing less


def test_requests_name_their_range_and_newest_change():
    late = [key("a", 0), key("a", 1), key("c", 5)]
    changed = {k: datetime(2026, 3, 20, 9, i, tzinfo=UTC) for i, k in enumerate(late)}
    batch, single = past_day_requests(late, changed, ORDER, 20)
    assert batch.partition_key is None
    assert (batch.tags[RANGE_START_TAG], batch.tags[RANGE_END_TAG]) == (key("a", 0), key("a", 1))
    assert (
        batch.run_key
        == f"late_sales:{key('a', 0)}..{key('a', 1)}:{changed[key('a', 1)]:%Y-%m-%dT%H:%M:%S+00:00}"
    )
    assert batch.tags["bakery/late_sales_scope"] == "past_day"
    assert [k.to_user_string() for k in batch.asset_selection] == [
        "daily_sales",
        "forecast_validation",
        "insights",
    ]
    assert single.partition_key == key("c", 5) and RANGE_START_TAG not in single.tags
