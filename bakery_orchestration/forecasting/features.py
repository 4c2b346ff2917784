"""Dense sales matrices and horizon-safe features for the demand model.

Every feature of a row (product, origin, horizon) is computed from days strictly before the
origin, so the same function serves training (many origins) and prediction (one origin).
Values are divided by the product's recent level so that one global model pools products.
"""

import functools
import warnings
from dataclasses import dataclass
from datetime import date

import holidays
import numpy as np
import pandas as pd

from bakery_orchestration.forecasting.ets import choose_parameters, ets_path

MAX_HORIZON = 7
SCALE_WINDOW = 28  # days of the level that scales a product's features and target
YEAR = 364  # 52 weeks: keeps the weekday aligned
FEATURE_NAMES = (
    "horizon", "weekday", "doy_sin", "doy_cos", "holiday", "holiday_near", "log_scale",
    "lag7", "lag14", "lag21", "lag28", "same_weekday_mean", "same_weekday_median",
    "mean7", "mean14", "mean28", "mean56", "mean112", "last", "cv28", "zero_share28",
    "mean3", "yoy", "shop_trend7", "shop_trend56", "shop_yoy", "ets",
)  # fmt: skip


@dataclass(frozen=True)
class SalesMatrix:
    """Sales as a day x product matrix.

    ``values`` holds NaN on closed days (the shop sold nothing at all) and before a product's
    first sale, 0 on trading days the product did not sell.
    """

    days: pd.DatetimeIndex
    products: tuple[str, ...]
    values: np.ndarray
    trading: np.ndarray

    def index_of(self, day: date) -> int:
        """Position of ``day`` on the matrix's day axis (may be past its end)."""
        return int((pd.Timestamp(day) - self.days[0]).days)


def normalize_sales(sales: pd.DataFrame) -> pd.DataFrame:
    """Sales with normalized day dates, string products and float quantities."""
    out = sales[["date", "product", "quantity"]].copy()
    out["date"] = pd.to_datetime(out["date"]).dt.normalize()
    out["product"] = out["product"].astype(str)
    out["quantity"] = out["quantity"].astype(float)
    return out


def sales_matrix(
    sales: pd.DataFrame,
    *,
    end: date | None = None,
    products: tuple[str, ...] | None = None,
    mask_before_launch: bool = True,
) -> SalesMatrix:
    """Build the matrix of ``sales`` (normalized) on every calendar day until ``end`` (excl.).

    Closed days are those of the whole table without any sale, whatever ``products`` selects.
    """
    if end is not None:
        sales = sales[sales["date"] < pd.Timestamp(end)]
    if sales.empty:
        raise ValueError("no sales before the requested end date")
    last = pd.Timestamp(end) - pd.Timedelta(days=1) if end is not None else sales["date"].max()
    days = pd.date_range(sales["date"].min(), last, freq="D")
    wide = sales.pivot_table(index="date", columns="product", values="quantity", aggfunc="sum")
    wide = wide.reindex(index=days, columns=list(products or sorted(wide.columns)))
    trading = days.isin(sales["date"].unique())
    values = wide.to_numpy(dtype=float)
    sold = ~np.isnan(values)
    values[np.isnan(values)] = 0.0
    if mask_before_launch:
        launched = np.maximum.accumulate(sold, axis=0)
        values[~launched] = np.nan
    values[~trading] = np.nan
    return SalesMatrix(days, tuple(wide.columns), values, np.asarray(trading))


@functools.lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None, year: int) -> tuple[np.datetime64, ...]:
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return tuple(np.datetime64(day, "D") for day in calendar)


def holiday_flags(
    days: pd.DatetimeIndex, country: str | None, subdivision: str | None
) -> np.ndarray:
    """1.0 on public holidays of the country (and subdivision), else 0.0."""
    if not country:
        return np.zeros(len(days))
    years = range(days.min().year, days.max().year + 1)
    known = [d for y in years for d in _holidays(country, subdivision, y)]
    return np.isin(days.to_numpy().astype("datetime64[D]"), known).astype(float)


def _rolling(values: np.ndarray, window: int, how: str) -> np.ndarray:
    """Statistic over the ``window`` days strictly before each day, ignoring NaN.

    Equals pandas' ``rolling(window, min_periods=1).<how>().shift(1)`` (checked by a test) from
    cumulative sums: pandas' per-column loop was half of a prediction's time.
    """
    known = ~np.isnan(values)
    x = np.where(known, values, 0.0)
    count = _window_sums(known.astype(float), window)
    if how == "count":
        count[0] = np.nan
        return count
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = _window_sums(x, window) / count
        if how == "mean":
            return np.where(count > 0, mean, np.nan)
        centred = _window_sums(x**2, window) - count * mean**2
        std = np.sqrt(np.maximum(centred, 0.0) / (count - 1))
    return np.where(count > 1, std, np.nan)


def _window_sums(a: np.ndarray, window: int) -> np.ndarray:
    """Sum of the ``window`` rows strictly before each row (fewer at the start)."""
    total = np.vstack([np.zeros((1, a.shape[1])), np.cumsum(a, axis=0)])
    rows = np.arange(a.shape[0])
    return total[rows] - total[np.maximum(rows - window, 0)]


def _lag(values: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(values, np.nan)
    out[k:] = values[:-k]
    return out


@dataclass(frozen=True)
class OriginStats:
    """Per (day, product) statistics of the days strictly before that day, used at origins."""

    scale: np.ndarray
    history: np.ndarray
    by_name: dict[str, np.ndarray]


def origin_stats(values: np.ndarray) -> OriginStats:
    """Rolling statistics known at each origin (index = origin day)."""
    mean28 = _rolling(values, 28, "mean")
    mean56 = _rolling(values, 56, "mean")
    recent = _rolling(values, SCALE_WINDOW, "mean")
    scale = np.where(np.isnan(recent), mean56, recent)
    scale = np.maximum(np.nan_to_num(scale, nan=0.0), 0.1)
    zeros = _rolling(
        (values == 0).astype(float) + np.where(np.isnan(values), np.nan, 0.0), 28, "mean"
    )
    by_name = {
        "log_scale": np.log(scale),
        "mean3": _rolling(values, 3, "mean") / scale,
        "mean7": _rolling(values, 7, "mean") / scale,
        "mean14": _rolling(values, 14, "mean") / scale,
        "mean28": mean28 / scale,
        "mean56": mean56 / scale,
        "mean112": _rolling(values, 112, "mean") / scale,
        "last": _lag(values, 1) / scale,
        "cv28": _rolling(values, 28, "std") / scale,
        "zero_share28": zeros,
    }
    history = _rolling(values, 10_000, "count")
    return OriginStats(scale, np.nan_to_num(history), by_name)


@dataclass(frozen=True)
class ShopLevels:
    """The shop features of each origin (index = position in ``origins``).

    ``trend7`` and ``trend56`` are the shop's mean units per day over the 7 and 56 days before
    the origin over its mean of the 28 days before; ``before`` is the shop's mean of days
    o-371..o-365 and ``around[:, h]`` the mean of days t-367..t-361 for target t = o + h.
    """

    trend7: np.ndarray
    trend56: np.ndarray
    before: np.ndarray
    around: np.ndarray


def shop_levels(values: np.ndarray, origins: np.ndarray, active_days: int) -> ShopLevels:
    """The shop features of each origin, from the products active at that origin.

    The shop is the products with a sale (a known non-zero value) in the ``active_days``
    before the origin: the products prediction reads (``DemandModel.predict`` builds its
    matrix from them), so training, which calls this at every origin of the history, reads
    the same product set as prediction (a product discontinued before an origin does not
    count in last year's shop level of that origin). A day is unknown (NaN) when none of
    those products has a known value on it (closed day, or before all of them were launched).
    """
    known = ~np.isnan(values)
    x = np.where(known, values, 0.0)
    active = _window_sums((known & (x != 0)).astype(float), active_days)[origins] > 0

    def shop_on(offset: int) -> np.ndarray:
        day = origins + offset
        inside = (day >= 0) & (day < len(values))
        day = np.clip(day, 0, len(values) - 1)
        total = (x[day] * active).sum(axis=1)
        count = (known[day] & active).sum(axis=1)
        return np.where(inside & (count > 0), total, np.nan)

    recent = np.column_stack([shop_on(k) for k in range(-56, 0)])
    ago = np.column_stack([shop_on(k) for k in range(-YEAR - 7, -YEAR + 10)])
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN windows give NaN
        shop7, shop28, shop56 = (np.nanmean(recent[:, -w:], axis=1) for w in (7, 28, 56))
        # A shop that sold 0 in 28 days: NaN.
        trend7, trend56 = shop7 / shop28, shop56 / shop28
        before = _mean_of_at_least(ago[:, :7], 3)
        around = np.column_stack(
            [_mean_of_at_least(ago[:, h + 4 : h + 11], 3) for h in range(MAX_HORIZON)]
        )
    return ShopLevels(trend7, trend56, before, around)


def _mean_of_at_least(window: np.ndarray, n: int) -> np.ndarray:
    """Row means of the known values of ``window``; NaN with fewer than ``n`` of them."""
    count = (~np.isnan(window)).sum(axis=1)
    return np.where(count >= n, np.nanmean(window, axis=1), np.nan)


def year_ago_levels(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Last year's level around each target day and in the week before each origin.

    Returns (around, before): ``around[t]`` is the mean of days t-367..t-361 (index = target),
    ``before[o]`` the mean of days o-371..o-365 (index = origin). Their ratio is how much the
    level moved last year between the same origin and target: the seasonal shape, known at o.
    """
    frame = pd.DataFrame(values)
    around = frame.rolling(7, center=True, min_periods=3).mean().to_numpy()
    before = frame.rolling(7, min_periods=3).mean().shift(1).to_numpy()
    return _lag(around, YEAR), _lag(before, YEAR)


def yoy_ratio(
    levels: tuple[np.ndarray, np.ndarray], o: np.ndarray, t: np.ndarray, p: np.ndarray
) -> np.ndarray:
    """Last year's level change from origin to target for rows (o, t, p)."""
    around, before = levels
    base = before[o, p]
    return around[t, p] / np.where(base > 0, base, np.nan)


def target_lags(values: np.ndarray) -> dict[str, np.ndarray]:
    """Same-weekday values 1..4 weeks before each target day (known at any origin <= 7 back)."""
    lags = {f"lag{7 * k}": _lag(values, 7 * k) for k in range(1, 5)}
    stacked = np.stack(list(lags.values()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)  # all-NaN windows give NaN
        lags["same_weekday_mean"] = np.nanmean(stacked, axis=0)
        lags["same_weekday_median"] = np.nanmedian(stacked, axis=0)
    return lags


def calendar_features(days: pd.DatetimeIndex, holiday: np.ndarray) -> dict[str, np.ndarray]:
    """Weekday, smooth day of year and holiday flags of each target day."""
    doy = 2 * np.pi * days.dayofyear.to_numpy() / 365.25
    before = np.concatenate([[0.0], holiday[:-1]])
    after = np.concatenate([holiday[1:], [0.0]])
    return {
        "weekday": days.weekday.to_numpy().astype(float),
        "doy_sin": np.sin(doy),
        "doy_cos": np.cos(doy),
        "holiday": holiday,
        "holiday_near": np.maximum(before, after),
    }


@dataclass(frozen=True)
class Rows:
    """Model rows: features, the (day, product) they target, and the level used to scale them."""

    features: np.ndarray
    origin: np.ndarray
    target: np.ndarray
    product: np.ndarray
    scale: np.ndarray


def row_grid(origins: np.ndarray, n_products: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Origin, target and product indices, shaped (origins, horizons, products)."""
    shape = (len(origins), MAX_HORIZON, n_products)
    o = np.broadcast_to(origins[:, None, None], shape)
    t = o + np.arange(MAX_HORIZON)[None, :, None]
    p = np.broadcast_to(np.arange(n_products)[None, None, :], shape)
    return o, t, p


def build_rows(
    values: np.ndarray,
    days: pd.DatetimeIndex,
    holiday: np.ndarray,
    origins: np.ndarray,
    keep: np.ndarray | None = None,
    ets_parameters: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    active_days: int,
) -> Rows:
    """Rows for every origin in ``origins`` (day indices), horizon 1..7 and product.

    ``values``, ``days`` and ``holiday`` must reach the last target day (NaN where unknown);
    only days before each origin feed its features. ``keep`` is an optional boolean mask
    shaped like :func:`row_grid` selecting the rows to return. ``ets_parameters``: per-product
    (alpha, gamma) of the ETS feature, chosen on ``values`` when not given. The shop features
    of a row read the products sold in the ``active_days`` before its origin (``ModelConfig``'s,
    the products prediction forecasts; :func:`shop_levels`).
    """
    stats = origin_stats(values)
    lags = target_lags(values)
    cal = calendar_features(days, holiday)
    yoy = year_ago_levels(values)
    ets = ets_path(values, *(ets_parameters or choose_parameters(values)))
    o, t, p = row_grid(origins, values.shape[1])
    if keep is not None:
        o, t, p = o[keep], t[keep], p[keep]
    o, t, p = o.ravel(), t.ravel(), p.ravel()
    scale = stats.scale[o, p]
    at, row_origin = np.unique(o, return_inverse=True)
    shop = shop_levels(values, at, active_days)
    columns = []
    for name in FEATURE_NAMES:
        if name == "horizon":
            columns.append((t - o + 1).astype(float))
        elif name in cal:
            columns.append(cal[name][t])
        elif name in lags:
            columns.append(lags[name][t, p] / scale)
        elif name == "yoy":
            columns.append(yoy_ratio(yoy, o, t, p))
        elif name == "shop_yoy":
            base = shop.before[row_origin]
            columns.append(shop.around[row_origin, t - o] / np.where(base > 0, base, np.nan))
        elif name in ("shop_trend7", "shop_trend56"):
            columns.append(getattr(shop, name.removeprefix("shop_"))[row_origin])
        elif name == "ets":
            columns.append(ets[o, t % 7, p] / scale)
        else:
            columns.append(stats.by_name[name][o, p])
    return Rows(np.column_stack(columns), o, t, p, scale)
