"""Test hygiene for Dagster's process-wide state, with public API only.

Dagster keeps the definitions-state storage of the last instance entered with ``with instance:``
in a context variable. When that instance is gone (an earlier test's, torn down out of order
under xdist), loading definitions follows a dead weakref and fails with "Attempted to resolve
undefined DagsterInstance weakref". Tests and long-lived fixtures call
``clear_stale_state_storage()`` first: it enters one ephemeral instance kept for the whole
process, which sets the variable to that instance's storage (none) — live by construction. It is
never exited (exiting disposes the instance), so entering it again costs nothing.
"""

import dagster as dg

_KEEPER: list[dg.DagsterInstance] = []


def clear_stale_state_storage() -> None:
    if not _KEEPER:
        _KEEPER.append(dg.DagsterInstance.ephemeral())
    _KEEPER[0].__enter__()
