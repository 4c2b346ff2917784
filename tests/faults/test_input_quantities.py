"""Fault cases: absurd quantities through the real daily cycle, on SQLite and PostgreSQL.

A landing row `1e308` or `99999999999999999999999` is quarantined with its reason and the day
completes with the rows a clean run leaves; a history that already holds an absurd value (stored
before sales were checked for plausibility) is left out of the model, counted, and the day
completes with sane forecasts.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bakery_orchestration.db import schema
from bakery_orchestration.sales.landing_files import sales_file
from tests.conftest import DIALECTS
from tests.faults.input_support import record_case
from tests.integration.audit_world import DAY, prepared_world

OUTPUT_TABLES = (
    schema.daily_sales,
    schema.demand_forecasts,
    schema.production_plans,
    schema.inventory_projections,
    schema.procurement_proposals,
)
SALES_DAY = DAY - timedelta(days=1)


@pytest.fixture(scope="module", params=DIALECTS)
def world(request, tmp_path_factory, postgres_server):
    home = tmp_path_factory.mktemp("quantities_home")
    with prepared_world(request.param, home, postgres_server, tenants=1) as world:
        tenant = world.tenants[0]
        path = sales_file(world.home / "landing", tenant.slug, SALES_DAY)
        world.clean_file = path.read_text()
        assert world.run(tenant.slug, DAY).success
        world.clean_counts = partition_counts(world, tenant.id)
        yield world
        path.write_text(world.clean_file)


def partition_counts(world, tenant_id) -> dict[str, int]:
    with world.engine.connect() as conn:
        return {
            table.name: conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.tenant_id == tenant_id, table.c.partition_date == DAY)
            ).scalar_one()
            for table in OUTPUT_TABLES
        }


def quarantine(world, tenant_id) -> list[tuple[str, str]]:
    table = schema.sales_quarantine
    query = sa.select(table.c.reason, table.c.raw).where(
        table.c.tenant_id == tenant_id, table.c.partition_date == DAY
    )
    with world.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [("1e308", "quantity_out_of_range"), ("99999999999999999999999", "quantity_out_of_range")],
)
def test_an_absurd_landing_row_is_quarantined_and_the_day_completes(
    world, quantity, reason, record_property
):
    tenant = world.tenants[0]
    path = sales_file(world.home / "landing", tenant.slug, SALES_DAY)
    path.write_text(world.clean_file + f"{SALES_DAY.isoformat()},baguette,{quantity}\n")

    result = world.run(tenant.slug, DAY)

    assert result.success
    bad_row = f"{SALES_DAY.isoformat()},baguette,{quantity}"
    assert quarantine(world, tenant.id) == [(reason, bad_row)]
    found = partition_counts(world, tenant.id)
    outcome = f"landing row quantity {quantity}: quarantined as {reason}, the day completed"
    lost, duplicated = record_case(
        record_property, f"landing quantity {quantity}", outcome, world.clean_counts, found
    )
    assert (lost, duplicated) == (0, 0)
    path.write_text(world.clean_file)


def test_an_absurd_value_already_in_history_is_left_out_of_the_model(world, record_property):
    tenant = world.tenants[0]
    poisoned_day = DAY - timedelta(days=3)
    sales = schema.daily_sales
    with world.engine.begin() as conn:
        conn.execute(
            sa.update(sales)
            .where(
                sales.c.tenant_id == tenant.id,
                sales.c.sales_date == poisoned_day,
                sales.c.product_id == "baguette",
            )
            .values(quantity=1e308)
        )
        # No stored model: the run trains a new one on the poisoned history.
        conn.execute(
            sa.delete(schema.forecast_models).where(schema.forecast_models.c.tenant_id == tenant.id)
        )

    result = world.run(tenant.slug, DAY)

    assert result.success
    forecasts = schema.demand_forecasts
    with world.engine.connect() as conn:
        largest = conn.execute(
            sa.select(sa.func.max(forecasts.c.p90)).where(
                forecasts.c.tenant_id == tenant.id, forecasts.c.partition_date == DAY
            )
        ).scalar_one()
        details = conn.execute(
            sa.select(schema.forecast_models.c.details).where(
                schema.forecast_models.c.tenant_id == tenant.id
            )
        ).scalar_one()
    assert largest < 10_000
    assert details["implausible_history_rows"] == 1
    found = partition_counts(world, tenant.id)
    outcome = "1e308 already in history: left out of the model (counted), the day completed"
    lost, duplicated = record_case(
        record_property, "history holds 1e308", outcome, world.clean_counts, found
    )
    assert (lost, duplicated) == (0, 0)
