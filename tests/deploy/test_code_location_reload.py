"""The daily reload of the code location: a CronJob restarts the code server's Deployment (by the
dagster chart's labels) at 03:30 Madrid, with a service account allowed only to restart
Deployments in the release's namespace. Rendered without a helm binary (gotemplate.py)."""

import yaml

from deploy import render_instance as chart
from tests.deploy.gotemplate import render

TEMPLATE = chart.DEPLOY / "helm" / "templates" / "code-location-reload.yaml"
RELEASE = {"Name": "dagster", "Namespace": "bakery"}


def objects(values: dict) -> dict[str, dict]:
    rendered = yaml.safe_load_all(render(TEMPLATE.read_text(), values, RELEASE))
    return {doc["kind"]: doc for doc in rendered if doc}


def test_a_cronjob_restarts_the_code_servers_deployment_daily_outside_the_mornings():
    values = chart.load_values()
    [code] = values["dagster"]["dagster-user-deployments"]["deployments"]
    cron = objects(values)["CronJob"]
    assert cron["spec"]["schedule"] == "30 3 * * *"
    assert cron["spec"]["timeZone"] == "Europe/Madrid"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "dagster-code-location-reload"
    assert pod["restartPolicy"] == "Never"
    [container] = pod["containers"]
    assert container["image"].startswith("registry.k8s.io/kubectl:")
    # The dagster chart labels its user-deployment Deployment so (deployment-user.yaml).
    assert container["args"] == [
        "rollout",
        "restart",
        "deployment",
        "--namespace=bakery",
        f"--selector=component=user-deployments,deployment={code['name']}",
    ]
    assert code["name"] == "bakery-orchestration"


def test_the_reload_may_restart_deployments_in_its_namespace_and_nothing_else():
    rendered = objects(chart.load_values())
    role, binding = rendered["Role"], rendered["RoleBinding"]
    assert role["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "patch"]}
    ]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "dagster-code-location-reload",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "dagster-code-location-reload", "namespace": "bakery"}
    ]
    assert rendered["ServiceAccount"]["metadata"]["name"] == "dagster-code-location-reload"
