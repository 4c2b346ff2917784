"""Opt-in model pools in production: a pooled tenant's fit reads its pool's sales, a tenant in
no pool never sees another tenant's rows (SQLite and PostgreSQL, migrated to head)."""

from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from bakery_orchestration.cli.main import cli
from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.db import migrate
from bakery_orchestration.db.engine import create_db_engine
from bakery_orchestration.forecasting.model import DemandModel, ModelConfig
from bakery_orchestration.forecasting.service import pool_histories, tenant_calendar, train_model
from bakery_orchestration.forecasting.store import latest_model
from bakery_orchestration.forecasting.synthetic import synthetic_sales
from bakery_orchestration.sales.history import load_sales_history, store_sales_history
from bakery_orchestration.tenants import registry

AS_OF = date(2022, 8, 1)
FAST = ModelConfig(max_iter=20, max_rows=20_000)


def _store(seed: int, products: int, prefix: str) -> pd.DataFrame:
    sales = synthetic_sales(products=products, days=200, seed=seed)
    return sales.assign(product=prefix + sales["product"])


@pytest.fixture
def engine(empty_db_url, monkeypatch):
    migrate.upgrade(empty_db_url)
    engine = create_db_engine(empty_db_url)
    for slug, seed, pool in (("alone", 1, None), ("north", 2, "chain"), ("south", 3, "chain")):
        tenant = registry.add_tenant(engine, slug, slug, country="FR")
        store_sales_history(engine, tenant.id, _store(seed, 3, f"{slug}-"))
        registry.set_model_pool(engine, slug, pool)
    # The suspended store still teaches its pool; a cancelled one does not.
    registry.add_tenant(engine, "gone", "gone", country="FR")
    store_sales_history(engine, registry.get_tenant(engine, "gone").id, _store(4, 3, "gone-"))
    registry.set_model_pool(engine, "gone", "chain")
    registry.set_status(engine, "gone", "cancelled")
    monkeypatch.setattr(DemandModel, "fit", _fast(DemandModel.fit))
    monkeypatch.setattr(DemandModel, "fit_pool", _fast(DemandModel.fit_pool))
    yield engine
    engine.dispose()


def _fast(method):
    def fit(*args, **kwargs):
        return method(*args, **{**kwargs, "config": FAST})

    return fit


def _history(engine, slug: str) -> pd.DataFrame:
    tenant = registry.get_tenant(engine, slug)
    return load_sales_history(engine, tenant.id, before=AS_OF, days=730)


def test_a_tenant_in_no_pool_is_fitted_on_its_own_rows_only(engine):
    tenant = registry.get_tenant(engine, "alone")
    trained = train_model(engine, tenant, AS_OF, reason="test")
    own = DemandModel.fit(_history(engine, "alone"), as_of=AS_OF, calendar=tenant_calendar(tenant))
    assert trained.model.to_bytes() == own.to_bytes()
    assert all(p.startswith("alone-") for p in trained.model.products)
    stored = latest_model(engine, tenant.id, as_of=AS_OF)
    assert stored.model.to_bytes() == own.to_bytes()
    assert "pool_tenants" not in trained.metadata()


def test_a_pooled_tenant_is_fitted_on_its_pool_and_keeps_its_own_products(engine):
    north = registry.get_tenant(engine, "north")
    assert north.model_pool == "chain"
    assert sorted(pool_histories(engine, north, AS_OF)) == ["north", "south"]
    trained = train_model(engine, north, AS_OF, reason="test")
    pool = {
        slug: (_history(engine, slug), tenant_calendar(registry.get_tenant(engine, slug)))
        for slug in ("north", "south")
    }
    expected = DemandModel.fit_pool(pool, as_of=AS_OF)["north"]
    assert trained.model.to_bytes() == expected.to_bytes()
    assert all(p.startswith("north-") for p in trained.model.products)
    alone = DemandModel.fit(pool["north"][0], as_of=AS_OF, calendar=pool["north"][1])
    assert trained.model.to_bytes() != alone.to_bytes()  # same products, other trees
    stored = latest_model(engine, north.id, as_of=AS_OF)
    assert stored.model.to_bytes() == expected.to_bytes()
    assert trained.metadata()["pool_tenants"] == "north, south"


def test_a_suspended_store_still_teaches_its_pool(engine):
    registry.set_status(engine, "south", "suspended")
    north = registry.get_tenant(engine, "north")
    assert sorted(pool_histories(engine, north, AS_OF)) == ["north", "south"]


def test_leaving_the_pool_restores_isolation(engine):
    registry.set_model_pool(engine, "north", None)
    north = registry.get_tenant(engine, "north")
    trained = train_model(engine, north, AS_OF, reason="test")
    own = DemandModel.fit(_history(engine, "north"), as_of=AS_OF, calendar=tenant_calendar(north))
    assert trained.model.to_bytes() == own.to_bytes()


def test_a_pool_name_follows_the_slug_rules(engine):
    with pytest.raises(BakeryError, match="model pool"):
        registry.set_model_pool(engine, "north", "Chain; DROP TABLE tenants")


def test_the_command_line_sets_shows_and_clears_a_pool(engine, empty_db_url):
    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--database-url", empty_db_url, "tenants", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert run("set-model-pool", "alone", "chain-2") == "alone: model pool chain-2\n"
    assert "model pool: chain-2" in run("show", "alone")
    assert run("set-model-pool", "alone") == "alone: model pool - (own sales only)\n"
    assert registry.get_tenant(engine, "alone").model_pool is None


def test_a_store_reuses_the_pool_fit_a_member_stored_for_the_same_sales(engine, monkeypatch):
    north, south = (registry.get_tenant(engine, s) for s in ("north", "south"))
    train_model(engine, north, AS_OF, reason="test")
    fits = []
    fit_pool = DemandModel.fit_pool
    monkeypatch.setattr(
        DemandModel, "fit_pool", lambda *a, **k: fits.append(1) or fit_pool(*a, **k)
    )
    reused = train_model(engine, south, AS_OF, reason="test")
    assert fits == []
    pool = {
        slug: (_history(engine, slug), tenant_calendar(registry.get_tenant(engine, slug)))
        for slug in ("north", "south")
    }
    assert reused.model.to_bytes() == fit_pool(pool, as_of=AS_OF)["south"].to_bytes()
    # A late sale of any store before as_of: the stored pool fit is stale, the pool is refitted.
    late = pd.DataFrame({"date": [pd.Timestamp(AS_OF) - pd.Timedelta(days=3)],
                         "product": ["north-P000"], "quantity": [500.0]})  # fmt: skip
    store_sales_history(engine, north.id, late)
    train_model(engine, south, AS_OF, reason="test")
    assert fits == [1]
