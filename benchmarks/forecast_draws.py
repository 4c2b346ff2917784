"""Averaged draws for ``forecast_dev.py --draws N``: each configuration over N perturbed fits.

One dev run cannot resolve differences of 0.1-0.3 WAPE points: the trees' bins and splits
depend on the last bits of the features, and perturbing the shop trends by one part in 10^16
moves French dev by 0.24 points (sd; docs/FORECASTING.md, "The noise floor of one dev run").
A draw ``k`` (1..N) runs the ordinary dev backtest with ``shop_trend7`` and ``shop_trend56``
multiplied by ``1 + u * 2.2e-16`` in every feature row built (fit and prediction), ``u`` an
integer in -2..2 per row from a generator seeded with ``k``: the same noise a change of
summation order makes (the shop totals are sums over the products; adding, renaming or
reordering a product changes their last bits in production). Why not the training-row
subsample seed or ``HistGradientBoostingRegressor(random_state)``: the Bread Basket and Korean
tenants have fewer rows than ``max_rows`` (28,728 and 23,624 at their dev windows) and the
trees use neither early stopping, feature subsampling nor the 200,000-row binning subsample,
so neither seed changes their trees. Draw 0 would be the unperturbed run the defaults were
chosen on; it is not a draw.

A comparison pairs the draws: for each file and window (a cell), the candidate's WAPE minus
the reference's under the same draw, their mean and its standard error; over the cells, the
mean of the per-draw cell means and its standard error (docs/FORECASTING.md, "Averaged-draw
protocol", has the adoption rule this module prints).
"""

import json
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

from bakery_orchestration.cli.backtest import file_calendar
from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting.backtest import run_backtest
from bakery_orchestration.forecasting.model import ModelConfig, TenantCalendar

PERTURBED = ("shop_trend7", "shop_trend56")
ULP = 2.2e-16
# The seasonal naive stays: production's retraining rule reads it. The other baselines do not
# depend on the model and are printed by the plain (undrawn) run.
DRAW_METHODS = ("model", "seasonal_naive")
_BUILD_ROWS = ft.build_rows


def _perturbing(draw: int):
    rng = np.random.default_rng(draw)
    columns = [ft.FEATURE_NAMES.index(n) for n in PERTURBED]

    def build_rows(*args, **kwargs) -> ft.Rows:
        rows = _BUILD_ROWS(*args, **kwargs)
        u = rng.integers(-2, 3, size=(len(rows.features), len(columns)))
        rows.features[:, columns] *= 1.0 + u * ULP
        return rows

    return build_rows


def run_draw(job: Mapping) -> dict:
    """One file's dev backtest under draw ``job['draw']``, in this process (a worker's)."""
    from forecast_dev import DATASETS, SHARED_DATA

    ft.build_rows = _perturbing(job["draw"]) if job["draw"] else _BUILD_ROWS
    path = SHARED_DATA / DATASETS[job["file"]]
    country, subdivision = file_calendar(path, None)
    sales = pd.read_csv(path, parse_dates=["date"])
    if job["earlier"]:
        sales = sales[sales["date"] <= sales["date"].max() - pd.Timedelta(days=job["earlier"])]
    cpu = time.process_time()
    result = run_backtest(
        sales,
        window="dev",
        calendars=TenantCalendar(country=country, subdivision=subdivision),
        config=ModelConfig(**job["overrides"]),
        methods=DRAW_METHODS,
    )
    out = {**job, "load": os.getloadavg()[0], "cpu_s": round(time.process_time() - cpu, 1)}
    if result.points.empty:
        return {**out, "skipped": "; ".join(result.skipped.values())}
    model = result.method_metrics()["model"]
    return {
        **out,
        "wape": model["wape"],
        "bias": model["bias"],
        "cover": model["coverage_p10_p90"],
        "points": len(result.points),
        "fits": result.model_fits(),
    }


def run_draws(jobs: Sequence[dict], workers: int, log: Path | None) -> Iterable[dict]:
    """Each job's result as it completes (appended to ``log``), ``workers`` at a time."""
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        for entry in pool.map(run_draw, jobs):
            if log is not None:
                with log.open("a") as out:
                    out.write(json.dumps(entry) + "\n")
            yield entry


def jobs_for(
    files: Sequence[str],
    earlier: Sequence[int],
    draws: int,
    configs: Mapping[str, dict],
    commit: str,
) -> list[dict]:
    """Draw-major, so a run stopped half-way holds whole draws of every configuration."""
    return [
        {
            "label": label,
            "overrides": overrides,
            "file": f,
            "earlier": e,
            "draw": d,
            "commit": commit,
        }
        for d in range(1, draws + 1)
        for e in earlier
        for f in files
        for label, overrides in configs.items()
    ]


def read_log(path: Path, labels: Iterable[str]) -> list[dict]:
    entries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    wanted = set(labels)
    return [e for e in entries if e.get("label") in wanted and "draw" in e]


def _cells(entries: Iterable[dict]) -> dict[tuple[str, int], dict[int, dict]]:
    cells: dict[tuple[str, int], dict[int, dict]] = {}
    for e in entries:
        if "wape" in e:
            cells.setdefault((e["file"], e["earlier"]), {})[e["draw"]] = e
    return cells


def _mean_se(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return mean, sd / math.sqrt(n)


def cell_name(cell: tuple[str, int]) -> str:
    return f"{cell[0]} {'dev' if not cell[1] else f'dev-{cell[1]}'}"


def summary(entries: Iterable[dict]) -> list[str]:
    """Per cell: draws, mean WAPE and its standard error, mean cover."""
    lines = [f"{'cell':<24}{'draws':>6}{'WAPE':>8}{'s.e.':>6}{'sd':>6}{'cover':>7}"]
    for cell, draws in sorted(_cells(entries).items()):
        wape = [e["wape"] for e in draws.values()]
        mean, se = _mean_se(wape)
        cover = sum(e["cover"] for e in draws.values()) / len(draws)
        sd = se * math.sqrt(len(wape))
        lines.append(
            f"{cell_name(cell):<24}{len(wape):>6}{mean:>8.2f}{se:>6.2f}{sd:>6.2f}{cover:>7.1f}"
        )
    return lines


def paired(reference: Iterable[dict], candidate: Iterable[dict]) -> dict:
    """Candidate minus reference per cell and draw (only draws both have), and the verdict."""
    ref, cand = _cells(reference), _cells(candidate)
    cells = {}
    for cell in sorted(set(ref) & set(cand)):
        draws = sorted(set(ref[cell]) & set(cand[cell]))
        diff = [cand[cell][d]["wape"] - ref[cell][d]["wape"] for d in draws]
        mean, se = _mean_se(diff)
        cells[cell] = {
            "draws": draws,
            "reference": _mean_se([ref[cell][d]["wape"] for d in draws])[0],
            "candidate": _mean_se([cand[cell][d]["wape"] for d in draws])[0],
            "diff": mean,
            "se": se,
            "better": sum(x < 0 for x in diff),
            "cover": tuple(
                sum(side[cell][d]["cover"] for d in draws) / len(draws) for side in (ref, cand)
            ),
            "per_draw": dict(zip(draws, diff, strict=True)),
        }
    common = sorted(set.intersection(*(set(c["draws"]) for c in cells.values()))) if cells else []
    per_draw = [sum(c["per_draw"][d] for c in cells.values()) / len(cells) for d in common]
    mean, se = _mean_se(per_draw) if per_draw else (math.nan, math.nan)
    return {"cells": cells, "mean": mean, "se": se, "draws": len(common)}


def verdict(result: Mapping) -> str:
    """The adoption rule of docs/FORECASTING.md ("Averaged-draw protocol")."""
    cells, mean, se = result["cells"], result["mean"], result["se"]
    worse = [cell_name(c) for c, v in cells.items() if v["diff"] > v["se"]]
    if worse:
        return f"not adopted: worse beyond 1 s.e. on {', '.join(worse)}"
    if mean < -2 * se:
        return "better: mean better by more than 2 s.e., no cell worse beyond 1 s.e."
    if mean <= se:
        return "no worse (a correctness fix may be adopted): no cell worse beyond 1 s.e."
    return "not adopted: mean worse beyond 1 s.e."


def render_paired(result: Mapping) -> list[str]:
    lines = [
        f"{'cell':<24}{'draws':>6}{'ref':>8}{'cand':>8}{'diff':>8}{'s.e.':>6}"
        f"{'better':>8}{'cover ref/cand':>16}"
    ]
    for cell, v in result["cells"].items():
        lines.append(
            f"{cell_name(cell):<24}{len(v['draws']):>6}{v['reference']:>8.2f}{v['candidate']:>8.2f}"
            f"{v['diff']:>+8.2f}{v['se']:>6.2f}{v['better']:>5}/{len(v['draws']):<2}"
            f"{v['cover'][0]:>9.1f} / {v['cover'][1]:.1f}"
        )
    lines.append(
        f"mean over {len(result['cells'])} cells ({result['draws']} common draws): "
        f"{result['mean']:+.3f} s.e. {result['se']:.3f} -> {verdict(result)}"
    )
    return lines
