"""Tenant batches: grouping due tenants into partition ranges, their tags, and how a batch's
metadata and check results are combined."""

from datetime import date

import dagster as dg
import pytest

from bakery_orchestration.core.batches import (
    Batch,
    adjacent_groups,
    plan_batches,
    retrain_tenants_per_run,
    run_tenants,
    tenants_per_run,
)
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.framework.daily_asset import batch_check_result, batch_metadata

DAY = date(2026, 3, 16)
ORDER = ["a", "b", "c", "d", "e", "f", "g"]


def _groups(batches):
    return [(b.tenants, b.day, b.priority) for b in batches]


def test_adjacent_tenants_share_a_run_up_to_the_size():
    due = [(slug, DAY, 0) for slug in ORDER]
    assert [b.tenants for b in plan_batches(due, ORDER, 3)] == [
        ("a", "b", "c"),
        ("d", "e", "f"),
        ("g",),
    ]
    assert [b.tenants for b in plan_batches(due, ORDER, 1)] == [(s,) for s in ORDER]


def test_gaps_days_and_unknown_tenants_start_new_batches_and_the_most_urgent_go_first():
    other = date(2026, 3, 17)
    due = [
        ("a", DAY, 0),
        ("b", DAY, 0),
        ("d", DAY, 0),  # c is not due: a gap in the partition order
        ("e", DAY, 10),  # the batch d..e runs at e's priority
        ("f", other, 0),  # another day
        ("g", other, 0),
        ("zz", other, 0),  # not a registered partition yet
    ]
    assert _groups(plan_batches(due, ORDER, 10)) == [
        (("d", "e"), DAY, 10),
        (("a", "b"), DAY, 0),
        (("f", "g"), other, 0),
        (("zz",), other, 0),
    ]


def test_batch_tags_make_a_partition_range_that_is_never_retried_as_a_batch():
    batch = Batch(("a", "b", "c"), DAY, 5)
    assert batch.run_key == "a..c:2026-03-16"
    assert batch.partition_key is None
    assert batch.tags() == {
        "bakery/cycle_date": "2026-03-16",
        "dagster/asset_partition_range_start": "2026-03-16|a",
        "dagster/asset_partition_range_end": "2026-03-16|c",
        "bakery/batch_tenants": "a,b,c",
        "dagster/max_retries": "0",
    }
    single = Batch(("a",), DAY, 5)
    assert (single.run_key, str(single.partition_key)) == ("a:2026-03-16", "2026-03-16|a")
    assert single.tags() == {"bakery/cycle_date": "2026-03-16"}


def test_run_tenants_reads_batches_single_runs_and_others():
    def run(tags):
        return dg.DagsterRun(job_name="daily_cycle_job", tags=tags)

    assert run_tenants(run(Batch(("a", "b"), DAY, 0).tags())) == ["a", "b"]
    assert run_tenants(run({"dagster/partition": "2026-03-16|c"})) == ["c"]
    assert run_tenants(run({"dagster/partition": "c"})) == []


@pytest.mark.parametrize("raw", ["0", "201", "ten", "-1"])
def test_tenants_per_run_refuses_nonsense_with_one_line(raw):
    with pytest.raises(BakeryError, match="BAKERY_TENANTS_PER_RUN.*1 to 200"):
        tenants_per_run({"BAKERY_TENANTS_PER_RUN": raw})
    assert tenants_per_run({}) == 1
    assert tenants_per_run({"BAKERY_TENANTS_PER_RUN": "25"}) == 25


def test_batch_metadata_sums_integers_and_keeps_each_tenant_day():
    metadata = batch_metadata(
        {
            "2026-03-16|a": {"products": 12, "units": 3.5, "closed": False, "source": "x"},
            "2026-03-16|b": {"products": 10, "units": 1.5, "closed": True, "source": "y"},
        }
    )
    assert metadata["tenant_days"] == 2
    assert metadata["total_products"] == 22
    assert "total_units" not in metadata and "total_closed" not in metadata
    assert metadata["per_tenant_day"].value["2026-03-16|b"] == {
        "products": 10,
        "units": 1.5,
        "closed": True,
        "source": "y",
    }


def test_a_batch_check_records_each_tenant_days_verdict_on_its_partition():
    passed = dg.AssetCheckResult(passed=True)
    warn = dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.WARN, description="WAPE 90% above 40%"
    )
    error = dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)
    key = dg.AssetCheckKey(dg.AssetKey("a"), "c")
    k1, k2 = "2026-03-02|bakery-a", "2026-03-02|bakery-b"
    logged = []
    ok = batch_check_result(logged.append, key, False, [(k1, passed), (k2, passed)])
    assert ok.passed and ok.metadata["tenant_days_failed"].value == 0
    mixed = batch_check_result(logged.append, key, False, [(k1, passed), (k2, warn)])
    assert not mixed.passed and mixed.severity == dg.AssetCheckSeverity.WARN
    assert mixed.description.endswith(f"{k2}: WAPE 90% above 40%")
    assert mixed.metadata["tenant_day_verdicts"].value == [
        {"partition": k1, "passed": True, "severity": "ERROR", "description": None},
        {"partition": k2, "passed": False, "severity": "WARN", "description": warn.description},
    ]
    worst = batch_check_result(logged.append, key, True, [(k1, warn), (k2, error)])
    assert worst.severity == dg.AssetCheckSeverity.ERROR
    assert [(e.partition, e.passed, e.blocking) for e in logged[-2:]] == [
        (k1, False, True),
        (k2, False, True),
    ]
    assert {e.asset_check_key for e in logged} == {key} and len(logged) == 6


def test_a_run_whose_range_dagster_truncated_is_refused():
    """A job backfill's batched run carries range tags, but Dagster hands its steps only the first
    tenant-day (dagster-io/dagster#28861; seen through the real webserver and daemon). The step
    must refuse it, naming the range, instead of succeeding with one day done."""
    from types import SimpleNamespace

    from bakery_orchestration.core.errors import BakeryError
    from bakery_orchestration.framework.daily_asset import _refuse_a_truncated_range

    def context(start, end, has_range):
        tags = {"dagster/asset_partition_range_start": start} if start else {}
        tags |= {"dagster/asset_partition_range_end": end} if end else {}
        return SimpleNamespace(
            run=SimpleNamespace(tags=tags), has_partition_key_range=has_range, partition_key=start
        )

    with pytest.raises(BakeryError, match=r"2026-03-16\|a \.\. 2026-03-17\|a .*28861"):
        _refuse_a_truncated_range(context("2026-03-16|a", "2026-03-17|a", False))
    # What is fine: a real range step, a one-key range, a run without range tags.
    assert _refuse_a_truncated_range(context("2026-03-16|a", "2026-03-17|a", True)) is None
    assert _refuse_a_truncated_range(context("2026-03-16|a", "2026-03-16|a", False)) is None
    assert _refuse_a_truncated_range(context(None, None, False)) is None


def test_retraining_groups_are_adjacent_in_partition_order_and_unknown_tenants_alone():
    order = ["a", "b", "c", "d", "e"]
    assert adjacent_groups(["e", "a", "b", "d", "x"], order, 2) == [["a", "b"], ["d", "e"], ["x"]]
    assert adjacent_groups(["a", "b", "c"], order, 2) == [["a", "b"], ["c"]]
    assert adjacent_groups(["a", "c"], order, 5) == [["a"], ["c"]]
    assert adjacent_groups(["b", "a"], [], 5) == [["a"], ["b"]]


def test_retraining_batch_size_follows_the_morning_unless_set():
    assert retrain_tenants_per_run({}) == 1
    assert retrain_tenants_per_run({"BAKERY_TENANTS_PER_RUN": "20"}) == 20
    env = {"BAKERY_TENANTS_PER_RUN": "20", "BAKERY_RETRAIN_TENANTS_PER_RUN": "5"}
    assert retrain_tenants_per_run(env) == 5
    with pytest.raises(BakeryError, match="BAKERY_RETRAIN_TENANTS_PER_RUN='0'"):
        retrain_tenants_per_run({"BAKERY_RETRAIN_TENANTS_PER_RUN": "0"})
