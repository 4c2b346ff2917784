"""Generated planning master data for the demo catalogue: ingredients, recipes, suppliers, a
stock that runs short within days (so the demo proposes real purchase orders) and oven capacity
that is tight on busy days (so some plans are cut).
"""

from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.demo.generator import CATALOGUE, DemoBakery
from bakery_orchestration.planning import master_data

INGREDIENTS = [
    # ingredient_id, name, unit, shelf life days (None: does not expire), days of stock on hand
    ("flour", "Wheat flour T65", "kg", 180, 3.0),
    ("wholemeal-flour", "Wholemeal flour", "kg", 120, 6.0),
    ("butter", "Butter AOP", "kg", 30, 2.0),
    ("sugar", "Caster sugar", "kg", None, 12.0),
    ("eggs", "Eggs", "unit", 21, 2.5),
    ("chocolate", "Dark chocolate batons", "kg", 180, 9.0),
    ("ham", "Cooked ham", "kg", 7, 1.5),
    ("yeast", "Fresh yeast", "kg", 14, 5.0),
    ("milk", "Whole milk", "l", 7, 2.0),
    ("apples", "Apples", "kg", 14, 4.0),
    ("salt", "Sea salt", "kg", None, 40.0),
    ("coffee", "Coffee extract", "kg", 90, 20.0),
    ("almonds", "Ground almonds", "kg", 120, 30.0),
]

RECIPES = {
    # per unit of product
    "baguette": {"flour": 0.16, "yeast": 0.002, "salt": 0.003},
    "croissant": {"flour": 0.05, "butter": 0.025, "sugar": 0.006, "milk": 0.015, "yeast": 0.002},
    "pain-au-chocolat": {"flour": 0.05, "butter": 0.025, "chocolate": 0.012, "yeast": 0.002},
    "pain-de-campagne": {"flour": 0.35, "wholemeal-flour": 0.15, "salt": 0.01, "yeast": 0.004},
    "brioche": {"flour": 0.25, "butter": 0.1, "eggs": 2, "sugar": 0.04, "milk": 0.05},
    "tarte-pommes": {"flour": 0.2, "butter": 0.12, "apples": 0.8, "sugar": 0.1, "eggs": 1},
    "eclair": {"flour": 0.02, "butter": 0.015, "eggs": 0.6, "milk": 0.05, "coffee": 0.003},
    "sandwich-jambon": {"flour": 0.16, "ham": 0.06, "butter": 0.01},
    "cookie": {"flour": 0.03, "butter": 0.02, "sugar": 0.02, "chocolate": 0.015, "eggs": 0.15},
    "kouign-amann": {"flour": 0.06, "butter": 0.04, "sugar": 0.04, "yeast": 0.002},
    "pain-complet": {"wholemeal-flour": 0.4, "salt": 0.008, "yeast": 0.005},
    "galette-rois": {"flour": 0.25, "butter": 0.2, "almonds": 0.15, "sugar": 0.12, "eggs": 2},
}

SUPPLIER_COLUMNS = (
    "supplier_id",
    "name",
    "ingredient_id",
    "lead_time_days",
    "min_order_qty",
    "pack_size",
    "delivery_weekdays",
    "unit_price",
)
"""The supplier master data's columns, as the demo and the replay load them."""

SUPPLIERS = [
    # supplier_id, name, ingredient_id, lead days, MOQ, pack size, weekdays, unit price
    ("minoterie", "Minoterie Dupont", "flour", 2, 100, 25, "mon,wed,fri", 0.62),
    ("minoterie", "Minoterie Dupont", "wholemeal-flour", 2, 50, 25, "mon,wed,fri", 0.85),
    ("laiterie", "Laiterie Normande", "butter", 1, 20, 5, "tue,thu,sat", 7.40),
    ("laiterie", "Laiterie Normande", "milk", 1, 24, 12, "tue,thu,sat", 0.95),
    ("laiterie", "Laiterie Normande", "eggs", 1, 180, 30, "tue,thu,sat", 0.22),
    ("cacao", "Cacao Barry", "chocolate", 4, 10, 5, "tue", 11.50),
    ("martin", "Charcuterie Martin", "ham", 1, 5, 2.5, "mon,tue,wed,thu,fri,sat", 14.00),
    ("vergers", "Vergers du Sud", "apples", 2, 20, 10, "mon,thu", 1.80),
    ("metro", "Metro Cash & Carry", "flour", 1, 0, 5, "mon,tue,wed,thu,fri,sat", 0.95),
    ("metro", "Metro Cash & Carry", "butter", 1, 0, 1, "mon,tue,wed,thu,fri,sat", 9.20),
    ("metro", "Metro Cash & Carry", "sugar", 1, 0, 1, "mon,tue,wed,thu,fri,sat", 1.10),
    ("metro", "Metro Cash & Carry", "eggs", 1, 0, 12, "mon,tue,wed,thu,fri,sat", 0.30),
    ("metro", "Metro Cash & Carry", "yeast", 1, 0, 0.5, "mon,tue,wed,thu,fri,sat", 4.50),
    ("metro", "Metro Cash & Carry", "salt", 1, 0, 1, "mon,tue,wed,thu,fri,sat", 0.60),
    ("epicerie", "Epicerie Fine Roux", "coffee", 3, 1, 1, "wed", 18.00),
    ("epicerie", "Epicerie Fine Roux", "almonds", 3, 2, 1, "wed", 12.00),
]

CAPACITY_PER_SCALE = {"weekday": 1200.0, "weekend": 1300.0}


def daily_usage(bakery: DemoBakery) -> dict[str, float]:
    """Ingredient used on an average day at the bakery's base demand."""
    usage: dict[str, float] = {}
    for product_id, _name, _price, _cost, base_units, *_rest in CATALOGUE:
        for ingredient, per_unit in RECIPES[product_id].items():
            usage[ingredient] = usage.get(ingredient, 0.0) + base_units * bakery.scale * per_unit
    return usage


def demo_planning_data(bakery: DemoBakery, day: date) -> dict[str, pd.DataFrame]:
    """Each master-data kind as the frame its CSV would hold."""
    usage = daily_usage(bakery)
    ingredients = pd.DataFrame(
        [
            (i, name, unit, shelf, round(usage.get(i, 0.0), 2))
            for i, name, unit, shelf, _cover in INGREDIENTS
        ],
        columns=["ingredient_id", "name", "unit", "shelf_life_days", "safety_stock"],
    ).astype({"shelf_life_days": "object"})
    recipes = pd.DataFrame(
        [(p, i, q) for p, lines in RECIPES.items() for i, q in lines.items()],
        columns=["product_id", "ingredient_id", "quantity_per_unit"],
    )
    suppliers = pd.DataFrame(SUPPLIERS, columns=list(SUPPLIER_COLUMNS))
    return {
        "ingredients": ingredients,
        "recipes": recipes,
        "suppliers": suppliers,
        "stock": _stock(usage, day),
        "capacity": _capacity(bakery),
    }


def _stock(usage: dict[str, float], day: date) -> pd.DataFrame:
    """Two lots per ingredient (an older one first) worth its days of cover."""
    rows = []
    for ingredient, _name, _unit, shelf, cover in INGREDIENTS:
        total = usage.get(ingredient, 0.0) * cover
        expiry = (day + timedelta(days=min(shelf, 5) - 1)).isoformat() if shelf else None
        rows.append((ingredient, round(total * 0.4, 2), expiry))
        rows.append((ingredient, round(total * 0.6, 2), None))
    return pd.DataFrame(rows, columns=["ingredient_id", "quantity", "expiry_date"])


def _capacity(bakery: DemoBakery) -> pd.DataFrame:
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    minutes = [
        CAPACITY_PER_SCALE["weekend" if i >= 5 else "weekday"] * bakery.scale for i in range(7)
    ]
    return pd.DataFrame({"day": days, "oven_minutes": [round(m) for m in minutes]})


def load_demo_planning_data(engine: sa.Engine, bakery: DemoBakery, day: date) -> dict[str, int]:
    """Replace the bakery's planning master data with the generated one; rows per kind."""
    frames = demo_planning_data(bakery, day)
    order = ("ingredients", "recipes", "suppliers", "stock", "capacity")
    return {
        kind: master_data.replace(engine, bakery.slug, kind, frames[kind], source=f"demo {kind}")
        for kind in order
    }
