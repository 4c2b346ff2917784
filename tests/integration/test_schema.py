"""The migrated orchestration schema against the reference specification, on both dialects.

The specification below is transcribed from ../shared/reference/000_... (its column tables, not
its "47 columns" summary): name, type, nullable, default. It is written out here rather than
imported so that a change to the code cannot silently change what the test expects.
"""

import re
import time
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bakery_orchestration.db import migrate
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.schema import metadata

SPEC = """
id uuid no uuid
run_number varchar50 no -
tenant_id uuid no -
status enum no pending
run_type varchar50 no scheduled
priority varchar20 no normal
started_at timestamp no now
completed_at timestamp yes -
duration_seconds integer yes -
forecasting_started_at timestamp yes -
forecasting_completed_at timestamp yes -
forecasting_status varchar20 yes -
forecasting_error text yes -
production_started_at timestamp yes -
production_completed_at timestamp yes -
production_status varchar20 yes -
production_error text yes -
procurement_started_at timestamp yes -
procurement_completed_at timestamp yes -
procurement_status varchar20 yes -
procurement_error text yes -
notification_started_at timestamp yes -
notification_completed_at timestamp yes -
notification_status varchar20 yes -
notification_error text yes -
ai_insights_started_at timestamp yes -
ai_insights_completed_at timestamp yes -
ai_insights_status varchar20 yes -
ai_insights_error text yes -
ai_insights_generated integer no 0
ai_insights_posted integer no 0
forecasts_generated integer no 0
production_batches_created integer no 0
procurement_plans_created integer no 0
purchase_orders_created integer no 0
notifications_sent integer no 0
forecast_data jsonb yes -
run_metadata jsonb yes -
retry_count integer no 0
max_retries_reached boolean no false
error_message text yes -
error_details jsonb yes -
forecast_id uuid yes -
production_schedule_id uuid yes -
procurement_plan_id uuid yes -
saga_steps_total integer no 0
saga_steps_completed integer no 0
created_at timestamp no now
updated_at timestamp no now
triggered_by varchar100 yes -
fulfillment_rate integer yes -
on_time_delivery_rate integer yes -
cost_accuracy integer yes -
quality_score integer yes -
"""
COLUMNS = [line.split() for line in SPEC.strip().splitlines()]

INDEXES = {
    "ix_orchestration_runs_run_number": (["run_number"], True),
    "ix_orchestration_runs_tenant_id": (["tenant_id"], False),
    "ix_orchestration_runs_status": (["status"], False),
    "ix_orchestration_runs_started_at": (["started_at"], False),
    "ix_orchestration_runs_completed_at": (["completed_at"], False),
    "ix_orchestration_runs_run_type": (["run_type"], False),
    "ix_orchestration_runs_trigger": (["triggered_by"], False),
    "ix_orchestration_runs_tenant_status": (["tenant_id", "status"], False),
    "ix_orchestration_runs_tenant_type": (["tenant_id", "run_type"], False),
    "ix_orchestration_runs_tenant_started": (["tenant_id", "started_at"], False),
    "ix_orchestration_runs_status_started": (["status", "started_at"], False),
    "ix_orchestration_runs_fulfillment_rate": (["fulfillment_rate"], False),
    "ix_orchestration_runs_on_time_delivery_rate": (["on_time_delivery_rate"], False),
    "ix_orchestration_runs_cost_accuracy": (["cost_accuracy"], False),
    "ix_orchestration_runs_quality_score": (["quality_score"], False),
}
STATUSES = ["pending", "running", "completed", "partial_success", "failed", "cancelled"]

# What each specified type is called once reflected, per dialect.
REFLECTED_TYPES = {
    "postgresql": {
        "uuid": "UUID",
        "enum": "ORCHESTRATIONSTATUS",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "integer": "INTEGER",
        "text": "TEXT",
        "jsonb": "JSONB",
        "boolean": "BOOLEAN",
    },
    "sqlite": {
        "uuid": "CHAR(32)",
        "enum": "VARCHAR(15)",
        "timestamp": "DATETIME",
        "integer": "INTEGER",
        "text": "TEXT",
        "jsonb": "JSON",
        "boolean": "BOOLEAN",
    },
}


def _expected_type(dialect: str, spec_type: str) -> str:
    if spec_type.startswith("varchar"):
        return f"VARCHAR({spec_type.removeprefix('varchar')})"
    return REFLECTED_TYPES[dialect][spec_type]


def _reflected_type(column: dict, dialect: str) -> str:
    kind = column["type"]
    if isinstance(kind, sa.Enum):
        return kind.name.upper() if dialect == "postgresql" else f"VARCHAR({kind.length})"
    if dialect == "postgresql" and isinstance(kind, sa.TIMESTAMP):
        return "TIMESTAMP WITH TIME ZONE" if kind.timezone else "TIMESTAMP"
    return str(kind)


def _canonical_default(raw: str | None) -> str:
    if raw is None:
        return "-"
    text = raw.strip().lower()
    if "now()" in text or "strftime(" in text:
        return "now"
    if "gen_random_uuid" in text or "randomblob" in text:
        return "uuid"
    text = re.sub(r"::[a-z ]+", "", text).strip("()'\" ")
    return {"false": "false", "0": "0"}.get(text, text)


@pytest.fixture
def migrated_url(empty_db_url) -> str:
    migrate.upgrade(empty_db_url, "001_initial_schema")
    return empty_db_url


@pytest.fixture
def engine(migrated_url):
    engine = create_db_engine(migrated_url)
    yield engine
    engine.dispose()


def test_columns_match_the_specification(engine):
    dialect = engine.dialect.name
    reflected = {c["name"]: c for c in sa.inspect(engine).get_columns("orchestration_runs")}
    assert len(COLUMNS) == 54
    assert set(reflected) == {name for name, *_ in COLUMNS}, "missing or undocumented columns"
    for name, spec_type, nullable, default in COLUMNS:
        column = reflected[name]
        assert _reflected_type(column, dialect) == _expected_type(dialect, spec_type), name
        assert column["nullable"] is (nullable == "yes"), name
        if dialect == "sqlite" and spec_type == "boolean":
            assert _canonical_default(column["default"]) in {"0", "false"}, name
        else:
            assert _canonical_default(column["default"]) == default, name


def test_indexes_match_the_specification(engine):
    reflected = {
        ix["name"]: (ix["column_names"], bool(ix["unique"]))
        for ix in sa.inspect(engine).get_indexes("orchestration_runs")
    }
    assert reflected == INDEXES


def test_status_enum_has_the_six_values(engine):
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            values = conn.execute(
                sa.text("SELECT unnest(enum_range(NULL::orchestrationstatus))::text")
            ).scalars()
            assert list(values) == STATUSES
    else:
        column = next(
            c for c in sa.inspect(engine).get_columns("orchestration_runs") if c["name"] == "status"
        )
        with engine.connect() as conn:
            ddl = conn.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'orchestration_runs'")
            ).scalar_one()
        for value in STATUSES:
            assert f"'{value}'" in ddl
        assert column["type"].length == len("partial_success")


def test_migrated_database_agrees_with_the_metadata(empty_db_url):
    migrate.upgrade(empty_db_url)
    engine = create_db_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    assert diff == []


def _insert_minimal(conn, run_number: str) -> uuid.UUID:
    tenant = uuid.uuid4()
    conn.execute(
        sa.text("INSERT INTO orchestration_runs (run_number, tenant_id) VALUES (:rn, :tenant)"),
        {"rn": run_number, "tenant": tenant.hex if conn.dialect.name == "sqlite" else tenant},
    )
    return tenant


def test_minimal_row_gets_the_documented_defaults(engine):
    with engine.begin() as conn:
        _insert_minimal(conn, "ORCH-1")
    from bakery_orchestration.db.schema import orchestration_runs as runs

    with engine.connect() as conn:
        row = conn.execute(sa.select(runs)).mappings().one()
    assert isinstance(row["id"], uuid.UUID)
    assert row["status"] == "pending"
    assert row["run_type"] == "scheduled"
    assert row["priority"] == "normal"
    assert row["max_retries_reached"] is False
    for counter in ("retry_count", "forecasts_generated", "saga_steps_total", "notifications_sent"):
        assert row[counter] == 0
    assert row["started_at"] is not None and row["created_at"] is not None
    assert row["completed_at"] is None and row["forecast_data"] is None


def test_duplicate_run_number_is_rejected(engine):
    with engine.begin() as conn:
        _insert_minimal(conn, "ORCH-dup")
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _insert_minimal(conn, "ORCH-dup")


def test_unknown_status_is_rejected(engine):
    insert = sa.text(
        "INSERT INTO orchestration_runs (run_number, tenant_id, status) "
        "VALUES ('ORCH-x', :tenant, 'exploded')"
    )
    tenant = uuid.uuid4()
    errors = (sa.exc.IntegrityError, sa.exc.DataError)
    with pytest.raises(errors), engine.begin() as conn:
        conn.execute(insert, {"tenant": tenant.hex if engine.dialect.name == "sqlite" else tenant})


def test_updated_at_moves_on_a_raw_update(engine):
    with engine.begin() as conn:
        _insert_minimal(conn, "ORCH-upd")
    select = sa.text("SELECT updated_at FROM orchestration_runs WHERE run_number = 'ORCH-upd'")
    with engine.connect() as conn:
        before = conn.execute(select).scalar_one()
    time.sleep(0.05)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE orchestration_runs SET status = 'running'"))
    with engine.connect() as conn:
        after = conn.execute(select).scalar_one()
    assert after > before


def test_round_trip_leaves_nothing_behind(empty_db_url):
    migrate.upgrade(empty_db_url)
    migrate.downgrade(empty_db_url, "base")
    engine = create_db_engine(empty_db_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                types = conn.execute(sa.text("SELECT typname FROM pg_type WHERE typtype = 'e'"))
                assert list(types) == []
                functions = conn.execute(
                    sa.text("SELECT proname FROM pg_proc WHERE proname = 'set_updated_at'")
                )
                assert list(functions) == []
            else:
                leftovers = conn.execute(
                    sa.text(
                        "SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index') "
                        "AND tbl_name != 'alembic_version'"
                    )
                )
                assert list(leftovers) == []
    finally:
        engine.dispose()
    migrate.upgrade(empty_db_url)
    assert migrate.current_revision(empty_db_url) == migrate.head_revision()
