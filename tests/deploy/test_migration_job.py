"""The orchestration database migration of a rollout: a Helm pre-install/pre-upgrade hook Job of
the wrapper chart, with the image and tag of the code location being rolled out, one attempt, kept
for inspection when it fails. The chart's own `dagster instance migrate` Job is off.
"""

from pathlib import Path

import yaml

from deploy import render_instance as chart
from tests.deploy.gotemplate import render

HOOK = chart.DEPLOY / "helm" / "templates" / "orchestration-db-upgrade.yaml"
RELEASE = {"Name": "dagster", "Namespace": "bakery"}


def hook_job(values: dict) -> dict:
    return yaml.safe_load(render(HOOK.read_text(), values, RELEASE))


def test_migration_runs_the_rollouts_image_before_the_release_changes():
    values = chart.load_values()
    [code] = values["dagster"]["dagster-user-deployments"]["deployments"]
    code["image"]["tag"] = "3f2a9c1"  # what `--set ...deployments[0].image.tag=$TAG` sets
    job = hook_job(values)
    assert job["kind"] == "Job" and job["metadata"]["name"] == "dagster-orchestration-db-upgrade"
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    # Deleted before the next attempt and on success; a failed Job stays for `kubectl logs`.
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    [container] = job["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.example.com/bakery-orchestration:3f2a9c1"
    assert container["command"] == ["bakery-orch", "db", "upgrade"]
    assert container["envFrom"] == [
        {"configMapRef": {"name": "bakery-orchestration-config"}},
        {"secretRef": {"name": "bakery-orchestration-db"}},
    ]
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}


def test_a_failed_migration_is_not_retried_and_stops_the_rollout():
    spec = hook_job(chart.load_values())["spec"]
    assert spec["backoffLimit"] == 0
    assert spec["activeDeadlineSeconds"] == 900
    assert spec["template"]["spec"]["restartPolicy"] == "Never"
    assert spec["template"]["spec"]["securityContext"] == {"runAsNonRoot": True, "runAsUser": 10001}


def test_the_wrapper_chart_pins_the_dagster_chart_of_the_installed_dagster():
    from importlib.metadata import version

    meta = yaml.safe_load((chart.DEPLOY / "helm" / "Chart.yaml").read_text())
    [dependency] = meta["dependencies"]
    assert dependency["name"] == "dagster"
    assert dependency["version"] == version("dagster") == "1.13.27"
    assert Path(HOOK).parent.name == "templates"
