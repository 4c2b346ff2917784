"""Rolling-origin backtest of the demand model against the reference baselines.

Protocol (shared data README): per tenant, the products sold on at least ``min_share`` of the
trading days before the holdout; an origin on every day of the holdout; forecasts for the
horizons after each origin made from data before the origin only; closed days and days after
the end of the data are never scored.

Production's configuration by default: the model is retrained when production's weekly rule
(validation/rules.py ``retrain_decision``) would retrain it, and the tenant's holiday calendar
is passed in.
Two windows per tenant: ``final`` (the last ``holdout_days`` days, reported only) and ``dev``
(the ``holdout_days`` before them, with the final window's data removed: every default is
chosen there).
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from multiprocessing import get_context

import numpy as np
import pandas as pd

from bakery_orchestration.core.metrics import forecast_metrics, interval_coverage
from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting.baselines import BASELINES
from bakery_orchestration.forecasting.model import DemandModel, ModelConfig, TenantCalendar
from bakery_orchestration.validation.rules import AccuracyRules, ScoredDay, retrain_decision

MODEL = "model"
METHODS = (MODEL, *BASELINES)
FINAL, DEV = "final", "dev"
WINDOWS = (FINAL, DEV)
NAIVE = "seasonal_naive"
DAY_ONE = ["date", "actual", MODEL, NAIVE]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BacktestResult:
    """Every scored point (one row per tenant, product, origin, horizon) and the run time."""

    points: pd.DataFrame
    methods: tuple[str, ...]
    wall_seconds: float
    skipped: dict[str, str] = field(default_factory=dict)  # tenant -> why it was not scored

    def method_metrics(self, points: pd.DataFrame | None = None) -> dict[str, dict]:
        """Accuracy of each method on ``points`` (default: all scored points)."""
        points = self.points if points is None else points
        out = {}
        for method in self.methods:
            scores = forecast_metrics(points["actual"], points[method]).as_dict()
            del scores["r2"], scores["accuracy"]
            if method == MODEL and len(points):
                scores["coverage_p10_p90"] = interval_coverage(
                    points["actual"], points["p10"], points["p90"]
                )
            out[method] = scores
        return out

    def model_fits(self) -> int | None:
        """How many models the scored points came from (over all tenants)."""
        if "model_as_of" not in self.points:
            return None
        return int(self.points.groupby("tenant")["model_as_of"].nunique().sum())

    def to_dict(self) -> dict:
        """Overall, per-tenant and per-horizon metrics of every method, as plain data."""
        return {
            "methods": self.method_metrics(),
            "per_tenant": {
                str(t): self.method_metrics(g) for t, g in self.points.groupby("tenant")
            },
            "per_horizon": {
                int(h): self.method_metrics(g) for h, g in self.points.groupby("horizon")
            },
            "points": int(len(self.points)),
            "model_fits": self.model_fits(),
            "skipped_tenants": self.skipped,
            "wall_seconds": self.wall_seconds,
        }


def select_products(matrix: ft.SalesMatrix, before: int, min_share: float) -> tuple[str, ...]:
    """Products sold on at least ``min_share`` of the trading days before day index ``before``."""
    trading = matrix.trading[:before]
    sold = matrix.values[:before][trading] > 0
    share = sold.mean(axis=0) if trading.any() else np.zeros(len(matrix.products))
    return tuple(p for p, s in zip(matrix.products, share, strict=True) if s >= min_share)


def _calendar_for(calendars: object, tenant: str) -> TenantCalendar:
    if isinstance(calendars, TenantCalendar):
        return calendars
    if isinstance(calendars, Mapping):
        return calendars.get(tenant, TenantCalendar())
    return TenantCalendar()


@dataclass(frozen=True)
class Protocol:
    """What one tenant's backtest does; ``refit_every`` None means production's retraining rule."""

    holdout_days: int = 56
    horizons: tuple[int, ...] = tuple(range(1, 8))
    min_share: float = 0.8
    refit_every: int | None = None
    window: str = FINAL
    products: tuple[str, ...] | None = None
    methods: tuple[str, ...] = METHODS
    config: ModelConfig | None = None


def run_backtest(
    sales: pd.DataFrame,
    *,
    holdout_days: int = 56,
    horizons: Iterable[int] = range(1, 8),
    min_share: float = 0.8,
    refit_every: int | None = None,
    window: str = FINAL,
    products: Sequence[str] | None = None,
    progress: Progress | None = None,
    methods: Sequence[str] = METHODS,
    calendars: TenantCalendar | Mapping[str, TenantCalendar] | None = None,
    config: ModelConfig | None = None,
    workers: int = 1,
    pools: Mapping[str, str] | None = None,
) -> BacktestResult:
    """Backtest ``sales`` (optionally with a ``tenant`` column) with the reference protocol.

    ``window``: ``final`` scores the last ``holdout_days`` days of each tenant; ``dev`` drops
    them first and scores the ``holdout_days`` before (the window defaults are chosen on).
    ``refit_every`` None retrains as production does (:func:`production_refit`); a number
    refits every that many origins. Tenants run in ``workers`` processes.
    ``pools`` maps tenants to a pool name: the tenants of one pool share one model fitted on
    all their sales (:meth:`DemandModel.fit_pool`), as production fits a pooled tenant; the
    other tenants each get their own.
    ``progress(done, total)`` is called as origins complete (total counts all tenants).
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {METHODS}")
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r}; choose from {WINDOWS}")
    protocol = Protocol(
        holdout_days, tuple(horizons), min_share, refit_every, window,
        tuple(products) if products else None, tuple(methods), config,
    )  # fmt: skip
    started = time.perf_counter()
    tenants = _split_tenants(sales)
    grouped: dict[str, dict] = {}
    for t, s in tenants.items():
        pool = (pools or {}).get(t) or f"tenant:{t}"
        grouped.setdefault(pool, {})[t] = (s, _calendar_for(calendars, t))
    jobs = [(members, protocol) for members in grouped.values()]
    outcomes = list(_run_all(jobs, workers, progress, len(tenants) * holdout_days))
    frames = [f for o in outcomes for f in o if isinstance(f, pd.DataFrame)]
    skipped = dict(f for o in outcomes for f in o if isinstance(f, tuple))
    points = pd.concat(frames, ignore_index=True) if frames else _empty_points(methods)
    return BacktestResult(points, tuple(methods), time.perf_counter() - started, skipped)


def _run_all(jobs: list, workers: int, progress: Progress | None, total: int):
    """Each tenant's points, in tenant order; several tenants at once in worker processes."""
    done = 0

    def report(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield backtest_pool(*job, on_origin=lambda: report(1))
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(backtest_pool, *job) for job in jobs]
        for future in as_completed(futures):
            report(sum(job_origins(o) for o in future.result()))
        yield from (f.result() for f in futures)


def job_origins(outcome: pd.DataFrame | tuple[str, str]) -> int:
    """Origins a tenant's points came from (for progress)."""
    return int(outcome["origin"].nunique()) if isinstance(outcome, pd.DataFrame) else 0


def backtest_pool(
    members: Mapping[str, tuple[pd.DataFrame, TenantCalendar]],
    protocol: Protocol,
    on_origin: Callable[[], None] | None = None,
) -> list[pd.DataFrame | tuple[str, str]]:
    """Scored points (or a one-line error) per tenant of a pool; a pool of one is a tenant."""
    if len(members) == 1:
        ((tenant, (sales, calendar)),) = members.items()
        return [backtest_tenant(tenant, sales, calendar, protocol, on_origin)]
    try:
        return _backtest_pool(members, protocol, on_origin)
    except Exception as exc:  # the pool's tenants share its fits: all fail, other pools go on
        return [(t, f"tenant {t} (pooled): {type(exc).__name__}: {exc}") for t in members]


def _backtest_pool(
    members: Mapping[str, tuple[pd.DataFrame, TenantCalendar]],
    protocol: Protocol,
    on_origin: Callable[[], None] | None,
) -> list[pd.DataFrame | tuple[str, str]]:
    """Each tenant is scored as alone, but a refit (each tenant's own retraining decision, at
    its own origins) is one pooled fit on every tenant's sales before the origin."""
    runs, outcomes = {}, []
    for tenant, (sales, _) in members.items():
        try:
            runs[tenant] = _TenantRun(tenant, _window_sales(sales, protocol), protocol)
        except ValueError as exc:
            outcomes.append((tenant, f"tenant {tenant}: {exc}"))
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in runs}
    for origin in sorted({o for run in runs.values() for o in run.origins}):
        due = [t for t, run in runs.items() if origin in run.position]
        refit = [t for t in due if MODEL in protocol.methods and runs[t].needs_model(origin)]
        if refit:
            pool = {t: (runs[t].sales, members[t][1]) for t in runs}
            models = DemandModel.fit_pool(pool, as_of=origin, config=protocol.config)
            for t in refit:
                runs[t].model = models[t]
        for t in due:
            frames[t].append(runs[t].score_origin(origin))
            if on_origin is not None:
                on_origin()
    outcomes.extend(pd.concat(parts, ignore_index=True) for parts in frames.values())
    return outcomes


def _window_sales(sales: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """The tenant's sales the window may read: the dev window drops the final window's days."""
    if protocol.window != DEV:
        return sales
    return sales[sales["date"] <= sales["date"].max() - pd.Timedelta(days=protocol.holdout_days)]


def backtest_tenant(
    tenant: str,
    sales: pd.DataFrame,
    calendar: TenantCalendar,
    protocol: Protocol,
    on_origin: Callable[[], None] | None = None,
) -> pd.DataFrame | tuple[str, str]:
    """Scored points of one tenant, or (tenant, one-line error) when it cannot be backtested:
    the other tenants carry on."""
    try:
        return _backtest_tenant(tenant, sales, calendar, protocol, on_origin)
    except ValueError as exc:
        return tenant, f"tenant {tenant}: {exc}"
    except Exception as exc:  # one tenant's failure must not lose the others' hours of work
        return tenant, f"tenant {tenant}: {type(exc).__name__}: {exc}"


def _backtest_tenant(
    tenant: str,
    sales: pd.DataFrame,
    calendar: TenantCalendar,
    protocol: Protocol,
    on_origin: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Scored points of one tenant (runs in a worker process when tenants run in parallel)."""
    run = _TenantRun(tenant, _window_sales(sales, protocol), protocol)
    frames = []
    for origin in run.origins:
        if MODEL in protocol.methods and run.needs_model(origin):
            run.model = DemandModel.fit(
                run.sales, as_of=origin, calendar=calendar, config=protocol.config
            )
        frames.append(run.score_origin(origin))
        if on_origin is not None:
            on_origin()
    return pd.concat(frames, ignore_index=True) if frames else _empty_points(protocol.methods)


def production_refit(model_as_of: date | None, origin: date, day_one: pd.DataFrame) -> str | None:
    """Production's weekly retraining rule (validation/rules.py) at ``origin``.

    ``day_one``: the model's horizon-1 points so far (columns date, actual, model, seasonal
    naive), which is what the daily validation scores: the rule reads the same per-day volume
    sums production stores in ``validation_runs``.
    """
    rules = AccuracyRules()
    age = None if model_as_of is None else (origin - model_as_of).days
    day = pd.Timestamp(origin)
    window = pd.Timedelta(days=rules.retrain_window_days)
    last = _scored_days(day_one, day - window, day)
    previous = _scored_days(day_one, day - 2 * window, day - window)
    return retrain_decision(last, previous, age, rules)


def _scored_days(points: pd.DataFrame, after: pd.Timestamp, until: pd.Timestamp) -> list:
    chosen = points[(points["date"] >= after) & (points["date"] < until)]
    days = []
    for _, g in chosen.groupby("date"):
        actual = g["actual"].to_numpy(float)
        naive = g[NAIVE].to_numpy(float) if NAIVE in g and g[NAIVE].notna().all() else None
        days.append(
            ScoredDay(
                float(actual.sum()),
                float(np.abs(actual - g[MODEL].to_numpy(float)).sum()),
                None if naive is None else float(np.abs(actual - naive).sum()),
            )
        )
    return days


def _empty_points(methods: Sequence[str]) -> pd.DataFrame:
    columns = ["tenant", "product", "origin", "date", "horizon", "actual", *methods]
    model_columns = ["p10", "p90", "model_as_of"]
    return pd.DataFrame(columns=[*columns, *model_columns] if MODEL in methods else columns)


def _split_tenants(sales: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Normalized sales per tenant ("default" when there is no tenant column)."""
    if "tenant" not in sales.columns:
        return {"default": ft.normalize_sales(sales)}
    return {str(t): ft.normalize_sales(g) for t, g in sales.groupby("tenant", sort=True)}


class _TenantRun:
    """The holdout of one tenant: its scored products, origins and the current model."""

    def __init__(self, tenant: str, sales: pd.DataFrame, protocol: Protocol) -> None:
        self.tenant = tenant
        self.sales = sales
        self.protocol = protocol
        matrix = ft.sales_matrix(sales, mask_before_launch=False)
        start = len(matrix.days) - protocol.holdout_days
        if start <= 0:
            raise ValueError(
                f"holdout of {protocol.holdout_days} days is longer than the data "
                f"({len(matrix.days)} days from {matrix.days[0].date()})"
            )
        chosen = protocol.products or select_products(matrix, start, protocol.min_share)
        self.matrix = ft.sales_matrix(sales, products=chosen, mask_before_launch=False)
        self.origins = [d.date() for d in matrix.days[start:]]
        self.position = {origin: k for k, origin in enumerate(self.origins)}
        self.model: DemandModel | None = None
        self.day_one: list[pd.DataFrame] = []

    def needs_model(self, origin: date) -> bool:
        """Refit now? Every ``refit_every`` origins, or production's rule at its weekly check."""
        k = self.position[origin]
        if self.protocol.refit_every is not None:
            return k % self.protocol.refit_every == 0
        if self.model is not None and k % 7 != 0:
            return False
        seen = pd.concat(self.day_one) if self.day_one else pd.DataFrame(columns=DAY_ONE)
        as_of = self.model.as_of if self.model is not None else None
        return production_refit(as_of, origin, seen) is not None

    def score_origin(self, origin: date) -> pd.DataFrame:
        """Scored points of one origin: trading target days within the data."""
        m, methods = self.matrix, self.protocol.methods
        o = m.index_of(origin)
        targets = [o + h - 1 for h in self.protocol.horizons if o + h - 1 < len(m.days)]
        targets = [t for t in targets if m.trading[t]]
        n = len(m.products)
        points = pd.DataFrame(
            {
                "tenant": self.tenant,
                "product": np.tile(np.asarray(m.products, dtype=object), len(targets)),
                "origin": pd.Timestamp(origin),
                "date": np.repeat(m.days[targets].to_numpy(), n),
                "horizon": np.repeat(np.asarray(targets) - o + 1, n),
                "actual": np.ravel(m.values[targets]) if targets else [],
            }
        )
        for name, baseline in BASELINES.items():
            if name in methods:
                forecasts = baseline(m.values, o, targets) if targets else np.zeros(0)
                points[name] = np.nan_to_num(np.ravel(forecasts))
        if MODEL in methods and targets:
            points = self._add_model(points, origin)
            day_one = points.loc[points["horizon"] == 1]
            self.day_one.append(day_one.reindex(columns=DAY_ONE))
        return points

    def _add_model(self, points: pd.DataFrame, origin: date) -> pd.DataFrame:
        horizon = int(points["horizon"].max())
        forecast = self.model.predict(
            self.sales, origin=origin, horizon=horizon, products=self.matrix.products
        )
        forecast = forecast.rename(columns={"p50": MODEL})[["product", "date", "p10", MODEL, "p90"]]
        points = points.merge(forecast, on=["product", "date"], how="left", validate="1:1")
        return points.assign(model_as_of=pd.Timestamp(self.model.as_of))


def render_backtest(result: BacktestResult) -> str:
    """A readable text table: overall metrics per method, then WAPE per horizon."""
    data = result.to_dict()
    lines = [
        f"{'method':<18}{'WAPE %':>8}{'MAPE %':>8}{'bias %':>8}{'RMSE':>8}{'MAE':>8}"
        f"{'cover %':>9}{'points':>8}"
    ]
    for method, s in data["methods"].items():
        cover = s.get("coverage_p10_p90")
        lines.append(
            f"{method:<18}{_fmt(s['wape'])}{_fmt(s['mape'])}{_fmt(s['bias'], '+8.1f')}"
            f"{_fmt(s['rmse'], '8.2f')}{_fmt(s['mae'], '8.2f')}{_fmt(cover, '9.1f')}"
            f"{s['points']:>8}"
        )
    lines.append("")
    lines.append("WAPE % by horizon: " + ", ".join(result.methods))
    for h, per_method in data["per_horizon"].items():
        cells = "".join(_fmt(per_method[m]["wape"]) for m in result.methods)
        lines.append(f"  h={h}{cells}")
    for reason in data["skipped_tenants"].values():
        lines.append(f"skipped: {reason}")
    if data["model_fits"] is not None:
        lines.append(f"model fits {data['model_fits']}")
    lines.append(f"wall time {data['wall_seconds']:.1f} s")
    return "\n".join(lines)


def _fmt(value: float | None, spec: str = "8.1f") -> str:
    width = int(spec.lstrip("+").split(".")[0])
    return f"{value:{spec}}" if value is not None else f"{'-':>{width}}"
