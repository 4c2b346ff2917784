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

``--draws N`` runs each configuration over N perturbed fits instead (forecast_draws.py says
which perturbation and why) on the dev windows given by ``--earlier`` (repeatable: ``--earlier
0 --earlier 56`` is both), ``--workers`` at a time, and prints each file and window's mean
WAPE with its standard error. With ``--paired`` it runs the defaults under the same draws and
prints the candidate's paired differences; ``--compare-to LOG`` pairs with a reference logged
by an earlier ``--draws`` run instead (another commit's code). Run:
    forecast_dev.py --draws 10 --earlier 0 --earlier 56 --log main.jsonl
    forecast_dev.py --draws 10 --earlier 0 --earlier 56 --compare-to main.jsonl  # changed code
    forecast_dev.py --draws 10 --earlier 0 --earlier 56 --paired --set seeds=0,1
"""

import dataclasses
import json
import os
import subprocess
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
    type=int,
    multiple=True,
    help="Drop this many more days from the end first: --earlier 56 scores a second, older "
    "dev window (the 56 days before the dev one). Repeatable; default 0.",
)
@click.option(
    "--scale-window",
    type=int,
    help="Experiment: days of the level that scales features and target (features.py's "
    "SCALE_WINDOW, 28) for this run.",
)
@click.option("--log", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--draws", default=0, help="Average over this many perturbed draws (dev only).")
@click.option("--paired", is_flag=True, help="With --draws: the defaults too, paired by draw.")
@click.option(
    "--compare-to",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="With --draws: pair with the reference draws of this log (another commit's run).",
)
@click.option("--workers", default=1, show_default=True, help="Draws run at a time.")
def main(
    pairs: tuple[str, ...],
    window: str,
    names: tuple[str, ...],
    earlier: tuple[int, ...],
    scale_window: int | None,
    log: Path | None,
    draws: int,
    paired: bool,
    compare_to: Path | None,
    workers: int,
) -> None:
    """Backtest one configuration on every file and print one line per file."""
    overrides = parse_overrides(pairs)
    earlier = earlier or (0,)
    if draws:
        if window != "dev" or scale_window:
            raise click.UsageError("--draws only with --window dev and no --scale-window")
        averaged(
            overrides, names or tuple(DATASETS), earlier, draws, paired, compare_to, workers, log
        )
        return
    if paired or compare_to:
        raise click.UsageError("--paired and --compare-to need --draws")
    for days in earlier:
        one_run(overrides, window, names, days, scale_window, log)


def averaged(
    overrides: dict,
    names: tuple[str, ...],
    earlier: tuple[int, ...],
    draws: int,
    paired: bool,
    compare_to: Path | None,
    workers: int,
    log: Path | None,
) -> None:
    """``--draws``: every file and window over the draws, then the paired comparison."""
    import forecast_draws as fd

    configs = {"candidate": overrides, "defaults": {}} if paired else {"run": overrides}
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    jobs = fd.jobs_for(names, earlier, draws, configs, commit)
    click.echo(
        f"{len(jobs)} backtests, {workers} at a time, overrides {overrides}, commit {commit}"
    )
    started, entries = time.perf_counter(), []
    for entry in fd.run_draws(jobs, workers, log):
        entries.append(entry)
    loads = [e["load"] for e in entries]
    cpu = sum(e["cpu_s"] for e in entries)
    click.echo(
        f"{time.perf_counter() - started:.0f} s wall, {cpu:.0f} CPU-s in the workers, "
        f"load average {min(loads):.1f}-{max(loads):.1f}"
    )
    for label in configs:
        click.echo(f"-- {label}")
        click.echo("\n".join(fd.summary(e for e in entries if e["label"] == label)))
    if paired or compare_to:
        label = "candidate" if paired else "run"
        reference = (
            fd.read_log(compare_to, ("run", "defaults"))
            if compare_to
            else [e for e in entries if e["label"] == "defaults"]
        )
        result = fd.paired(reference, [e for e in entries if e["label"] == label])
        click.echo("-- paired: candidate - reference, WAPE points")
        click.echo("\n".join(fd.render_paired(result)))


def one_run(
    overrides: dict,
    window: str,
    names: tuple[str, ...],
    earlier: int,
    scale_window: int | None,
    log: Path | None,
) -> None:
    """One configuration on every file, one line per file (the plain, undrawn run)."""
    overrides = dict(overrides)
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
