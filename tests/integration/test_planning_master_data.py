"""Planning master data loaded from CSV through `bakery-orch planning ...` into a real database
on both dialects: rows replaced per tenant, one-line errors naming tenant, file and problem."""

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bakery_orchestration.cli.main import cli
from bakery_orchestration.db import schema
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.db.migrate import ensure_schema
from bakery_orchestration.planning import store
from bakery_orchestration.tenants import registry

FILES = {
    "ingredients.csv": "ingredient_id,unit,shelf_life_days,safety_stock\n"
    "flour,kg,180,20\nbutter,kg,,5\n",
    "recipes.csv": "product_id,ingredient_id,quantity_per_unit\nbread,flour,0.4\n",
    "suppliers.csv": "supplier_id,ingredient_id,lead_time_days,delivery_weekdays,unit_price,"
    'min_order_qty,pack_size\nmill,flour,2,"mon,wed",0.6,100,25\n',
    "stock.csv": "ingredient_id,quantity,expiry_date\nflour,50,2026-03-10\nflour,30,\n",
    "capacity.csv": "day,oven_minutes\nmon,600\nsat,800\n2026-03-07,900\n",
}


@pytest.fixture
def loaded(empty_db_url, tmp_path):
    ensure_schema(empty_db_url)
    engine = create_db_engine(empty_db_url)
    registry.add_tenant(engine, "shop", "Shop")
    registry.upsert_products(
        engine,
        "shop",
        pd.DataFrame(
            {"product_id": ["bread"], "name": ["Bread"], "unit_price": [2.0], "unit_cost": [0.5]}
        ),
    )
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    yield empty_db_url, engine, tmp_path
    engine.dispose()


def _invoke(url, *args):
    return CliRunner().invoke(cli, ["--database-url", url, "planning", *map(str, args)])


COMMANDS = [
    ("load-ingredients", "ingredients.csv"),
    ("load-recipes", "recipes.csv"),
    ("load-suppliers", "suppliers.csv"),
    ("load-stock", "stock.csv"),
    ("set-capacity", "capacity.csv"),
]


def test_loads_every_kind_and_reloading_replaces(loaded):
    url, engine, folder = loaded
    for _round in range(2):
        for command, name in COMMANDS:
            result = _invoke(url, command, "shop", folder / name)
            assert result.exit_code == 0, result.output
    tenant_id = registry.get_tenant(engine, "shop").id
    with engine.connect() as conn:
        ingredients = store.ingredients(conn, tenant_id).set_index("ingredient")
        suppliers = store.suppliers(conn, tenant_id)
        stock = store.stock(conn, tenant_id)
        assert store.oven_capacity(conn, tenant_id, date(2026, 3, 2)) == 600  # a Monday
        assert store.oven_capacity(conn, tenant_id, date(2026, 3, 7)) == 900  # date override
        assert store.oven_capacity(conn, tenant_id, date(2026, 3, 14)) == 800  # a Saturday
        assert store.oven_capacity(conn, tenant_id, date(2026, 3, 3)) is None
        recipes = conn.execute(sa.select(sa.func.count()).select_from(schema.recipes)).scalar()
    assert ingredients.loc["flour", "shelf_life_days"] == 180
    assert pd.isna(ingredients.loc["butter", "shelf_life_days"])
    assert suppliers["delivery_weekdays"].tolist() == [(0, 2)]
    assert sorted(stock["quantity"]) == [30.0, 50.0] and recipes == 1


@pytest.mark.parametrize(
    ("command", "text", "problem"),
    [
        ("load-recipes", "product_id,ingredient_id,quantity_per_unit\nbread,salt,1\n",
         "unknown ingredients salt"),
        ("load-recipes", "product_id,ingredient_id,quantity_per_unit\ncake,flour,1\n",
         "unknown products cake"),
        ("load-stock", "ingredient_id,quantity\nflour,-2\n", "quantity must be a number >= 0"),
        ("load-suppliers", "supplier_id,ingredient_id,lead_time_days,delivery_weekdays,"
         "unit_price\nmill,flour,2,someday,1\n", "delivery_weekdays 'someday'"),
        ("set-capacity", "day,oven_minutes\nmon,100\n0,200\n", "more than one row"),
        ("load-ingredients", "ingredient_id\nflour\n", "missing columns unit"),
    ],
)  # fmt: skip
def test_bad_files_fail_with_one_line_naming_tenant_file_and_problem(
    loaded, command, text, problem
):
    url, _engine, folder = loaded
    assert _invoke(url, "load-ingredients", "shop", folder / "ingredients.csv").exit_code == 0
    bad = folder / "bad.csv"
    bad.write_text(text)
    result = _invoke(url, command, "shop", bad)
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line and line.startswith("error: tenant shop: ")
    assert str(bad) in line and problem in line
