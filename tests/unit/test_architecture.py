"""The package layers of docs/ARCHITECTURE.md hold: every import of `bakery_orchestration` goes
down the layer table (or stays in its package), no two subpackages import each other, and the
pure domain modules import neither Dagster nor SQLAlchemy, directly or through the project."""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bakery_orchestration"
DOC = ROOT / "docs" / "ARCHITECTURE.md"
LAYER_ROW = re.compile(r"^\|\s*(\d+) [^|]*\|([^|]*)\|")
PURE = [
    "core/metrics.py",
    "forecasting/baselines.py",
    "forecasting/calibration.py",
    "forecasting/ets.py",
    "forecasting/features.py",
    "forecasting/model.py",
    "forecasting/serialization.py",
    "forecasting/synthetic.py",
    "forecasting/trees.py",
    "forecasting/backtest.py",
    "validation/rules.py",
    "validation/scoring.py",
    "planning/production.py",
    "planning/inventory.py",
    "planning/procurement.py",
    "planning/daily.py",
    "planning/summary.py",
    "planning/summary_markdown.py",
    "insights/rules.py",
    "deliveries/tracking.py",
    "audit/policy.py",
    *(
        f"sales/importers/{name}.py"
        for name in ("parsing", "reading", "result", "item_lines", "orders_wide", "ticket_lines")
    ),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    found = set()
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def unit(module: str) -> str | None:
    """The subpackage (or top-level module) of a project module name, else None."""
    parts = module.split(".")
    if parts[0] != "bakery_orchestration" or len(parts) < 2:
        return None
    return parts[1]


def project_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        source = unit(module_name(path))
        for imported in imports_of(path):
            target = unit(imported)
            if (
                target
                and target != source
                and (PACKAGE / target).exists() | (PACKAGE / f"{target}.py").exists()
            ):
                graph[source].add(target)
    return graph


def documented_layers() -> dict[str, int]:
    layers = {}
    for line in DOC.read_text().splitlines():
        row = LAYER_ROW.match(line)
        if row:
            for name in re.findall(r"`(\w+)`", row.group(2)):
                layers[name] = int(row.group(1))
    return layers


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_every_subpackage_has_a_documented_layer():
    layers = documented_layers()
    units = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    units = {u for u in units if not u.startswith("_") and u != "py"}
    assert len(layers) >= 10
    assert sorted(units - set(layers)) == []
    assert sorted(set(layers) - units) == []


def test_no_import_goes_up_the_layers():
    layers = documented_layers()
    upward = [
        f"{source} (layer {layers[source]}) imports {target} (layer {layers[target]})"
        for source, targets in project_graph().items()
        for target in targets
        if layers[target] > layers[source]
    ]
    assert upward == []


def test_no_cycle_between_subpackages():
    assert cycles(project_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def _transitive_imports(start: Path) -> set[str]:
    seen, todo, external = set(), [start], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imports_of(path):
            if unit(name) is None:
                external.add(name.split(".")[0])
                continue
            relative = Path(*name.split(".")[1:])
            for candidate in (
                PACKAGE / relative.with_suffix(".py"),
                PACKAGE / relative / "__init__.py",
            ):
                if candidate.exists():
                    todo.append(candidate)
    return external


@pytest.mark.parametrize("relative", PURE)
def test_pure_domain_modules_import_neither_dagster_nor_sql(relative):
    external = _transitive_imports(PACKAGE / relative)
    assert sorted(external & {"dagster", "sqlalchemy", "httpx"}) == []


def test_validation_names_its_upstream_forecast_by_key():
    """The by-key dependency that keeps validation below forecasting resolves to the real asset."""
    import dagster as dg

    from bakery_orchestration.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    parents = graph.get(dg.AssetKey("forecast_validation")).parent_keys
    assert dg.AssetKey("demand_forecast") in parents
    assert graph.has(dg.AssetKey("demand_forecast"))
