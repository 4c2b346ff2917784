"""Pure inventory projection: lots, shelf-life expiry, receipts, consumption and safety stock."""

from datetime import date

import pandas as pd
import pytest

from bakery_orchestration.planning.inventory import (
    PROJECTION_COLUMNS,
    LotBook,
    ingredient_requirements,
    last_usable_day,
    planned_production_horizon,
    project_inventory,
)

START = date(2024, 3, 4)  # a Monday
NO_ORDERS = pd.DataFrame({"ingredient": [], "quantity": [], "delivery_date": []})


def ingredients(**specs: tuple[float | None, float]) -> pd.DataFrame:
    """Ingredient master from name=(shelf_life_days, safety_stock)."""
    return pd.DataFrame(
        [
            {"ingredient": name, "unit": "kg", "shelf_life_days": life, "safety_stock": safety}
            for name, (life, safety) in specs.items()
        ]
    )


def daily_plan(product: str, quantities: list[float]) -> pd.DataFrame:
    """Production of one product on consecutive days from START."""
    dates = pd.date_range(START, periods=len(quantities))
    return pd.DataFrame({"date": dates, "product": product, "quantity": quantities})


RECIPES = pd.DataFrame(
    {
        "product": ["bread", "bread", "custard"],
        "ingredient": ["flour", "milk", "milk"],
        "quantity_per_unit": [0.5, 0.1, 1.0],
    }
)


def project(stock, plan, orders=NO_ORDERS, master=None, days=7) -> pd.DataFrame:
    """project_inventory from START with the shared recipes."""
    return project_inventory(
        START,
        stock=stock,
        recipes=RECIPES,
        planned_production=plan,
        open_orders=orders,
        ingredients=master if master is not None else ingredients(milk=(3, 0), flour=(None, 0)),
        days=days,
    )


def rows_for(projection: pd.DataFrame, ingredient: str) -> pd.DataFrame:
    """One ingredient's projection indexed by date."""
    return projection[projection["ingredient"] == ingredient].set_index("date")


@pytest.mark.parametrize(
    ("received", "shelf_life", "expected"),
    [
        (START, 1, START),
        (START, 3, date(2024, 3, 6)),
        (date(2024, 3, 30), 5, date(2024, 4, 3)),
        (START, None, None),
        (START, float("nan"), None),
    ],
)
def test_last_usable_day(received, shelf_life, expected):
    assert last_usable_day(received, shelf_life) == expected


def test_lot_book_consumes_earliest_expiry_first_and_carries_backlog():
    book = LotBook()
    book.receive(5, date(2024, 3, 10))
    book.receive(4, date(2024, 3, 6))
    book.consume(6)
    assert [(lot.quantity, lot.last_usable) for lot in book.lots] == [(3, date(2024, 3, 10))]
    book.consume(5)
    assert (book.lots, book.backlog, book.net) == ([], 2, -2)
    book.receive(3, None)
    assert (book.backlog, book.net) == (0, 1)


def test_current_stock_without_expiry_expires_shelf_life_after_start():
    projection = project(
        pd.DataFrame({"ingredient": ["milk"], "quantity": [10.0]}), daily_plan("bread", [0] * 7)
    )
    milk = rows_for(projection, "milk")
    assert milk.loc[date(2024, 3, 6), "closing"] == 10.0
    assert milk.loc[date(2024, 3, 7), "expired"] == 10.0
    assert milk.loc[date(2024, 3, 7), "closing"] == 0.0
    assert milk["expired"].sum() == 10.0


def test_lots_with_their_own_expiry_are_used_first_and_the_rest_expires():
    stock = pd.DataFrame(
        {
            "ingredient": ["milk", "milk"],
            "quantity": [5.0, 4.0],
            "expiry_date": [date(2024, 3, 5), None],
        }
    )
    milk = rows_for(project(stock, daily_plan("custard", [2, 2, 2, 0, 0])), "milk")
    assert list(milk["consumption"][:3]) == [2.0, 2.0, 2.0]
    # Lot A (5, last usable 5 March) loses 1 unit on 6 March; lot B (4, default 6 March) 2 on 7th.
    assert list(milk["expired"][:5]) == [0.0, 0.0, 1.0, 2.0, 0.0]
    assert list(milk["closing"][:5]) == [7.0, 5.0, 2.0, 0.0, 0.0]


def test_received_lot_expires_after_its_shelf_life():
    orders = pd.DataFrame(
        {"ingredient": ["milk"], "quantity": [8.0], "delivery_date": ["2024-03-05"]}
    )
    milk = rows_for(
        project(NO_ORDERS.drop(columns="delivery_date"), daily_plan("custard", [0, 1]), orders),
        "milk",
    )
    assert milk.loc[date(2024, 3, 5), "receipts"] == 8.0
    assert milk.loc[date(2024, 3, 7), "closing"] == 7.0
    assert milk.loc[date(2024, 3, 8), "expired"] == 7.0


def test_stock_already_past_expiry_is_written_off_on_day_one():
    stock = pd.DataFrame({"ingredient": ["milk"], "quantity": [3.0], "expiry_date": ["2024-03-01"]})
    milk = rows_for(project(stock, daily_plan("bread", [0])), "milk")
    assert (milk.iloc[0]["opening"], milk.iloc[0]["expired"], milk.iloc[0]["closing"]) == (3, 3, 0)


def test_non_perishable_stock_never_expires():
    stock = pd.DataFrame({"ingredient": ["flour"], "quantity": [100.0]})
    flour = rows_for(project(stock, daily_plan("bread", [10] * 14), days=14), "flour")
    assert flour["expired"].sum() == 0
    assert flour["closing"].iloc[-1] == pytest.approx(30.0)


def test_balance_identity_holds_every_day():
    stock = pd.DataFrame({"ingredient": ["milk", "flour"], "quantity": [6.0, 12.0]})
    orders = pd.DataFrame(
        {
            "ingredient": ["milk", "flour"],
            "quantity": [5.0, 20.0],
            "delivery_date": ["2024-03-06", "2024-03-08"],
        }
    )
    projection = project(stock, daily_plan("bread", [10, 20, 5, 30, 0, 10, 10]), orders)
    assert list(projection.columns) == list(PROJECTION_COLUMNS)
    balance = projection["opening"] + projection["receipts"] - projection["consumption"]
    assert (balance - projection["expired"]).round(6).tolist() == projection["closing"].tolist()
    for _, rows in projection.groupby("ingredient"):
        assert rows["opening"].iloc[1:].tolist() == rows["closing"].iloc[:-1].tolist()


def test_uncovered_requirement_goes_negative_and_is_settled_by_a_receipt():
    orders = pd.DataFrame(
        {"ingredient": ["flour"], "quantity": [10.0], "delivery_date": ["2024-03-06"]}
    )
    stock = pd.DataFrame({"ingredient": ["flour"], "quantity": [4.0]})
    flour = rows_for(project(stock, daily_plan("bread", [4, 4, 4]), orders), "flour")
    assert list(flour["closing"][:3]) == [2.0, 0.0, 8.0]
    assert list(flour["shortage"][:3]) == [0.0, 0.0, 0.0]
    short = rows_for(project(stock, daily_plan("bread", [4, 4, 4])), "flour")
    assert list(short["closing"][:3]) == [2.0, 0.0, -2.0]
    assert list(short["shortage"][:3]) == [0.0, 0.0, 2.0]


@pytest.mark.parametrize(
    ("safety", "flags"),
    [(0, [False, False, False]), (3, [True, True, True]), (2, [False, True, True])],
)
def test_below_safety_flag(safety, flags):
    stock = pd.DataFrame({"ingredient": ["flour"], "quantity": [4.0]})
    master = ingredients(flour=(None, safety), milk=(3, 0))
    flour = rows_for(project(stock, daily_plan("bread", [4, 2, 0]), master=master), "flour")
    assert list(flour["below_safety"][:3]) == flags


def test_overdue_open_order_is_expected_on_the_start_date():
    orders = pd.DataFrame(
        {"ingredient": ["flour"], "quantity": [7.0], "delivery_date": ["2024-03-01"]}
    )
    flour = rows_for(
        project(pd.DataFrame({"ingredient": [], "quantity": []}), daily_plan("bread", [0]), orders),
        "flour",
    )
    assert flour.iloc[0]["receipts"] == 7.0


def test_every_ingredient_gets_every_day_even_without_activity():
    projection = project(pd.DataFrame({"ingredient": [], "quantity": []}), daily_plan("bread", []))
    assert len(projection) == 2 * 7
    assert projection["closing"].eq(0).all()


def test_unknown_ingredient_is_refused():
    stock = pd.DataFrame({"ingredient": ["saffron"], "quantity": [1.0]})
    with pytest.raises(ValueError, match="saffron"):
        project(stock, daily_plan("bread", [1]))


def test_ingredient_requirements_multiply_recipes_and_skip_products_without_one():
    plan = pd.concat([daily_plan("bread", [10, 0]), daily_plan("resold_cola", [50, 50])])
    needs = ingredient_requirements(plan, RECIPES)
    on_start = needs[needs["date"] == START].set_index("ingredient")["quantity"]
    assert on_start.to_dict() == {"flour": 5.0, "milk": 1.0}
    assert set(needs["ingredient"]) == {"flour", "milk"}


def test_planned_production_horizon_uses_todays_plan_then_p50():
    today_plan = pd.DataFrame({"product": ["bread"], "quantity": [48]})
    forecast = pd.DataFrame(
        {
            "date": pd.date_range(START, periods=3),
            "product": "bread",
            "p10": [10, 10, 10],
            "p50": [40.0, 41.0, 42.0],
            "p90": [90, 90, 90],
        }
    )
    horizon = planned_production_horizon(today_plan, START, forecast)
    assert horizon["quantity"].tolist() == [48, 41.0, 42.0]
    assert horizon["date"].tolist() == [START, date(2024, 3, 5), date(2024, 3, 6)]
