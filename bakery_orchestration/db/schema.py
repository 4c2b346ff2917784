"""Every table of the orchestration database, registered on one ``metadata``.

Import tables from here; Alembic's environment and the schema tests use ``metadata``.
"""

from bakery_orchestration.db.metadata import metadata
from bakery_orchestration.db.runs import OrchestrationStatus, orchestration_runs

__all__ = ["OrchestrationStatus", "metadata", "orchestration_runs"]
