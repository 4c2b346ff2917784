"""Test hygiene for Dagster's process-wide state.

Dagster keeps the state storage of the last instance entered with ``with instance:`` in a
context variable. When that instance is gone (an earlier test's, torn down out of order under
xdist), loading definitions follows a dead weakref and fails with "Attempted to resolve
undefined DagsterInstance weakref". Tests and long-lived fixtures clear such a stale value first.
"""

from dagster._core.storage.defs_state import base as defs_state


def clear_stale_state_storage() -> None:
    storage = defs_state.DefsStateStorage.get()
    if storage is not None and storage.has_instance and storage._instance_weakref() is None:
        defs_state._current_storage.set(None)
