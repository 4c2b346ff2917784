"""Dagster's machinery run in process for a replay: jobs executed for a partition, and the real
sensors and schedules evaluated against the replay's instance, each sensor's cursor carried
from one evaluation to the next, the run requests they return executed in process and every run
closed with the audit's ``finalize_run``, as the audit sensors would.
"""

import time
from collections.abc import Mapping
from datetime import datetime

import dagster as dg

from bakery_orchestration.audit.recorder import finalize_run
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import partition_key, split_key
from bakery_orchestration.replay.report import RunNote
from bakery_orchestration.storage.database import OrchestrationDatabase

DAILY_JOB = "daily_cycle_job"
RETRAIN_JOB = "retrain_model_job"


class Machinery:
    """The replay's definitions, instance and database, and the sensors' cursors."""

    def __init__(
        self, defs: dg.Definitions, instance: dg.DagsterInstance, database: OrchestrationDatabase
    ) -> None:
        self.defs = defs
        self.repository = defs.get_repository_def()
        self.instance = instance
        self.database = database
        self.cursors: dict[str, str | None] = {}

    def run(
        self,
        job_name: str,
        kind: str,
        partition: str | dg.MultiPartitionKey,
        *,
        assets: list[dg.AssetKey] | None = None,
        run_config: Mapping | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RunNote:
        """Execute the job (or ``assets`` of it) for one partition and close its audit rows."""
        began = time.monotonic()
        result = self.defs.resolve_job_def(job_name).execute_in_process(
            partition_key=partition,
            instance=self.instance,
            run_config=dict(run_config or {}),
            tags=dict(tags or {}),
            asset_selection=assets,
            raise_on_error=False,
        )
        status = finalize_run(self.instance, self.database, result.run_id)
        seconds = round(time.monotonic() - began, 1)
        return RunNote(result.run_id, kind, str(partition), result.success, status, seconds)

    def tick_sensor(self, name: str) -> list[RunNote]:
        """One evaluation of the sensor ``name``; its run requests executed in process."""
        sensor = self.repository.get_sensor_def(name)
        with dg.build_sensor_context(
            instance=self.instance,
            instance_ref=self.instance.get_ref(),
            definitions=self.defs,
            cursor=self.cursors.get(name),
            resources=self.defs.resources,
        ) as context:
            data = sensor.evaluate_tick(context)
        self.cursors[name] = data.cursor
        assets = self._sensor_assets(sensor)
        requests = sorted(data.run_requests or [], key=lambda r: split_key(r.partition_key)[::-1])
        return [note for r in requests for note in self._execute(r, name, assets)]

    def tick_schedule(self, name: str, at: datetime, config: Mapping) -> list[RunNote]:
        """The schedule ``name`` evaluated for the tick at ``at``; ``config`` is run config the
        replay adds to each request (the day a model is trained as of, which production reads
        from the clock)."""
        schedule = self.repository.get_schedule_def(name)
        with dg.build_schedule_context(
            instance=self.instance,
            scheduled_execution_time=at,
            repository_def=self.repository,
            instance_ref=self.instance.get_ref(),
            resources=self.defs.resources,
        ) as context:
            data = schedule.evaluate_tick(context)
        return [
            self.run(
                request.job_name or schedule.job_name,
                name,
                request.partition_key,
                run_config=_merged(request.run_config, config),
                tags=request.tags,
            )
            for request in data.run_requests or []
        ]

    def _sensor_assets(self, sensor: dg.SensorDefinition) -> list[dg.AssetKey] | None:
        if sensor.asset_selection is None:
            return None
        return sorted(sensor.asset_selection.resolve(self.defs.resolve_asset_graph()))

    def _execute(self, request: dg.RunRequest, kind: str, default_assets) -> list[RunNote]:
        """A sensor's run request for one partition, run as asked; a request without assets
        runs the sensor's asset selection."""
        if request.asset_graph_subset is not None:
            raise BakeryError(f"{kind} asked for an asset backfill; the replay runs partitions")
        assets = list(request.asset_selection) if request.asset_selection else default_assets
        note = self.run(
            request.job_name or DAILY_JOB,
            kind,
            _key(request.partition_key),
            assets=assets,
            run_config=request.run_config,
            tags=request.tags,
        )
        return [note]


def _key(key: str | dg.MultiPartitionKey) -> dg.MultiPartitionKey:
    return partition_key(*split_key(key))


def _merged(base: Mapping, extra: Mapping) -> dict:
    merged = dict(base or {})
    for name, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(name), Mapping):
            merged[name] = _merged(merged[name], value)
        else:
            merged[name] = value
    return merged
