"""The accuracy rules (validation/rules.py) on hand-made scored days: a healthy tenant never
fails, a model no better than seasonal naive does, a demand shift does on its second day."""

import pytest

from bakery_orchestration.validation.rules import (
    ERROR_ROSE,
    MODEL_TOO_OLD,
    NO_MODEL,
    NO_VALUE_ADDED,
    AccuracyRules,
    ScoredDay,
    accuracy_verdict,
    own_level,
    pooled_wape,
    retrain_decision,
    value_added,
)

RULES = AccuracyRules()


def day(wape: float, naive_wape: float | None = 33.0, units: float = 1000.0) -> ScoredDay:
    naive = None if naive_wape is None else units * naive_wape / 100
    return ScoredDay(units, units * wape / 100, naive)


def healthy(n: int = 30) -> list[ScoredDay]:
    """A French-bakery-like tenant: WAPE 15-35 % day to day, the naive ~33 %."""
    return [day(15 + (i * 7) % 21, 30 + (i * 5) % 9) for i in range(n)]


def test_pooled_wape_weights_by_volume():
    days = [ScoredDay(100, 50, 10), ScoredDay(900, 90, 900)]
    assert pooled_wape(days) == pytest.approx(14.0)
    assert pooled_wape(days, naive=True) == pytest.approx(91.0)
    assert pooled_wape([]) is None


def test_a_healthy_tenant_passes_every_day():
    history = healthy(60)
    for end in range(1, len(history) + 1):
        verdict = accuracy_verdict(history[:end], RULES)
        assert verdict.passed, (end, verdict.description)


def test_too_few_days_pass_and_say_why():
    verdict = accuracy_verdict([day(90, 20)] * 3, RULES)
    assert verdict.passed
    assert verdict.figures["value_added"] == "not enough days yet"
    assert verdict.figures["own_level"] == "not enough days yet"


@pytest.mark.parametrize(
    ("model", "naive", "passed", "severity"),
    [(25.0, 33.0, True, "WARN"), (35.0, 33.0, False, "WARN"), (45.0, 33.0, False, "ERROR")],
)
def test_value_added_against_seasonal_naive(model, naive, passed, severity):
    verdict = value_added([day(model, naive)] * 14, RULES)
    assert verdict.passed is passed
    assert verdict.severity == severity
    assert verdict.figures["wape_ratio_to_naive"] == pytest.approx(model / naive)
    if not passed:
        assert "no better than copying last week" in verdict.description


def test_days_without_a_naive_forecast_are_left_out_of_the_comparison():
    verdict = value_added([day(90, None)] * 10 + [day(20, 30)] * 7, RULES)
    assert verdict.passed
    assert verdict.figures["window_days_scored"] == 7


def test_a_demand_drop_fails_on_its_second_day_only():
    history = healthy(30)
    one = own_level([*history, day(233)], RULES)
    assert one.passed  # one bad day (a storm, a holiday) is not an alert
    two = own_level([*history, day(233), day(210)], RULES)
    assert not two.passed
    assert two.severity == "ERROR"
    assert "the tenant's usual" in two.description
    assert two.figures["wape_level"] == pytest.approx(22.0)  # median of 15, 22, 29, ...


def test_a_moderate_shift_warns():
    verdict = own_level([*healthy(30), day(60), day(62)], RULES)
    assert (verdict.passed, verdict.severity) == (False, "WARN")


def test_per_tenant_overrides_and_unknown_keys():
    rules = AccuracyRules.for_tenant({"level_factor": 4, "window_days": "21"})
    assert (rules.level_factor, rules.window_days) == (4.0, 21)
    assert own_level([*healthy(30), day(60), day(62)], rules).passed
    with pytest.raises(ValueError, match="unknown accuracy rule"):
        AccuracyRules.for_tenant({"mape_limit": 30})


@pytest.mark.parametrize(
    ("last", "previous", "age", "reason"),
    [
        (healthy(30), healthy(30), 8, None),
        (healthy(30), healthy(30), None, NO_MODEL),
        (healthy(30), healthy(30), 31, MODEL_TOO_OLD),
        ([day(40, 33)] * 30, healthy(30), 8, NO_VALUE_ADDED),
        ([day(31, 40)] * 30, [day(20, 40)] * 30, 8, ERROR_ROSE),
        ([day(24, 40)] * 30, [day(20, 40)] * 30, 8, None),  # +4 points: noise, not a trend
    ],
)
def test_retraining_triggers(last, previous, age, reason):
    assert retrain_decision(last, previous, age) == reason
