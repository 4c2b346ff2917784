"""When a tenant's forecast is bad enough to tell someone, or to retrain: every accuracy rule in
one place, judged against what is achievable for that tenant. Pure: numbers in, verdicts out.

Why relative, not fixed: a bakery's achievable error depends on what it sells. On the French
bakery file the model's daily MAPE is ~44 % (WAPE ~21 %); on a chain of few fast sellers MAPE is
~26 %. A fixed "MAPE above 30 % is an error" fires every day for the first and never means
anything. MAPE is also dominated by slow sellers (selling 1 instead of 2 is 50 %), so the rules
judge the volume-weighted error, WAPE = sum|actual - forecast| / sum actual, pooled over days.
MAPE, RMSE and the rest stay reported in ``validation_runs`` and the check's metadata.

Two yardsticks, both measured on the same scored lines as the model:

1. **Value added** (forecast value added, FVA): the model's WAPE pooled over the scored days of
   the last ``window_days`` against the WAPE of the seasonal-naive forecast (the same weekday a
   week before) on the same lines. A model no better than copying last week adds no value: WARN
   when the ratio exceeds ``value_added_warn``, ERROR above ``value_added_error``. Needs at
   least ``min_window_days`` scored days with a naive forecast in the window.
2. **Own level**: the day's WAPE against the tenant's own recent level, the median daily WAPE of
   the ``level_days`` before. When the last ``level_consecutive`` scored days are each above
   ``level_factor`` x level and ``level_margin`` points above it, something changed (demand
   shift, broken feed, a product mix the model has not seen): WARN; ERROR when they are above
   twice that factor. Needs ``min_level_days`` days of level. One bad day (a storm, a holiday)
   does not alert; a demand drop of 70 % alerts on its second day.

Retraining (the weekly schedule) keeps the seed's three triggers, with limits a healthy tenant
does not trip: the model's 30-day WAPE above the naive's (no value added), its 30-day WAPE risen
by more than ``rise_points`` points AND ``rise_factor`` x against the 30 days before, or a model
older than ``max_model_age_days``.

Every limit can be overridden per tenant (``tenants.accuracy_rules``, a JSON object with any of
the field names below).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from statistics import median
from typing import Literal

Severity = Literal["WARN", "ERROR"]


@dataclass(frozen=True)
class AccuracyRules:
    window_days: int = 14
    min_window_days: int = 7
    value_added_warn: float = 1.0
    value_added_error: float = 1.3
    level_days: int = 28
    min_level_days: int = 7
    level_factor: float = 2.0
    level_margin: float = 15.0
    level_consecutive: int = 2
    retrain_window_days: int = 30
    rise_points: float = 5.0
    rise_factor: float = 1.25
    max_model_age_days: int = 30

    @classmethod
    def for_tenant(cls, overrides: Mapping | None) -> "AccuracyRules":
        """The defaults with the tenant's overrides; unknown keys are an error."""
        if not overrides:
            return cls()
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ValueError(f"unknown accuracy rule(s) {', '.join(unknown)}")
        return replace(cls(), **{k: type(getattr(cls(), k))(v) for k, v in overrides.items()})


@dataclass(frozen=True)
class ScoredDay:
    """One validated day's volume sums (``validation_runs``); naive is None when unknown."""

    actual_units: float
    abs_error_units: float
    naive_abs_error_units: float | None

    @property
    def wape(self) -> float | None:
        return 100.0 * self.abs_error_units / self.actual_units if self.actual_units > 0 else None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    severity: Severity
    description: str | None
    figures: dict


def pooled_wape(days: Sequence[ScoredDay], naive: bool = False) -> float | None:
    """WAPE pooled over days (volume-weighted), of the model or of the seasonal naive."""
    actual = sum(d.actual_units for d in days)
    if actual <= 0:
        return None
    errors = [d.naive_abs_error_units if naive else d.abs_error_units for d in days]
    return 100.0 * sum(errors) / actual


def value_added(window: Sequence[ScoredDay], rules: AccuracyRules) -> Verdict:
    """Rule 1 over the window's scored days (oldest first)."""
    comparable = [d for d in window if d.naive_abs_error_units is not None and d.actual_units > 0]
    model, naive = pooled_wape(comparable), pooled_wape(comparable, naive=True)
    figures = {
        "window_days_scored": len(comparable),
        "wape_window": model,
        "naive_wape_window": naive,
    }
    if len(comparable) < rules.min_window_days or not naive:
        return Verdict(True, "WARN", None, {**figures, "value_added": "not enough days yet"})
    ratio = model / naive
    figures["wape_ratio_to_naive"] = ratio
    if ratio <= rules.value_added_warn:
        return Verdict(True, "WARN", None, figures)
    severity: Severity = "ERROR" if ratio > rules.value_added_error else "WARN"
    description = (
        f"over {len(comparable)} days the forecast's WAPE {model:.1f}% is no better than copying "
        f"last week ({naive:.1f}%, ratio {ratio:.2f} > {rules.value_added_warn:.2f})"
    )
    return Verdict(False, severity, description, figures)


def own_level(history: Sequence[ScoredDay], rules: AccuracyRules) -> Verdict:
    """Rule 2: ``history`` is the tenant's scored days, oldest first, ending with the day."""
    scored = [d for d in history if d.wape is not None]
    recent, before = scored[-rules.level_consecutive :], scored[: -rules.level_consecutive]
    before = before[-rules.level_days :]
    today = scored[-1].wape if scored else None
    figures = {"wape_day": today}
    if len(before) < rules.min_level_days or len(recent) < rules.level_consecutive:
        return Verdict(True, "WARN", None, {**figures, "own_level": "not enough days yet"})
    level = median(d.wape for d in before)
    limit = max(rules.level_factor * level, level + rules.level_margin)
    figures.update(wape_level=level, wape_limit=limit)
    if not all(d.wape > limit for d in recent):
        return Verdict(True, "WARN", None, figures)
    severe = all(d.wape > max(2 * rules.level_factor * level, limit) for d in recent)
    description = (
        f"WAPE {today:.1f}% on the last {len(recent)} scored days above "
        f"{limit:.1f}% (the tenant's usual {level:.1f}%): demand or data changed"
    )
    return Verdict(False, "ERROR" if severe else "WARN", description, figures)


def accuracy_verdict(history: Sequence[ScoredDay], rules: AccuracyRules) -> Verdict:
    """Both rules for the last day of ``history`` (the tenant's scored days, oldest first, the
    window's days at the end): fails when either fails, with the worse severity."""
    window = history[-rules.window_days :]
    verdicts = [value_added(window, rules), own_level(history, rules)]
    failed = [v for v in verdicts if not v.passed]
    figures = {k: v for verdict in verdicts for k, v in verdict.figures.items()}
    if not failed:
        return Verdict(True, "WARN", None, figures)
    severity: Severity = "ERROR" if any(v.severity == "ERROR" for v in failed) else "WARN"
    return Verdict(False, severity, "; ".join(v.description for v in failed), figures)


NO_MODEL = "no_model"
NO_VALUE_ADDED = "wape_30d_not_better_than_seasonal_naive"
ERROR_ROSE = "wape_30d_rose"
MODEL_TOO_OLD = "model_older_than_limit"


def retrain_decision(
    last: Sequence[ScoredDay],
    previous: Sequence[ScoredDay],
    model_age_days: int | None,
    rules: AccuracyRules = AccuracyRules(),
) -> str | None:
    """The trigger that calls for retraining, or None; ``model_age_days`` None means no model.
    ``last`` and ``previous`` are the scored days of the last 30 days and the 30 before."""
    if model_age_days is None:
        return NO_MODEL
    if not value_added(last, rules).passed:
        return NO_VALUE_ADDED
    now, then = pooled_wape(last), pooled_wape(previous)
    if (
        now is not None
        and then is not None
        and now - then > rules.rise_points
        and now > rules.rise_factor * then
    ):
        return ERROR_ROSE
    if model_age_days > rules.max_model_age_days:
        return MODEL_TOO_OLD
    return None
