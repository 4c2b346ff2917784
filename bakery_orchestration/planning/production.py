"""Production planning: how many units of each product to bake on the plan date.

Each product is baked up to the newsvendor quantile of its demand forecast, rounded up to whole
batches, then whole batches are cut if the day's oven capacity is exceeded. The rules and
formulas are in docs/PLANNING.md; nothing here knows about Dagster or storage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

PLAN_COLUMNS = (
    "product",
    "quantity",
    "batches",
    "critical_ratio",
    "quantile_used",
    "forecast_quantity_raw",
    "expected_sales",
    "expected_waste",
    "expected_stockout_units",
    "oven_minutes",
    "margin",
    "cut_units",
    "cut_reason",
)
FORECAST_COLUMNS = ("product", "p10", "p50", "p90")
PRODUCT_COLUMNS = (
    "product",
    "unit_price",
    "unit_cost",
    "salvage_value",
    "batch_size",
    "oven_minutes_per_batch",
)
MIN_CRITICAL_RATIO = 0.01
MAX_CRITICAL_RATIO = 0.99
NO_MARGIN_QUANTILE = 0.10
CAPACITY_CUT = "capacity"
_FORECAST_LEVELS = (0.1, 0.5, 0.9)
_ROUNDING_TOLERANCE = 1e-9
MAX_DEMAND_UNITS = 2**31 - 1
"""Largest forecast quantile planned: plan quantities are stored as 32-bit integers."""


@dataclass(frozen=True)
class DemandDistribution:
    """Daily demand as a piecewise-linear quantile function Q(u) on 0 <= u <= 1.

    `levels` are strictly increasing probabilities from 0 to 1 and `values` the non-decreasing,
    non-negative demand at each level; Q is linear between knots.
    """

    levels: tuple[float, ...]
    values: tuple[float, ...]

    @classmethod
    def from_quantiles(cls, p10: float, p50: float, p90: float) -> DemandDistribution:
        """Fit through (0.1, P10), (0.5, P50), (0.9, P90) with linear tails, floored at zero.

        Negative quantiles are read as zero and crossed quantiles are sorted, so the result is
        always monotone and non-negative. The tails continue the slope of the adjacent segment
        down to u = 0 and up to u = 1.
        """
        raw = (p10, p50, p90)
        if not all(math.isfinite(float(value)) for value in raw):
            raise ValueError(f"forecast quantiles must be finite numbers, got {raw}")
        if max(raw) > MAX_DEMAND_UNITS:
            raise ValueError(f"forecast quantiles above {MAX_DEMAND_UNITS} units, got {raw}")
        q10, q50, q90 = sorted(max(0.0, float(value)) for value in raw)
        low_slope = (q50 - q10) / 0.4
        high_slope = (q90 - q50) / 0.4
        bottom = q10 - 0.1 * low_slope
        knots = [(0.0, bottom), (0.1, q10), (0.5, q50), (0.9, q90), (1.0, q90 + 0.1 * high_slope)]
        if bottom < 0:
            zero_level = 0.1 - q10 / low_slope
            knots = [(0.0, 0.0), (zero_level, 0.0), *knots[1:]]
        levels, values = _dedupe_levels(knots)
        return cls(levels=levels, values=values)

    def quantile(self, level: float) -> float:
        """Demand at probability `level`, Q(level)."""
        return float(np.interp(level, self.levels, self.values))

    def mean(self) -> float:
        """E[D], the integral of Q(u) over 0..1."""
        return float(np.trapezoid(self.values, self.levels))

    def expected_sales(self, quantity: float) -> float:
        """E[min(D, quantity)]: units expected to be sold when `quantity` are baked."""
        return self._expect(quantity, lambda demand: np.minimum(demand, quantity))

    def expected_waste(self, quantity: float) -> float:
        """E[(quantity - D)+]: units expected to be left over."""
        return self._expect(quantity, lambda demand: np.maximum(quantity - demand, 0.0))

    def expected_stockout(self, quantity: float) -> float:
        """E[(D - quantity)+]: demand expected to go unserved."""
        return self._expect(quantity, lambda demand: np.maximum(demand - quantity, 0.0))

    def expected_margins(
        self, quantities: np.ndarray, unit_price: float, unit_cost: float, salvage_value: float
    ) -> np.ndarray:
        """`expected_margin` at many quantities at once (waste is quantity - sales)."""
        sales = self.expected_sales_many(quantities)
        return (unit_price - salvage_value) * sales + (salvage_value - unit_cost) * quantities

    def expected_sales_many(self, quantities: np.ndarray) -> np.ndarray:
        """E[min(D, q)] for each q: the area under Q up to the level where Q reaches q, then q.

        Between knots Q is linear, so the area up to a level is the cumulative trapezoid of the
        knots before it plus one trapezoid from the last knot to that level.
        """
        levels, values = np.asarray(self.levels), np.asarray(self.values)
        area = np.concatenate([[0.0], np.cumsum(np.diff(levels) * (values[1:] + values[:-1]) / 2)])
        quantities = np.asarray(quantities, dtype=float)
        reached = np.interp(quantities, values, levels)
        knot = np.clip(np.searchsorted(levels, reached, side="right") - 1, 0, len(levels) - 1)
        at_level = np.interp(reached, levels, values)
        partial = (reached - levels[knot]) * (values[knot] + at_level) / 2
        return area[knot] + partial + quantities * (1.0 - reached)

    def _expect(self, quantity: float, payoff) -> float:
        """Integrate payoff(Q(u)) over u exactly.

        Q is piecewise linear and each payoff is piecewise linear in demand with one kink at
        `quantity`, so adding the level where Q crosses `quantity` to the knots makes the
        integrand linear between points and the trapezoid rule exact.
        """
        levels = sorted({*self.levels, *self._crossings(quantity)})
        demand = np.interp(levels, self.levels, self.values)
        return float(np.trapezoid(payoff(demand), levels))

    def _crossings(self, quantity: float) -> list[float]:
        """Levels strictly inside a knot segment where Q(u) equals `quantity`."""
        knots = zip(self.levels, self.values, strict=True)
        return [
            u0 + (quantity - x0) / (x1 - x0) * (u1 - u0)
            for (u0, x0), (u1, x1) in pairwise(knots)
            if x0 < quantity < x1
        ]


def _dedupe_levels(
    knots: list[tuple[float, float]],
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Drop knots whose level repeats the previous one (a zero-width floor segment)."""
    kept = [knots[0]]
    for level, value in knots[1:]:
        if level > kept[-1][0]:
            kept.append((level, value))
    return tuple(k[0] for k in kept), tuple(k[1] for k in kept)


def critical_ratio(unit_price: float, unit_cost: float, salvage_value: float) -> float:
    """Newsvendor critical ratio (p - c) / (p - s), clipped to [0.01, 0.99].

    Returns 0.0 when the product earns nothing per unit sold (p <= c): such a product has no
    newsvendor optimum and is planned at NO_MARGIN_QUANTILE instead. When leftovers are salvaged
    at or above cost (s >= c) over-baking costs nothing and the ratio is the upper clip.
    """
    underage = unit_price - unit_cost
    overage = unit_cost - salvage_value
    if underage <= 0:
        return 0.0
    if overage <= 0:
        return MAX_CRITICAL_RATIO
    return min(MAX_CRITICAL_RATIO, max(MIN_CRITICAL_RATIO, underage / (underage + overage)))


def quantile_level(ratio: float) -> float:
    """Probability level to plan at: the critical ratio, or P10 for a no-margin product."""
    return ratio if ratio > 0 else NO_MARGIN_QUANTILE


def round_up_to_batches(quantity: float, batch_size: int) -> int:
    """Whole batches needed to bake at least `quantity` units (never negative)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return max(0, math.ceil(quantity / batch_size - _ROUNDING_TOLERANCE))


def expected_margin(
    demand: DemandDistribution,
    quantity: float,
    unit_price: float,
    unit_cost: float,
    salvage_value: float,
) -> float:
    """Expected contribution p * E[sales] + s * E[waste] - c * quantity."""
    sales = demand.expected_sales(quantity)
    waste = demand.expected_waste(quantity)
    return unit_price * sales + salvage_value * waste - unit_cost * quantity


@dataclass
class _PlanLine:
    """One product's plan while batches are being cut; `batches` is mutated by the cut."""

    product: str
    demand: DemandDistribution
    unit_price: float
    unit_cost: float
    salvage_value: float
    batch_size: int
    minutes_per_batch: float
    ratio: float
    level: float
    raw_quantity: float
    planned_batches: int
    batches: int

    def margin_at(self, batches: int) -> float:
        """Expected margin if `batches` batches are baked."""
        return expected_margin(
            self.demand,
            batches * self.batch_size,
            self.unit_price,
            self.unit_cost,
            self.salvage_value,
        )


def plan_production(
    forecast: pd.DataFrame,
    products: pd.DataFrame,
    capacity_minutes: float | None = None,
    closed: bool = False,
) -> pd.DataFrame:
    """Plan one day's bake: one row per forecast product with the PLAN_COLUMNS.

    `forecast` has columns product, p10, p50, p90 (one row per product for the plan date);
    `products` has the PRODUCT_COLUMNS. A closed day plans nothing. With a capacity, whole
    batches are cut from the lines whose last batch adds the least expected margin per oven
    minute until the plan fits.
    """
    if closed:
        return _empty_plan()
    _require_columns(forecast, FORECAST_COLUMNS, "forecast")
    lines = [_initial_line(row, master) for row, master in _joined_rows(forecast, products)]
    if capacity_minutes is not None:
        _cut_to_capacity(lines, capacity_minutes)
    if not lines:
        return _empty_plan()
    return pd.DataFrame([_line_record(line) for line in lines], columns=list(PLAN_COLUMNS))


def _joined_rows(forecast: pd.DataFrame, products: pd.DataFrame) -> list[tuple]:
    """Pair each forecast row with its product master row, refusing unknown products."""
    master = _validated_products(products)
    if forecast["product"].duplicated().any():
        raise ValueError("forecast has more than one row for a product")
    unknown = sorted(set(forecast["product"]) - set(master.index))
    if unknown:
        raise ValueError(f"forecast products missing from the product table: {unknown}")
    return [(row, master.loc[row.product]) for row in forecast.itertuples(index=False)]


def _validated_products(products: pd.DataFrame) -> pd.DataFrame:
    """Product master indexed by product, with its numeric rules checked."""
    _require_columns(products, PRODUCT_COLUMNS, "products")
    if products["product"].duplicated().any():
        raise ValueError("products has more than one row for a product")
    master = products.set_index("product")
    if (master["batch_size"] < 1).any() or (master["batch_size"] % 1 != 0).any():
        raise ValueError("batch_size must be a whole number >= 1")
    if (master["oven_minutes_per_batch"] < 0).any():
        raise ValueError("oven_minutes_per_batch must be >= 0")
    return master


def _initial_line(row, master: pd.Series) -> _PlanLine:
    """The unconstrained newsvendor plan for one product."""
    demand = DemandDistribution.from_quantiles(row.p10, row.p50, row.p90)
    price, cost = float(master["unit_price"]), float(master["unit_cost"])
    salvage = float(master["salvage_value"])
    ratio = critical_ratio(price, cost, salvage)
    level = quantile_level(ratio)
    raw = demand.quantile(level)
    batch_size = int(master["batch_size"])
    batches = round_up_to_batches(raw, batch_size)
    return _PlanLine(
        product=row.product,
        demand=demand,
        unit_price=price,
        unit_cost=cost,
        salvage_value=salvage,
        batch_size=batch_size,
        minutes_per_batch=float(master["oven_minutes_per_batch"]),
        ratio=ratio,
        level=level,
        raw_quantity=raw,
        planned_batches=batches,
        batches=batches,
    )


def _cut_to_capacity(lines: list[_PlanLine], capacity_minutes: float) -> None:
    """Remove whole batches, least valuable per oven minute first, until the plan fits.

    Expected margin is concave in quantity, so within a line each batch is worth no more than
    the one before it: removing the least valuable last batch again and again removes the
    batches in ascending order of value per minute (ties: product name). That order is computed
    at once instead of batch by batch, over at most the batches the oven could hold of each
    line, so the time depends on the oven, never on how large the forecast is. Lines that use
    no oven time are never cut.
    """
    if capacity_minutes < 0:
        raise ValueError(f"capacity_minutes must be >= 0, got {capacity_minutes}")
    limit = capacity_minutes + _ROUNDING_TOLERANCE
    cuttable = sorted(
        (line for line in lines if line.batches > 0 and line.minutes_per_batch > 0),
        key=lambda line: line.product,
    )
    for line in cuttable:
        # The oven could never hold more of this line alone, whatever else is cut.
        line.batches = min(line.batches, math.floor(limit / line.minutes_per_batch))
    excess = _total_minutes(lines) - limit
    if excess <= 0:
        return
    values, minutes, owner = _batch_values(cuttable)
    order = np.lexsort((np.arange(len(values))[::-1], owner, values))
    removed = np.searchsorted(np.cumsum(minutes[order]), excess) + 1
    for index, count in zip(*np.unique(owner[order[:removed]], return_counts=True), strict=True):
        cuttable[index].batches -= int(count)


def _batch_values(lines: list[_PlanLine]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every batch's marginal value per oven minute, its minutes and its line's index.

    Within a line the batches come in order, so a reversed position breaks ties between equal
    values by removing the later batch first, as the one-at-a-time rule would.
    """
    values, minutes, owner = [], [], []
    for index, line in enumerate(lines):
        quantities = np.arange(line.batches + 1, dtype=float) * line.batch_size
        margins = line.demand.expected_margins(
            quantities, line.unit_price, line.unit_cost, line.salvage_value
        )
        values.append(np.diff(margins) / line.minutes_per_batch)
        minutes.append(np.full(line.batches, line.minutes_per_batch))
        owner.append(np.full(line.batches, index))
    return np.concatenate(values), np.concatenate(minutes), np.concatenate(owner)


def _total_minutes(lines: list[_PlanLine]) -> float:
    """Oven minutes the lines use as currently planned."""
    return sum(line.batches * line.minutes_per_batch for line in lines)


def _line_record(line: _PlanLine) -> dict:
    """The output row for one plan line."""
    quantity = line.batches * line.batch_size
    cut_units = (line.planned_batches - line.batches) * line.batch_size
    return {
        "product": line.product,
        "quantity": quantity,
        "batches": line.batches,
        "critical_ratio": line.ratio,
        "quantile_used": line.level,
        "forecast_quantity_raw": line.raw_quantity,
        "expected_sales": line.demand.expected_sales(quantity),
        "expected_waste": line.demand.expected_waste(quantity),
        "expected_stockout_units": line.demand.expected_stockout(quantity),
        "oven_minutes": line.batches * line.minutes_per_batch,
        "margin": line.margin_at(line.batches),
        "cut_units": cut_units,
        "cut_reason": CAPACITY_CUT if cut_units > 0 else "",
    }


def _empty_plan() -> pd.DataFrame:
    """A plan with the PLAN_COLUMNS and no rows."""
    return pd.DataFrame({column: [] for column in PLAN_COLUMNS})


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], name: str) -> None:
    """Fail with the missing column names rather than a KeyError deep inside."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}")
