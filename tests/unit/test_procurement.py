"""Pure procurement: delivery calendars, lead times, pack/MOQ rounding, supplier choice, POs."""

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from bakery_orchestration.planning.inventory import project_inventory
from bakery_orchestration.planning.procurement import (
    PROPOSAL_COLUMNS,
    REASON_BELOW_SAFETY,
    REASON_LATE,
    REASON_NO_SUPPLIER,
    delivery_date,
    group_purchase_orders,
    latest_order,
    order_quantity,
    parse_weekdays,
    propose_orders,
)

MONDAY = date(2024, 3, 4)
WEEKDAYS = (0, 1, 2, 3, 4)


def day(offset: int) -> date:
    """MONDAY plus `offset` calendar days."""
    return MONDAY + timedelta(days=offset)


def projection(ingredient: str, closings: list[float], safety: float, shelf_life=None):
    """A hand-made projection for one ingredient starting on MONDAY."""
    return pd.DataFrame(
        {
            "date": [day(offset) for offset in range(len(closings))],
            "ingredient": ingredient,
            "closing": closings,
            "below_safety": [closing < safety for closing in closings],
            "safety_stock": float(safety),
            "shelf_life_days": shelf_life,
        }
    )


def supplier(name, ingredient="flour", lead=1, moq=0.0, pack=1.0, weekdays=WEEKDAYS, price=1.0):
    """One supplier offer row."""
    return {
        "supplier": name,
        "ingredient": ingredient,
        "lead_time_days": lead,
        "min_order_qty": moq,
        "pack_size": pack,
        "delivery_weekdays": weekdays,
        "unit_price": price,
    }


@pytest.mark.parametrize(
    ("order_on", "lead", "weekdays", "expected"),
    [
        (day(0), 0, (0,), day(0)),
        (day(0), 1, WEEKDAYS, day(1)),
        (day(4), 1, WEEKDAYS, day(7)),  # Friday + 1 = Saturday: no delivery until Monday
        (day(3), 2, WEEKDAYS, day(7)),  # Thursday + 2 = Saturday -> Monday
        (day(2), 3, (1, 3), day(8)),  # Wednesday + 3 = Saturday -> Tuesday
        (day(0), 1, (3,), day(3)),
        (day(0), 7, (0,), day(7)),
        (day(5), 0, (5, 6), day(5)),  # a supplier that delivers on Saturday
        (day(0), 2, (), None),
    ],
)
def test_delivery_date_counts_calendar_days_then_waits_for_a_delivery_weekday(
    order_on, lead, weekdays, expected
):
    assert delivery_date(order_on, lead, weekdays) == expected


@pytest.mark.parametrize(
    ("need", "lead", "weekdays", "expected"),
    [
        (day(7), 1, WEEKDAYS, (day(6), day(7))),  # Monday need: order Sunday for Monday
        (day(6), 1, WEEKDAYS, (day(3), day(4))),  # Sunday need: Friday delivery
        (day(6), 2, (1, 3), (day(1), day(3))),  # Tue/Thu supplier: Thursday delivery
        (day(10), 3, (0,), (day(4), day(7))),
        (day(3), 3, WEEKDAYS, (day(0), day(3))),  # only just: order today
        (day(1), 2, WEEKDAYS, None),  # too late even if ordered today
        (day(5), 0, (2,), (day(2), day(2))),
    ],
)
def test_latest_order_date_still_delivering_by_the_need_date(need, lead, weekdays, expected):
    assert latest_order(need, MONDAY, lead, weekdays) == expected


@pytest.mark.parametrize(
    ("shortfall", "moq", "pack", "expected"),
    [
        (12.0, 0.0, 5.0, (15.0, 3)),
        (3.0, 10.0, 4.0, (12.0, 3)),  # MOQ 10 is not a multiple of 4: round it up to packs
        (30.0, 10.0, 4.0, (32.0, 8)),
        (25.0, 25.0, 25.0, (25.0, 1)),
        (25.0000000001, 0.0, 25.0, (25.0, 1)),
        (7.5, 0.0, 2.5, (7.5, 3)),
        (0.0, 0.0, 5.0, (0.0, 0)),
    ],
)
def test_order_quantity_rounds_to_packs_and_respects_moq(shortfall, moq, pack, expected):
    assert order_quantity(shortfall, moq, pack) == expected


def test_pack_size_must_be_positive():
    with pytest.raises(ValueError, match="pack_size"):
        order_quantity(1.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("value", "expected"), [((0, 2, 4), {0, 2, 4}), ([5], {5}), ("1,3", {1, 3}), ("", set())]
)
def test_parse_weekdays(value, expected):
    assert parse_weekdays(value) == expected


def test_cheapest_supplier_that_delivers_in_time_is_chosen():
    need = projection("flour", [30, 20, 10, 0, -10, -20, -30, -40], safety=5)
    suppliers = pd.DataFrame(
        [
            supplier("fast_dear", lead=1, price=1.2),
            supplier("slow_cheap", lead=2, price=0.8),
            supplier("cheapest_but_late", lead=6, price=0.5),
        ]
    )
    proposal = propose_orders(need, suppliers, MONDAY).iloc[0]
    assert list(propose_orders(need, suppliers, MONDAY).columns) == list(PROPOSAL_COLUMNS)
    assert proposal["supplier"] == "slow_cheap"
    assert proposal["need_date"] == day(3)
    assert (proposal["order_date"], proposal["expected_delivery_date"]) == (day(1), day(3))
    assert proposal["reason"] == REASON_BELOW_SAFETY


def test_quantity_covers_the_shortfall_until_the_next_delivery():
    # Need on Wednesday; a Mon/Wed/Fri supplier delivers Wednesday, then again Friday.
    need = projection("flour", [20, 10, 2, -6, -14, -22, -30], safety=5)
    suppliers = pd.DataFrame([supplier("mill", lead=1, weekdays=(0, 2, 4), pack=5.0, price=2.0)])
    proposal = propose_orders(need, suppliers, MONDAY).iloc[0]
    assert proposal["expected_delivery_date"] == day(2)
    assert proposal["shortfall"] == pytest.approx(11.0)  # Thursday: 5 - (-6)
    assert (proposal["quantity"], proposal["packs"]) == (15.0, 3)
    assert proposal["total_cost"] == pytest.approx(30.0)


def test_shortfall_window_stops_when_the_delivered_lot_spoils():
    need = projection("milk", [6, 4, 2, 0, -2, -4, -6], safety=3, shelf_life=2)
    suppliers = pd.DataFrame([supplier("dairy", ingredient="milk", lead=1, weekdays=(1,))])
    proposal = propose_orders(need, suppliers, MONDAY).iloc[0]
    # Need from Wednesday; a Tuesday delivery with a two-day shelf life only covers Wednesday.
    assert proposal["need_date"] == day(2)
    assert proposal["expected_delivery_date"] == day(1)
    assert proposal["shortfall"] == pytest.approx(1.0)  # Wednesday only: 3 - 2


def test_no_supplier_in_time_orders_today_from_the_earliest_and_marks_late():
    need = projection("flour", [10, 0, -10, -20, -30, -40, -50], safety=5)
    suppliers = pd.DataFrame(
        [supplier("far", lead=4, price=0.5), supplier("near", lead=3, price=0.9)]
    )
    proposal = propose_orders(need, suppliers, MONDAY).iloc[0]
    assert proposal["supplier"] == "near"
    assert proposal["reason"] == REASON_LATE
    assert proposal["order_date"] == MONDAY
    assert proposal["expected_delivery_date"] == day(3)
    assert proposal["need_date"] == day(1)
    assert proposal["shortfall"] == pytest.approx(25.0)  # until Thursday's follow-up delivery


def test_lead_time_across_the_weekend_makes_a_friday_order_late():
    need = projection("flour", [20, 20, 20, 20, 20, 20, 0, -5], safety=5)  # need Sunday
    suppliers = pd.DataFrame([supplier("mill", lead=3, weekdays=WEEKDAYS)])
    proposal = propose_orders(need, suppliers, day(4)).iloc[0]  # today is Friday
    assert proposal["reason"] == REASON_LATE
    assert proposal["expected_delivery_date"] == day(7)  # Friday + 3 = Monday


def test_ingredient_without_supplier_is_flagged_not_dropped():
    need = projection("saffron", [1, 0, 0], safety=1)
    proposal = propose_orders(need, pd.DataFrame([supplier("mill")]), MONDAY).iloc[0]
    assert proposal["reason"] == REASON_NO_SUPPLIER
    assert proposal["supplier"] == ""
    assert proposal["shortfall"] == pytest.approx(1.0)


def test_nothing_below_safety_proposes_nothing():
    proposals = propose_orders(
        projection("flour", [30, 20, 10], safety=5), pd.DataFrame([supplier("mill")]), MONDAY
    )
    assert proposals.empty
    assert list(proposals.columns) == list(PROPOSAL_COLUMNS)


def test_proposals_from_a_real_projection_are_non_negative_whole_packs():
    plan = pd.DataFrame({"date": pd.date_range(MONDAY, periods=14), "product": "bread"})
    plan = plan.assign(quantity=40)
    projected = project_inventory(
        MONDAY,
        stock=pd.DataFrame({"ingredient": ["flour", "yeast"], "quantity": [100.0, 3.0]}),
        recipes=pd.DataFrame(
            {"product": "bread", "ingredient": ["flour", "yeast"], "quantity_per_unit": [0.5, 0.01]}
        ),
        planned_production=plan,
        open_orders=pd.DataFrame({"ingredient": [], "quantity": [], "delivery_date": []}),
        ingredients=pd.DataFrame(
            {
                "ingredient": ["flour", "yeast"],
                "shelf_life_days": [None, 10],
                "safety_stock": [20, 0.5],
            }
        ),
    )
    suppliers = pd.DataFrame(
        [
            supplier("mill", lead=2, moq=50.0, pack=25.0, price=0.6),
            supplier("mill", ingredient="yeast", lead=2, pack=0.5, price=8.0),
        ]
    )
    proposals = propose_orders(projected, suppliers, MONDAY)
    assert set(proposals["ingredient"]) == {"flour", "yeast"}
    assert (proposals["quantity"] >= proposals["shortfall"]).all()
    packs = proposals["quantity"] / proposals["ingredient"].map({"flour": 25.0, "yeast": 0.5})
    assert (packs == proposals["packs"]).all()
    assert (proposals["expected_delivery_date"] <= proposals["need_date"]).all()
    assert proposals.set_index("ingredient")["need_date"].to_dict() == {
        "flour": day(4),
        "yeast": day(6),
    }


def test_group_purchase_orders_one_per_supplier_and_order_date():
    need = pd.concat(
        [
            projection("flour", [10, 4, 0, -4, -8, -12, -16], safety=5),
            projection("sugar", [10, 4, 0, -4, -8, -12, -16], safety=5),
            projection("salt", [10, 8, 6, 4, 2, 0, -2], safety=5),
        ]
    )
    suppliers = pd.DataFrame(
        [
            supplier("mill", "flour", lead=0, price=0.5),
            supplier("mill", "sugar", lead=0, price=1.5),
            supplier("mill", "salt", lead=0, price=0.2),
        ]
    )
    orders = group_purchase_orders(propose_orders(need, suppliers, MONDAY))
    assert json.loads(json.dumps(orders)) == orders
    assert [(order["supplier"], order["order_date"]) for order in orders] == [
        ("mill", day(1).isoformat()),
        ("mill", day(3).isoformat()),
    ]
    assert [line["ingredient"] for line in orders[0]["lines"]] == ["flour", "sugar"]
    assert orders[0]["total_cost"] == pytest.approx(
        sum(li["total_cost"] for li in orders[0]["lines"])
    )
    assert orders[0]["late"] is False
