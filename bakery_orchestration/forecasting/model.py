"""The demand model: one global gradient-boosted model for all products of a tenant.

It forecasts the next seven days from an origin using only sales before the origin, gives
P10/P50/P90 per product and day, falls back to seasonal naive for products with too little
history and forecasts 0 on the tenant's closed weekdays.
"""

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting import serialization
from bakery_orchestration.forecasting.baselines import seasonal_naive
from bakery_orchestration.forecasting.calibration import IntervalCalibration, calibrate
from bakery_orchestration.forecasting.ets import choose_parameters
from bakery_orchestration.forecasting.trees import TreeEnsemble, from_sklearn

OUTPUT_COLUMNS = ["product", "date", "horizon", "p10", "p50", "p90", "method"]
HISTORY_DAYS = 400  # the longest look-back of any feature is 392 days
SPREAD = ft.FEATURE_NAMES.index("cv28")  # the feature column that groups the P50 factors
MEDIAN_LOSSES = {"absolute_error", "quantile"}  # losses whose forecast is already a median
HOLIDAY, HOLIDAY_NEAR = (ft.FEATURE_NAMES.index(n) for n in ("holiday", "holiday_near"))
ETS = ft.FEATURE_NAMES.index("ets")  # the exponential-smoothing forecast, over the scale
DEFAULT_ALPHA, DEFAULT_GAMMA = 0.1, 0.05  # ETS smoothing for a product unknown at fit time
BLEND_WEIGHTS = np.linspace(0.0, 1.0, 11)  # the model's share in the blend with ETS


@dataclass(frozen=True)
class TenantCalendar:
    """What the model knows of a tenant's calendar. Weekdays: Monday=0."""

    country: str | None = None
    subdivision: str | None = None
    closed_weekdays: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of the demand model."""

    # Absolute error on the scaled target, weighted by the scale: the trees minimise the WAPE
    # the P50 is scored by. Tree settings are scikit-learn's defaults but for 15 leaves (docs:
    # dev evidence).
    losses: tuple[str, ...] = ("absolute_error",)
    seeds: tuple[int, ...] = (0,)
    max_iter: int = 100
    learning_rate: float = 0.1
    # 15 leaves (sklearn's default 31): dev WAPE better or equal on every file and both dev
    # windows, 15 % less CPU.
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    half_life_days: float = 365.0
    # 50,000 rows: French dev 21.71 % WAPE in 48 CPU-s instead of 21.94 % in 118 with 150,000.
    max_rows: int = 50_000
    # 15,000: the same dev WAPE as 30,000 on all three files (the held-out fit only chooses the
    # blend weight and the band), 10 % less fit time.
    calibration_rows: int = 15_000
    min_history_days: int = 28
    # The held-out fit ends 56 days before as_of: the blend weight is chosen on all 56 days (35
    # chose worse weights on the second dev window: French 36.11 % instead of 33.91 %).
    calibration_days: int = 56
    active_days: int = 56
    # The band is calibrated on the held-out origins of the first 35 of those days: forecasts
    # 0-34 days older than their fit, as production's model is (the age rule refits after 30
    # days at its weekly check); all 56 days gave bands too wide on both dev windows.
    band_days: int = 35
    quantiles: tuple[float, float] = (0.1, 0.9)
    blend: bool = True  # blend with ETS by the held-out error (False: the trees alone)
    default_blend: float = 0.5  # the trees' share when there is too little history to choose

    @classmethod
    def fast(cls) -> "ModelConfig":
        """Fewer training rows, for a quicker fit (its accuracy is not measured: see docs)."""
        return cls(max_rows=25_000, calibration_rows=10_000)


@dataclass(frozen=True)
class TrainingSet:
    """Scaled training rows with their targets (actual / scale) and the day they target."""

    x: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    weight: np.ndarray
    target_day: np.ndarray
    origin_day: np.ndarray


def _fit_members(data: TrainingSet, config: ModelConfig, rows: np.ndarray) -> list[TreeEnsemble]:
    weight = data.weight[rows]
    members = []
    # Imported here: predicting needs no scikit-learn, and importing it costs a run worker 1.2 s.
    from sklearn.ensemble import HistGradientBoostingRegressor

    for loss, seed in itertools.product(config.losses, config.seeds):
        est = HistGradientBoostingRegressor(
            loss=loss,
            learning_rate=config.learning_rate,
            max_iter=config.max_iter,
            max_leaf_nodes=config.max_leaf_nodes,
            min_samples_leaf=config.min_samples_leaf,
            l2_regularization=config.l2_regularization,
            max_features=0.8 if len(config.seeds) > 1 else 1.0,
            quantile=0.5 if loss == "quantile" else None,
            early_stopping=False,
            random_state=seed,
        )
        # One OpenMP thread: on small shared machines extra threads slow the fit down 10x.
        with threadpool_limits(limits=1, user_api="openmp"):
            est.fit(data.x[rows], data.y[rows], sample_weight=weight)
        members.append(from_sklearn(est))
    return members


def _at_most(rows: np.ndarray, n: int) -> np.ndarray:
    """A fixed-seed random subset of ``rows`` of size at most ``n``, in order."""
    if rows.size <= n:
        return rows
    return np.sort(np.random.default_rng(1).choice(rows, n, replace=False))


def _predict_members(members: Sequence[TreeEnsemble], x: np.ndarray) -> np.ndarray:
    return np.mean([m.predict(x) for m in members], axis=0)


def training_set(
    matrix: ft.SalesMatrix,
    holiday: np.ndarray,
    config: ModelConfig,
    ets_parameters: tuple[np.ndarray, np.ndarray] | None = None,
) -> TrainingSet:
    """Rows for all origins of the matrix whose targets are known, subsampled to max_rows.

    A row weighs its product's scale (the Poisson offset) times a recency decay. The sample is
    uniform: small products' rows teach the shared shape as much as big ones' (sampling in
    proportion to volume scored worse).
    """
    origins = np.arange(config.min_history_days, len(matrix.days))
    stats = ft.origin_stats(matrix.values)
    o, t, p = ft.row_grid(origins, len(matrix.products))
    padded = np.vstack([matrix.values, np.full((ft.MAX_HORIZON, len(matrix.products)), np.nan)])
    keep = ~np.isnan(padded[t, p]) & (stats.history[o, p] >= config.min_history_days)
    if keep.sum() > config.max_rows:
        chosen = np.random.default_rng(0).choice(
            np.flatnonzero(keep), config.max_rows, replace=False
        )
        keep = np.zeros(keep.size, dtype=bool)
        keep[chosen] = True
        keep = keep.reshape(o.shape)
    days, holiday = _extend(matrix.days), _pad(holiday)
    rows = ft.build_rows(
        padded, days, holiday, origins, keep, ets_parameters, active_days=config.active_days
    )
    y = padded[rows.target, rows.product] / rows.scale
    age = len(matrix.days) - 1 - rows.target
    weight = rows.scale * 0.5 ** (age / config.half_life_days)
    return TrainingSet(rows.features, y, rows.scale, weight, rows.target, rows.origin)


@dataclass(frozen=True)
class _TenantRows:
    """One tenant's training rows and which of them the held-out fit trains on / scores."""

    data: TrainingSet
    products: tuple[str, ...]
    ets: tuple[np.ndarray, np.ndarray]
    early: np.ndarray  # rows whose target is before the held-out days
    late: np.ndarray  # rows whose origin is in the held-out days
    band: np.ndarray  # rows whose origin is in the first band_days held-out days


def _tenant_rows(
    sales: pd.DataFrame, calendar: TenantCalendar, as_of: date, config: ModelConfig
) -> _TenantRows:
    matrix = ft.sales_matrix(ft.normalize_sales(sales), end=as_of)
    holiday = ft.holiday_flags(_extend(matrix.days), calendar.country, calendar.subdivision)
    ets_parameters = choose_parameters(matrix.values)
    data = training_set(matrix, holiday[: len(matrix.days)], config, ets_parameters)
    # A young tenant holds out a third of its days rather than no day at all.
    cutoff = len(matrix.days) - min(config.calibration_days, len(matrix.days) // 3)
    late = data.origin_day >= cutoff
    band = late & (data.origin_day < cutoff + config.band_days)
    return _TenantRows(data, matrix.products, ets_parameters, data.target_day < cutoff, late, band)


def _concat(parts: Sequence[TrainingSet], max_rows: int) -> "_Pooled":
    """The tenants' rows together, subsampled uniformly to ``max_rows`` (``keep``: the rows)."""
    if len(parts) == 1:
        return _Pooled(*_arrays(parts[0]), keep=None)
    joined = [np.concatenate(arrays) for arrays in zip(*map(_arrays, parts), strict=True)]
    keep = None
    if joined[1].size > max_rows:
        keep = np.sort(np.random.default_rng(2).choice(joined[1].size, max_rows, replace=False))
        joined = [a[keep] for a in joined]
    return _Pooled(*joined, keep=keep)


def _arrays(data: TrainingSet) -> list[np.ndarray]:
    return [getattr(data, f.name) for f in dataclasses.fields(TrainingSet)]


@dataclass(frozen=True)
class _Pooled(TrainingSet):
    keep: np.ndarray | None = None


def _extend(days: pd.DatetimeIndex, n: int = ft.MAX_HORIZON) -> pd.DatetimeIndex:
    return pd.date_range(days[0], periods=len(days) + n, freq="D")


def _pad(holiday: np.ndarray, n: int = ft.MAX_HORIZON) -> np.ndarray:
    return np.concatenate([holiday, np.zeros(n)])


@dataclass(frozen=True)
class EtsParameters:
    """Smoothing parameters of the ETS feature, one per product of the model."""

    alpha: np.ndarray
    gamma: np.ndarray


@dataclass(frozen=True)
class DemandModel:
    """A fitted demand model. Create with :meth:`fit` or :meth:`from_bytes`."""

    members: tuple[TreeEnsemble, ...]
    calibration: IntervalCalibration
    calendar: TenantCalendar
    config: ModelConfig
    as_of: date
    products: tuple[str, ...] = field(default=())
    blend_weight: float = 1.0  # the trees' share of the P50; the rest is the ETS forecast
    ets: EtsParameters | None = None  # per product of ``products``

    @classmethod
    def fit(
        cls,
        sales: pd.DataFrame,
        *,
        as_of: date,
        calendar: TenantCalendar = TenantCalendar(),
        config: ModelConfig | None = None,
    ) -> "DemandModel":
        """Fit on the sales dated before ``as_of`` (later rows are ignored)."""
        return cls.fit_pool({"": (sales, calendar)}, as_of=as_of, config=config)[""]

    @classmethod
    def fit_pool(
        cls,
        members: Mapping[str, tuple[pd.DataFrame, TenantCalendar]],
        *,
        as_of: date,
        config: ModelConfig | None = None,
    ) -> dict[str, "DemandModel"]:
        """One model fitted on the sales of several tenants (a pool), one copy per tenant.

        Each tenant's rows keep its own shop features, closed days, calendar and ETS
        parameters; the trees, the blend weight and the band are shared. A pool of one tenant
        is :meth:`fit`. Only sales dated before ``as_of`` are read.
        """
        config = config or ModelConfig()
        parts = {
            name: _tenant_rows(sales, calendar, as_of, config)
            for name, (sales, calendar) in members.items()
        }
        training = [part for part in parts.values() if part.data.y.size]
        if not training:
            raise ValueError("not enough history to fit a demand model")
        data = _concat([part.data for part in training], config.max_rows)
        early_mask = np.concatenate([part.early for part in training])
        late = np.concatenate([part.late for part in training])
        band = np.concatenate([part.band for part in training])
        if data.keep is not None:
            early_mask, late, band = early_mask[data.keep], late[data.keep], band[data.keep]
        early = _at_most(np.flatnonzero(early_mask), config.calibration_rows)
        calibration = calibrate(np.array([]), np.array([]))
        weight = config.default_blend if config.blend else 1.0
        actual = data.y[late] * data.scale[late]
        ets_late = data.x[late, ETS]
        if early.size > 1000 and late.any():
            held_out = _predict_members(_fit_members(data, config, early), data.x[late])
            if config.blend:
                weight = _blend_weight(actual, held_out, ets_late, data.scale[late])
            held_out = _blend(weight, held_out, ets_late)
        else:
            # Too young for a held-out fit of the trees: the band comes from the held-out
            # errors of the ETS forecast (its state at each origin uses only earlier days),
            # rather than a fixed band that knows nothing of the tenant.
            held_out = np.nan_to_num(ets_late, nan=0.0)
        # The band is calibrated on ordinary days: a held-out holiday (or a day next to one)
        # is rare in any later week, and its large errors widened every day's band.
        ordinary = (data.x[late, HOLIDAY] == 0) & (data.x[late, HOLIDAY_NEAR] == 0)
        ordinary &= band[late]
        if ordinary.any():
            calibration = calibrate(
                actual[ordinary],
                held_out[ordinary] * data.scale[late][ordinary],
                spread=data.x[late, SPREAD][ordinary],
                low=config.quantiles[0],
                high=config.quantiles[1],
                forecasts_mean=not set(config.losses) <= MEDIAN_LOSSES,
            )
        trees = tuple(_fit_members(data, config, np.arange(data.y.size)))
        return {
            name: cls(
                trees,
                calibration,
                members[name][1],
                config,
                as_of,
                part.products,
                weight,
                EtsParameters(*part.ets),
            )  # fmt: skip
            for name, part in parts.items()
        }

    def for_member(self, sales: pd.DataFrame, calendar: TenantCalendar) -> "DemandModel":
        """This pooled model's copy for another tenant of its pool: the shared trees, blend
        and band with that tenant's products, calendar and ETS parameters, exactly the copy
        :meth:`fit_pool` gave that tenant when ``sales`` are the sales it was fitted on."""
        matrix = ft.sales_matrix(ft.normalize_sales(sales), end=self.as_of)
        ets = EtsParameters(*choose_parameters(matrix.values))
        return dataclasses.replace(self, calendar=calendar, products=matrix.products, ets=ets)

    def predict(
        self,
        sales: pd.DataFrame,
        *,
        origin: date,
        horizon: int = ft.MAX_HORIZON,
        products: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Forecast days ``origin`` .. ``origin + horizon - 1`` from sales dated before ``origin``.

        ``products`` defaults to those sold in the ``active_days`` before the origin; the
        shop features read those and ``products`` either way.
        """
        if not 1 <= horizon <= ft.MAX_HORIZON:
            raise ValueError(f"horizon must be within 1..{ft.MAX_HORIZON}, got {horizon}")
        history = ft.normalize_sales(sales)
        history = history[history["date"] < pd.Timestamp(origin)]
        active = self._active(history, origin)
        wanted = tuple(products) if products is not None else active
        if history.empty or not wanted:
            return _frame(
                wanted, origin, horizon, np.zeros((horizon, len(wanted))), "seasonal_naive"
            )
        # The shop features read every active product (as production's forecast, which asks
        # for them all, does) whichever products are asked for.
        asked = set(wanted)
        scope = wanted + tuple(p for p in active if p not in asked)
        matrix = _recent(ft.sales_matrix(history, end=origin), scope)
        forecast = self._forecast(matrix, origin, horizon)
        if len(scope) > len(wanted):
            forecast = forecast[forecast["product"].isin(asked)].reset_index(drop=True)
        return forecast

    def to_bytes(self) -> bytes:
        """Serialize to bytes holding only numbers and JSON (see serialization.py)."""
        return _to_bytes(self)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of :meth:`to_bytes`, to record next to the stored model."""
        return serialization.digest(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes, *, expected_sha256: str | None = None) -> "DemandModel":
        """Load bytes from :meth:`to_bytes`; refuses altered bytes or a digest mismatch."""
        if expected_sha256 is not None and serialization.digest(data) != expected_sha256:
            raise serialization.ModelFormatError("model bytes do not match the recorded digest")
        return _from_bytes(data)

    def _active(self, history: pd.DataFrame, origin: date) -> tuple[str, ...]:
        since = pd.Timestamp(origin) - pd.Timedelta(days=self.config.active_days)
        return tuple(sorted(history.loc[history["date"] >= since, "product"].unique()))

    def _ets_parameters(self, products: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The (alpha, gamma) chosen at fit per product; the defaults for products new since."""
        alpha, gamma = np.full(len(products), DEFAULT_ALPHA), np.full(len(products), DEFAULT_GAMMA)
        if self.ets is not None:
            position = {p: i for i, p in enumerate(self.products)}
            for j, product in enumerate(products):
                if product in position:
                    alpha[j] = self.ets.alpha[position[product]]
                    gamma[j] = self.ets.gamma[position[product]]
        return alpha, gamma

    def _forecast(self, matrix: ft.SalesMatrix, origin: date, horizon: int) -> pd.DataFrame:
        n_days, n_prod = matrix.values.shape
        values = np.vstack([matrix.values, np.full((ft.MAX_HORIZON, n_prod), np.nan)])
        days = _extend(matrix.days)
        cal = self.calendar
        holiday = ft.holiday_flags(days, cal.country, cal.subdivision)
        parameters = self._ets_parameters(matrix.products)
        rows = ft.build_rows(
            values,
            days,
            holiday,
            np.array([n_days]),
            None,
            parameters,
            active_days=self.config.active_days,
        )
        trees = _predict_members(self.members, rows.features)
        mean = _blend(self.blend_weight, trees, rows.features[:, ETS]) * rows.scale
        shape = (ft.MAX_HORIZON, n_prod)
        quantiles = self.calibration.quantiles(
            mean.reshape(shape), rows.features[:, SPREAD].reshape(shape)
        )
        naive = np.vstack(
            [seasonal_naive(values, n_days, n_days + h) for h in range(ft.MAX_HORIZON)]
        )
        naive_quantiles = _around(np.nan_to_num(naive, nan=0.0), quantiles)
        modelled = (~np.isnan(matrix.values)).sum(axis=0) >= self.config.min_history_days
        p10, p50, p90 = (
            np.where(modelled[None, :], q, nq)[:horizon]
            for q, nq in zip(quantiles, naive_quantiles, strict=True)
        )
        method = np.where(modelled, "model", "seasonal_naive")[None, :].repeat(horizon, axis=0)
        closed = days[n_days : n_days + horizon].weekday.isin(cal.closed_weekdays)
        for q in (p10, p50, p90):
            q[closed] = 0.0
        method[closed] = "closed"
        return _frame(matrix.products, origin, (p10, p50, p90), method)


def _blend(weight: float, trees: np.ndarray, ets: np.ndarray) -> np.ndarray:
    return weight * trees + (1.0 - weight) * np.nan_to_num(ets, nan=0.0)


def _blend_weight(actual: np.ndarray, trees: np.ndarray, ets: np.ndarray, scale: np.ndarray):
    """The trees' share in the blend with ETS with the least held-out absolute error."""
    errors = [np.abs(actual - _blend(w, trees, ets) * scale).sum() for w in BLEND_WEIGHTS]
    return float(BLEND_WEIGHTS[int(np.argmin(errors))])


def _around(
    center: np.ndarray, quantiles: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An interval around ``center`` as wide, relatively, as the model's own."""
    _, mid, _ = quantiles
    ratio = np.divide(center, mid, out=np.ones_like(mid), where=mid > 0)
    return quantiles[0] * ratio, center, quantiles[2] * ratio


def _recent(matrix: ft.SalesMatrix, products: Sequence[str]) -> ft.SalesMatrix:
    """The last HISTORY_DAYS days of the matrix, columns reordered to ``products``."""
    position = {p: i for i, p in enumerate(matrix.products)}
    values = np.full((len(matrix.days), len(products)), np.nan)
    for j, product in enumerate(products):
        if product in position:
            values[:, j] = matrix.values[:, position[product]]
    keep = slice(max(0, len(matrix.days) - HISTORY_DAYS), None)
    return ft.SalesMatrix(matrix.days[keep], tuple(products), values[keep], matrix.trading[keep])


def _frame(
    products: Sequence[str],
    origin: date,
    quantiles: tuple[np.ndarray, np.ndarray, np.ndarray],
    method: np.ndarray | str,
) -> pd.DataFrame:
    """Long output frame from (horizon x product) arrays of P10, P50, P90."""
    p10, p50, p90 = (np.maximum(q, 0.0) for q in quantiles)
    horizon, n_prod = p50.shape
    days = pd.date_range(pd.Timestamp(origin), periods=horizon, freq="D")
    frame = pd.DataFrame(
        {
            "product": np.tile(np.asarray(products, dtype=object), horizon),
            "date": np.repeat(days.to_numpy(), n_prod),
            "horizon": np.repeat(np.arange(1, horizon + 1), n_prod),
            "p10": np.ravel(p10),
            "p50": np.ravel(p50),
            "p90": np.ravel(p90),
            "method": np.broadcast_to(method, p50.shape).ravel(),
        }
    )
    return frame.sort_values(["product", "date"], kind="stable").reset_index(drop=True)


def _to_bytes(model: DemandModel) -> bytes:
    header = {
        "calendar": serialization.to_jsonable(model.calendar),
        "config": serialization.to_jsonable(model.config),
        "as_of": model.as_of.isoformat(),
        "products": list(model.products),
        "features": list(ft.FEATURE_NAMES),
        "blend_weight": model.blend_weight,
        "ets_alpha": [float(a) for a in model.ets.alpha],
        "ets_gamma": [float(g) for g in model.ets.gamma],
    }
    return serialization.dump_parts(header, list(model.members), model.calibration)


def _from_bytes(data: bytes) -> DemandModel:
    header, members, calibration = serialization.load_parts(data)
    if header.get("features") != list(ft.FEATURE_NAMES):
        raise serialization.ModelFormatError("model was fitted on a different feature set")
    cal, cfg = header["calendar"], header["config"]
    calendar = TenantCalendar(cal["country"], cal["subdivision"], tuple(cal["closed_weekdays"]))
    tuples = {k: tuple(v) for k, v in cfg.items() if isinstance(v, list)}
    config = ModelConfig(**{**cfg, **tuples})
    as_of = serialization.parse_date(header["as_of"])
    products = tuple(header["products"])
    weight = float(header["blend_weight"])
    ets = EtsParameters(
        np.asarray(header["ets_alpha"], float), np.asarray(header["ets_gamma"], float)
    )
    if ets.alpha.shape != (len(products),) or ets.gamma.shape != (len(products),):
        raise serialization.ModelFormatError("ETS parameters do not match the products")
    return DemandModel(tuple(members), calibration, calendar, config, as_of, products, weight, ets)
