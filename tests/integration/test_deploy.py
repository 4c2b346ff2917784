"""The production deployment without a cluster: the instance the chart renders (deploy/dagster.yaml,
tests/deploy/) loads and, with its database settings pointed at the local PostgreSQL server,
stores runs and partitions there; the K8sRunLauncher built from it by dagster-k8s's own code
produces the expected Kubernetes Job for a run of this code location, with the run launcher's
resources and no migration container; the definitions load and validate in both environments, and
only production with BAKERY_STEP_PODS=true runs steps in their own pods.
"""

import json
import subprocess
import sys
from os import environ
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_k8s import K8sRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage
from dagster_shared.serdes import deserialize_value
from sqlalchemy.engine import make_url

from bakery_orchestration.automation.execution import executor_for
from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.definitions import build_definitions
from bakery_orchestration.sales.resources import HttpSalesSource
from tests.helpers.http_server import Reply, ScriptedServer
from tests.postgres import require_postgres

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
IMAGE = "registry.example.com/bakery-orchestration:test"
NAMESPACE = "bakery"
SECRETS = ["bakery-orchestration-db", "bakery-sales-service"]
STORAGES = ("run_storage", "event_log_storage", "schedule_storage")
PRODUCTION_ENV = {
    "BAKERY_ENV": "production",
    "BAKERY_DATABASE_URL": "postgresql+psycopg2://bakery@db.example.com/orchestration",
    "BAKERY_SALES_SERVICE_URL": "https://sales.example.com",
    "BAKERY_SALES_SERVICE_TOKEN": "test-token",
}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.fixture
def production_instance(tmp_path, monkeypatch, postgres_server):
    """A DagsterInstance from deploy/dagster.yaml, its storage in a throwaway PG database."""
    require_postgres(postgres_server)
    url = make_url(postgres_server.create_database())
    config = _yaml(DEPLOY / "dagster.yaml")
    for storage in STORAGES:
        postgres_db = config[storage]["config"]["postgres_db"]
        assert postgres_db["password"] == {"env": "DAGSTER_PG_PASSWORD"}
        postgres_db.update(
            hostname=url.host, port=url.port or 5432, db_name=url.database, username=url.username
        )
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", url.password or "")
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    yield instance
    instance.dispose()


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "test", "cluster": {"server": server}}],
                "users": [{"name": "test", "user": {"token": "test"}}],
                "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
                "current-context": "test",
            }
        )
    )
    return path


@pytest.mark.postgres
def test_production_instance_stores_runs_and_partitions_in_postgres(production_instance):
    instance = production_instance
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    instance.add_dynamic_partitions("tenant", ["bakery-a", "bakery-b"])
    assert instance.get_dynamic_partitions("tenant") == ["bakery-a", "bakery-b"]
    run = instance.add_run(dg.DagsterRun(job_name="daily_cycle_job"))
    assert instance.get_run_by_id(run.run_id).job_name == "daily_cycle_job"

    coordinator = instance.run_coordinator
    assert type(coordinator).__name__ == "QueuedRunCoordinator"
    per_value = {"applyLimitPerUniqueValue": True}
    assert coordinator.get_run_queue_config().tag_concurrency_limits == [
        {"key": "dagster/partition/tenant", "value": per_value, "limit": 1},
        {"key": "dagster/backfill", "value": per_value, "limit": 1},
    ]
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_max_runtime_seconds == 3600
    assert type(instance.compute_log_manager).__name__ == "NoOpComputeLogManager"
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 1
    assert not instance.telemetry_enabled


@pytest.mark.postgres
def test_run_pod_is_the_expected_kubernetes_job(tmp_path, monkeypatch, postgres_server):
    """`dagster job launch` on the production instance, as the code server would launch a run:
    the instance builds its K8sRunLauncher from deploy/dagster.yaml (Dagster validates the
    config), which posts the run's Job to a Kubernetes API — here a real HTTP server on 127.0.0.1
    that records it. Only the cluster address and the queue differ from production: the launch
    goes straight to the launcher instead of through the daemon's queue."""
    require_postgres(postgres_server)
    url = make_url(postgres_server.create_database())
    config = _yaml(DEPLOY / "dagster.yaml")
    for storage in STORAGES:
        config[storage]["config"]["postgres_db"].update(
            hostname=url.host, port=url.port or 5432, db_name=url.database, username=url.username
        )
    with ScriptedServer() as kubernetes:
        kubernetes.reply(lambda request: Reply(201, json.loads(request.body)))
        launcher = config["run_launcher"]["config"]
        assert launcher["load_incluster_config"] is True  # production: the pod's service account
        launcher.update(
            load_incluster_config=False,
            kubeconfig_file=str(_kubeconfig(tmp_path / "kubeconfig", kubernetes.url)),
        )
        config["run_coordinator"] = {
            "module": "dagster.core.run_coordinator",
            "class": "DefaultRunCoordinator",
        }
        home = tmp_path / "home"
        home.mkdir()
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))
        key = partition_key("bakery-a", "2026-03-02")
        env = {
            **environ,
            **PRODUCTION_ENV,
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_PASSWORD": url.password or "",
            # What the chart sets on the code server: the image its runs are launched with.
            "DAGSTER_CURRENT_IMAGE": IMAGE,
        }
        tags = {"dagster/partition": str(key), "dagster/partition/tenant": "bakery-a"}
        launched = subprocess.run(
            [str(Path(sys.executable).parent / "dagster"), "job", "launch"]
            + ["-m", "bakery_orchestration.definitions", "-j", "daily_cycle_job"]
            + ["--tags", json.dumps(tags)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert launched.returncode == 0, launched.stdout[-3000:] + launched.stderr[-3000:]
        [request] = [r for r in kubernetes.requests if r.method == "POST"]
    assert request.route == f"/apis/batch/v1/namespaces/{NAMESPACE}/jobs"
    job = json.loads(request.body)
    pod = job["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert "initContainers" not in pod  # migrations run once per rollout, never in run pods
    assert container["image"] == IMAGE
    assert "command" not in container  # the image has no ENTRYPOINT: args are the whole command
    assert container["args"][:3] == ["dagster", "api", "execute_run"]
    args = deserialize_value(container["args"][3])
    assert type(args).__name__ == "ExecuteRunArgs"
    assert (
        args.job_origin.repository_origin.code_pointer.module == "bakery_orchestration.definitions"
    )
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["BAKERY_ENV"] == "production"
    assert env["DAGSTER_HOME"] == "/opt/dagster/dagster_home"
    assert env["DAGSTER_RUN_JOB_NAME"] == "daily_cycle_job"
    assert [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s] == SECRETS
    [password] = [e for e in container["env"] if e["name"] == "DAGSTER_PG_PASSWORD"]
    assert password["valueFrom"]["secretKeyRef"] == {
        "name": "bakery-dagster-postgres",
        "key": "postgresql-password",
    }
    assert [s["configMapRef"]["name"] for s in container["envFrom"] if "configMapRef" in s] == [
        "bakery-orchestration-config"
    ]
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "768Mi"}
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "1536Mi"}
    assert pod["serviceAccountName"] == "bakery-orchestration-runs"
    # The pod loads the instance from the ref in its args, with {env: ...} references that the
    # config map and secrets above resolve inside the pod: no credential travels in the spec.
    ref = args.instance_ref
    for data in (ref.run_storage_data, ref.event_storage_data, ref.schedule_storage_data):
        assert data.config_dict["postgres_db"]["password"] == {"env": "DAGSTER_PG_PASSWORD"}
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/part-of"] == "bakery-orchestration"
    assert labels["app.kubernetes.io/component"] == "run_worker"
    assert labels["dagster/job"] == "daily_cycle_job"
    assert labels["dagster/run-id"] == args.run_id
    assert (config["run_launcher"]["module"], config["run_launcher"]["class"]) == (
        "dagster_k8s",
        K8sRunLauncher.__name__,
    )


def test_production_definitions_use_production_resources(monkeypatch):
    for var, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(var, value)
    defs = build_definitions()
    assert isinstance(defs.resources["sales_source"], HttpSalesSource)
    job = defs.resolve_job_def("daily_cycle_job")
    assert job.executor_def.name == "in_process"
    monkeypatch.setenv("BAKERY_STEP_PODS", "true")
    job = build_definitions().resolve_job_def("daily_cycle_job")
    assert job.executor_def.name == "k8s_job_executor"


@pytest.mark.parametrize(
    ("env", "step_pods", "expected"),
    [
        ("local", "true", "in_process"),
        ("production", "false", "in_process"),
        ("production", "true", "k8s_job_executor"),
    ],
)
def test_step_pods_only_in_production(monkeypatch, env, step_pods, expected):
    monkeypatch.setenv("BAKERY_STEP_PODS", step_pods)
    assert executor_for(env).name == expected


def test_step_pods_rejects_a_typo(monkeypatch):
    monkeypatch.setenv("BAKERY_STEP_PODS", "yes")
    with pytest.raises(ValueError, match="BAKERY_STEP_PODS='yes'"):
        executor_for("production")


def test_definitions_validate_in_both_environments(tmp_path):
    """`dagster definitions validate`, as CI and the code server would load the code location."""
    homes = {}
    for name in ("local", "production"):  # one instance each: SQLite storage is not shared
        homes[name] = tmp_path / name
        homes[name].mkdir()
        (homes[name] / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    path = {"PATH": str(Path(sys.executable).parent)}
    envs = {
        name: {**path, "DAGSTER_HOME": str(home), "BAKERY_HOME": str(home / "bakery")}
        for name, home in homes.items()
    }
    envs["production"].update(PRODUCTION_ENV, BAKERY_STEP_PODS="true")
    command = [
        str(Path(sys.executable).parent / "dagster"),
        "definitions",
        "validate",
        "-m",
        "bakery_orchestration.definitions",
    ]
    processes = {
        name: subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for name, env in envs.items()
    }
    for name, process in processes.items():
        output, _ = process.communicate(timeout=240)
        assert process.returncode == 0, f"{name}:\n{output}"
        assert "All code locations passed validation" in output, f"{name}:\n{output}"
