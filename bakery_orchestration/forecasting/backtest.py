"""Rolling-origin backtest of the demand model against the reference baselines.

Protocol (shared data README): per tenant, the products sold on at least ``min_share`` of the
trading days before the holdout; an origin on every day of the holdout; forecasts for the
horizons after each origin made from data before the origin only; closed days and days after
the end of the data are never scored. The model is refitted every ``refit_every`` origins.
"""

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting.baselines import BASELINES
from bakery_orchestration.forecasting.model import DemandModel, ModelConfig, TenantCalendar
from bakery_orchestration.metrics import forecast_metrics, interval_coverage

MODEL = "model"
METHODS = (MODEL, *BASELINES)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BacktestResult:
    """Every scored point (one row per tenant, product, origin, horizon) and the run time."""

    points: pd.DataFrame
    methods: tuple[str, ...]
    wall_seconds: float

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


def run_backtest(
    sales: pd.DataFrame,
    *,
    holdout_days: int = 56,
    horizons: Iterable[int] = range(1, 8),
    min_share: float = 0.8,
    refit_every: int = 7,
    products: Sequence[str] | None = None,
    progress: Progress | None = None,
    methods: Sequence[str] = METHODS,
    calendars: TenantCalendar | Mapping[str, TenantCalendar] | None = None,
    config: ModelConfig | None = None,
) -> BacktestResult:
    """Backtest ``sales`` (optionally with a ``tenant`` column) with the reference protocol.

    ``progress(done, total)`` is called after each origin (total counts all tenants).
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; choose from {METHODS}")
    started = time.perf_counter()
    tenants = _split_tenants(sales)
    total = len(tenants) * holdout_days
    frames, done = [], 0
    for tenant, tenant_sales in tenants.items():
        run = _TenantRun(tenant, tenant_sales, holdout_days, tuple(horizons), min_share, products)
        calendar = _calendar_for(calendars, tenant)
        for k, origin in enumerate(run.origins):
            if MODEL in methods and k % max(1, refit_every) == 0:
                run.model = DemandModel.fit(
                    run.sales, as_of=origin, calendar=calendar, config=config
                )
            frames.append(run.score_origin(origin, methods))
            done += 1
            if progress is not None:
                progress(done, total)
    points = pd.concat(frames, ignore_index=True) if frames else _empty_points(methods)
    return BacktestResult(points, tuple(methods), time.perf_counter() - started)


def _empty_points(methods: Sequence[str]) -> pd.DataFrame:
    columns = ["tenant", "product", "origin", "date", "horizon", "actual", *methods]
    return pd.DataFrame(columns=[*columns, "p10", "p90"] if MODEL in methods else columns)


def _split_tenants(sales: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Normalized sales per tenant ("default" when there is no tenant column)."""
    if "tenant" not in sales.columns:
        return {"default": ft.normalize_sales(sales)}
    return {str(t): ft.normalize_sales(g) for t, g in sales.groupby("tenant", sort=True)}


class _TenantRun:
    """The holdout of one tenant: its scored products, origins and the current model."""

    def __init__(
        self,
        tenant: str,
        sales: pd.DataFrame,
        holdout_days: int,
        horizons: tuple[int, ...],
        min_share: float,
        products: Sequence[str] | None,
    ) -> None:
        self.tenant = tenant
        self.sales = sales
        self.horizons = horizons
        matrix = ft.sales_matrix(sales, mask_before_launch=False)
        start = len(matrix.days) - holdout_days
        if start <= 0:
            raise ValueError(f"tenant {tenant}: holdout longer than the data")
        chosen = tuple(products) if products else select_products(matrix, start, min_share)
        self.matrix = ft.sales_matrix(sales, products=chosen, mask_before_launch=False)
        self.origins = [d.date() for d in matrix.days[start:]]
        self.model: DemandModel | None = None

    def score_origin(self, origin: date, methods: Sequence[str]) -> pd.DataFrame:
        """Scored points of one origin: trading target days within the data."""
        m = self.matrix
        o = m.index_of(origin)
        targets = [o + h - 1 for h in self.horizons if o + h - 1 < len(m.days)]
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
                forecasts = [baseline(m.values, o, t) for t in targets]
                points[name] = np.nan_to_num(np.ravel(forecasts)) if targets else []
        if MODEL in methods and targets:
            points = self._add_model(points, origin)
        return points

    def _add_model(self, points: pd.DataFrame, origin: date) -> pd.DataFrame:
        horizon = int(points["horizon"].max())
        forecast = self.model.predict(
            self.sales, origin=origin, horizon=horizon, products=self.matrix.products
        )
        forecast = forecast.rename(columns={"p50": MODEL})[["product", "date", "p10", MODEL, "p90"]]
        return points.merge(forecast, on=["product", "date"], how="left", validate="1:1")


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
    lines.append(f"wall time {data['wall_seconds']:.1f} s")
    return "\n".join(lines)


def _fmt(value: float | None, spec: str = "8.1f") -> str:
    width = int(spec.lstrip("+").split(".")[0])
    return f"{value:{spec}}" if value is not None else f"{'-':>{width}}"
