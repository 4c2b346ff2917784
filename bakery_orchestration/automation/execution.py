"""How the steps of a run execute.

Locally, and in production by default, all steps of a run execute in the run's own process (pod),
which is the cheapest for a daily cycle of a few seconds per tenant. With ``BAKERY_STEP_PODS=true``
in production each step gets its own Kubernetes pod (``dagster_k8s.k8s_job_executor``), which
inherits the run launcher's image, secrets and resources: worth it only when single steps need
more memory or isolation than a run pod should have (see docs/DEPLOYMENT.md).
"""

import os

import dagster as dg

STEP_PODS_ENV = "BAKERY_STEP_PODS"
STEP_PODS_MAX_CONCURRENT = 4


def step_pods_enabled() -> bool:
    value = os.environ.get(STEP_PODS_ENV, "false").strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"{STEP_PODS_ENV}={value!r}: use true or false")
    return value == "true"


def executor_for(env: str) -> dg.ExecutorDefinition:
    """The executor for every job of the environment.

    In process by default: Dagster's default multiprocess executor starts one Python process per
    step, each importing Dagster, pandas and scikit-learn again, which cost about 10x the daily
    cycle's own compute per run in benchmarks/daemon_tick.py (BENCHMARKS.md).
    """
    if env != "production" or not step_pods_enabled():
        return dg.in_process_executor
    # Imported here: the Kubernetes client costs a second of import time nobody else needs.
    from dagster_k8s import k8s_job_executor

    return k8s_job_executor.configured(
        {"max_concurrent": STEP_PODS_MAX_CONCURRENT}, name="k8s_job_executor"
    )
