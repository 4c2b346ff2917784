"""Compare model configurations on the development window of all three shared files together.

Run: .venv/bin/python benchmarks/forecast_dev.py [--set max_iter=50 --set quantiles=0.12,0.88]
     [--window dev] [--log results.jsonl]
Each ``--set`` overrides one ``ModelConfig`` field (tuples as comma lists). Production's
configuration otherwise (the file's holiday calendar, production's retraining rule), one
process (tenants of these files are one each). Prints per file the model's and every
baseline's WAPE, the model's bias and P10-P90 coverage, the model fits and the CPU seconds;
then the mean model WAPE over the three files and the worst distance of a coverage from 80 %,
the two figures every default of docs/FORECASTING.md was chosen by. ``--window final`` exists
to report a chosen configuration, never to choose one.
"""

import dataclasses
import json
import os
import time
import typing
from pathlib import Path

import click
import pandas as pd

from bakery_orchestration.cli.backtest import file_calendar
from bakery_orchestration.forecasting import features as ft
from bakery_orchestration.forecasting.backtest import run_backtest
from bakery_orchestration.forecasting.model import ModelConfig, TenantCalendar

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = {
    "french_bakery": "french_bakery/daily_units.csv",
    "breadbasket": "breadbasket/daily_item_lines.csv",
    "korean_bakery": "korean_bakery/daily_units.csv",
}


def parse_overrides(pairs: tuple[str, ...]) -> dict:
    """``field=value`` pairs typed like the ModelConfig field they set."""
    fields = {f.name: f for f in dataclasses.fields(ModelConfig)}
    hints = typing.get_type_hints(ModelConfig)
    defaults = ModelConfig()
    out = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name not in fields:
            raise click.BadParameter(f"{name!r} is not a ModelConfig field")
        current = getattr(defaults, name)
        if isinstance(current, tuple):
            # The element type from the annotation: an empty default has no element to read.
            kind = typing.get_args(hints[name])[0]
            out[name] = tuple(kind(v) for v in text.split(",") if v)
        elif isinstance(current, bool):
            out[name] = text.lower() in {"1", "true", "yes"}
        else:
            out[name] = type(current)(text)
    return out


@click.command()
@click.option("--set", "pairs", multiple=True, help="A ModelConfig override, field=value.")
@click.option("--window", type=click.Choice(["dev", "final"]), default="dev", show_default=True)
@click.option("--dataset", "names", multiple=True, type=click.Choice(sorted(DATASETS)))
@click.option(
    "--earlier",
    default=0,
    show_default=True,
    help="Drop this many more days from the end first: --earlier 56 scores a second, older "
    "dev window (the 56 days before the dev one).",
)
@click.option(
    "--scale-window",
    type=int,
    help="Experiment: days of the level that scales features and target (features.py's "
    "SCALE_WINDOW, 28) for this run.",
)
@click.option("--log", type=click.Path(dir_okay=False, path_type=Path))
def main(
    pairs: tuple[str, ...],
    window: str,
    names: tuple[str, ...],
    earlier: int,
    scale_window: int | None,
    log: Path | None,
) -> None:
    """Backtest one configuration on every file and print one line per file."""
    overrides = parse_overrides(pairs)
    if scale_window:
        ft.SCALE_WINDOW = scale_window
        overrides["scale_window"] = scale_window
    config = dataclasses.replace(
        ModelConfig(), **{k: v for k, v in overrides.items() if k != "scale_window"}
    )
    click.echo(f"window {window}-{earlier}, overrides {overrides}, load {os.getloadavg()}")
    rows = {}
    for name in names or tuple(DATASETS):
        path = SHARED_DATA / DATASETS[name]
        country, subdivision = file_calendar(path, None)
        sales = pd.read_csv(path, parse_dates=["date"])
        if earlier:
            if window != "dev":
                raise click.UsageError("--earlier only with --window dev")
            sales = sales[sales["date"] <= sales["date"].max() - pd.Timedelta(days=earlier)]
        cpu = time.process_time()
        result = run_backtest(
            sales,
            window=window,
            calendars=TenantCalendar(country=country, subdivision=subdivision),
            config=config,
        )
        data = result.to_dict()
        if not data["points"]:
            click.echo(f"{name:<14} not scored: {'; '.join(result.skipped.values())}")
            continue
        m = data["methods"]
        rows[name] = {
            "wape": {k: round(v["wape"], 2) for k, v in m.items()},
            "bias": {k: round(v["bias"], 1) for k, v in m.items()},
            "cover": round(m["model"]["coverage_p10_p90"], 1),
            "points": data["points"],
            "fits": data["model_fits"],
            "cpu_s": round(time.process_time() - cpu, 1),
        }
        r = rows[name]
        baselines = " ".join(f"{k} {v:.2f}" for k, v in r["wape"].items() if k != "model")
        click.echo(
            f"{name:<14} model {r['wape']['model']:6.2f}  {baselines}  "
            f"bias {r['bias']['model']:+.1f} (ets {r['bias']['ets']:+.1f})  "
            f"cover {r['cover']:.1f}  fits {r['fits']}  cpu {r['cpu_s']} s",
        )
    mean = sum(r["wape"]["model"] for r in rows.values()) / len(rows)
    worst = max(abs(r["cover"] - 80.0) for r in rows.values())
    click.echo(f"mean model WAPE {mean:.2f}  worst |cover - 80| {worst:.1f}")
    if log is not None:
        entry = {
            "window": window,
            "earlier": earlier,
            "overrides": overrides,
            "files": rows,
            "mean_wape": mean,
        }
        with log.open("a") as out:
            out.write(json.dumps(entry, default=list) + "\n")


if __name__ == "__main__":
    main()
