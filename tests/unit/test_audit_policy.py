"""Scope: the audit status of a run once Dagster says it ended (audit.policy.final_status), over
the step outcomes a run can log. Pure function, no database."""

import pytest

from bakery_orchestration.audit.policy import final_status

CYCLE = {"daily_sales": "success", "demand_forecast": "success", "production_plan": "success"}


@pytest.mark.parametrize(
    ("dagster_status", "steps", "expected"),
    [
        ("SUCCESS", {**CYCLE, "daily_summary": "success"}, "completed"),
        ("SUCCESS", {**CYCLE, "daily_summary": "skipped"}, "completed"),
        # a backfill run of the summary alone, for a bakery without a webhook: nothing failed
        ("SUCCESS", {"daily_summary": "skipped"}, "completed"),
        ("SUCCESS", {"forecast_validation": "success", "insights": "skipped"}, "completed"),
        ("FAILURE", {**CYCLE, "daily_summary": "failed"}, "partial_success"),
        ("FAILURE", {**CYCLE, "production_plan": "failed"}, "failed"),
        ("FAILURE", {**CYCLE, "production_plan": None}, "failed"),
        ("FAILURE", {"daily_summary": None}, "failed"),
        ("FAILURE", {"daily_summary": "failed"}, "failed"),
        ("CANCELED", CYCLE, "cancelled"),
    ],
)
def test_final_status(dagster_status, steps, expected):
    assert final_status(dagster_status, steps) == expected
