"""The production Dagster instance has one source, deploy/helm/values.yaml: the instance the chart
renders from it (deploy/render_instance.py, which follows the chart's templates) is exactly
deploy/dagster.yaml, key by key, and every setting docs/DEPLOYMENT.md's table states is the
rendered one. Drift on any side fails. (tests/integration/test_deploy.py loads the same file as a
DagsterInstance on PostgreSQL, which runs it through Dagster's own config schema.)
"""

import copy
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from deploy import render_instance as chart

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "DEPLOYMENT.md"
ROW = re.compile(r"^\|[^|]*\|\s*`([^`]+)`\s*\|\s*`([^`]*)`\s*\|\s*$")


def deployed() -> dict:
    """The rendered instance, with the chart's workspace beside it under `workspace`."""
    values = chart.load_values()
    return {
        **chart.render_instance(values),
        "workspace": {"load_from": chart.render_workspace(values)},
    }


def documented_settings() -> list[tuple[str, object]]:
    """(key path, value) for each row of the settings table in docs/DEPLOYMENT.md."""
    rows = [ROW.match(line) for line in DOCS.read_text().splitlines()]
    return [(row.group(1), yaml.safe_load(row.group(2))) for row in rows if row]


def at(tree, path: str):
    for key in path.split("."):
        tree = tree[int(key)] if isinstance(tree, list) else tree[key]
    return tree


def test_committed_instance_is_the_one_rendered_from_the_values():
    rendered = chart.render_instance(chart.load_values())
    assert chart.differences(rendered, chart.committed_instance()) == []
    assert chart.main(["--check"]) == 0


def test_drift_on_either_side_is_named_key_by_key(tmp_path, monkeypatch):
    values = chart.load_values()
    values["dagster"]["dagsterDaemon"]["runMonitoring"]["maxRuntimeSeconds"] = 7200
    assert chart.differences(chart.render_instance(values), chart.committed_instance()) == [
        "run_monitoring.max_runtime_seconds: expected 7200, got 3600"
    ]
    edited = copy.deepcopy(chart.committed_instance())
    edited["run_launcher"]["config"]["resources"]["requests"]["cpu"] = "250m"
    del edited["compute_logs"]
    instance_file = tmp_path / "dagster.yaml"
    instance_file.write_text(yaml.safe_dump(edited))
    monkeypatch.setattr(chart, "INSTANCE", instance_file)
    assert chart.main(["--check"]) == 1
    assert chart.differences(chart.render_instance(chart.load_values()), edited) == [
        "compute_logs: missing (expected {'module': "
        "'dagster.core.storage.noop_compute_log_manager', 'class': 'NoOpComputeLogManager'})",
        "run_launcher.config.resources.requests.cpu: expected '500m', got '250m'",
    ]


def test_every_documented_setting_is_the_deployed_one():
    settings = documented_settings()
    instance = deployed()
    assert len(settings) >= 20, "the settings table in docs/DEPLOYMENT.md was not found"
    wrong = [(path, value, at(instance, path)) for path, value in settings]
    assert [row for row in wrong if row[1] != row[2]] == []
    documented_sections = {path.split(".")[0] for path, _ in settings}
    assert documented_sections == set(instance), "a deployed section is not in the docs table"


def test_production_settings_the_issue_names():
    instance = deployed()
    assert at(instance, "run_launcher.config.resources.requests") == {
        "cpu": "500m",
        "memory": "768Mi",
    }
    assert at(instance, "run_monitoring.max_runtime_seconds") == 3600
    assert at(instance, "compute_logs.class") == "NoOpComputeLogManager"
    assert at(instance, "run_coordinator.config.max_concurrent_runs") == 200
    for storage in chart.STORAGES:
        assert at(instance, f"{storage}.config.postgres_db.password") == {
            "env": "DAGSTER_PG_PASSWORD"
        }


def test_location_is_listed_under_the_code_locations_own_name():
    values = chart.load_values()
    [entry] = chart.render_workspace(values)
    [code] = values["dagster"]["dagster-user-deployments"]["deployments"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    assert entry["grpc_server"] == {
        "host": code["name"],  # the chart names the code server's Service after the deployment
        "port": code["port"],
        "location_name": project["code_location_name"],
    }
    args = code["codeServerArgs"]
    assert args[args.index("--location-name") + 1] == "bakery_orchestration"


def test_run_pods_do_not_inherit_the_code_servers_config():
    """With includeConfigInLaunchedRuns on (the chart's default) the code server's resources,
    env and init containers would be copied into every run pod."""
    [code] = chart.load_values()["dagster"]["dagster-user-deployments"]["deployments"]
    assert code["includeConfigInLaunchedRuns"] == {"enabled": False}
    assert "initContainers" not in code
    assert chart.load_values()["dagster"]["migrate"] == {"enabled": False}


def test_helm_template_output_is_checked_against_the_committed_instance(tmp_path, capsys):
    instance = chart.committed_instance()
    chart_only = {"scheduler": {"module": "dagster.core.scheduler", "class": "X"}}
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "dagster-instance"},
        "data": {"dagster.yaml": yaml.safe_dump({**instance, **chart_only})},
    }
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all([{"kind": "Service", "metadata": {}}, manifest]))
    assert chart.main(["--rendered", str(rendered)]) == 0
    assert "not pinned here: scheduler" in capsys.readouterr().out

    instance["run_retries"]["max_retries"] = 3
    manifest["data"]["dagster.yaml"] = yaml.safe_dump(instance)
    rendered.write_text(yaml.safe_dump(manifest))
    assert chart.main(["--rendered", str(rendered)]) == 1
    assert "run_retries.max_retries: expected 1, got 3" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["computeLogManager", "runLauncher"])
def test_unmodelled_chart_types_are_refused_not_guessed(kind):
    values = chart.load_values()
    values["dagster"][kind]["type"] = "Custom"
    with pytest.raises(NotImplementedError):
        chart.render_instance(values)
