"""Scope: `validate_sales_rows`, the row checks of sales however they enter (a tenant-day's
landed rows, an import's rows), and the plausibility ceilings.

One parametrized case per quarantine reason, then the sums, shares, ceilings and the invariant
that every incoming row is either in the sales or in quarantine.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from bakery_orchestration.sales.validation import (
    REASONS,
    Ceilings,
    SalesLimits,
    validate_sales_rows,
)

DAY = date(2024, 5, 1)
KNOWN = {"baguette", "croissant"}


def rows(*records: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(records), columns=["date", "product", "quantity"])


def validate(raw: pd.DataFrame, known: set[str] | None = KNOWN):
    return validate_sales_rows(raw, tenant="bakery-a", day=DAY, known_products=known)


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (("2024-05-01", "baguette", "-2"), "negative_quantity"),
        (("2024-05-01", "baguette", "two"), "non_numeric_quantity"),
        (("2024-05-01", "baguette", "inf"), "non_numeric_quantity"),
        (("2024-05-01", "baguette", "3,5"), "non_numeric_quantity"),
        (("2024-05-01", "pain de mie", "4"), "unknown_product"),
        (("2024-05-02", "baguette", "4"), "date_outside_partition"),
        (("01/05/2024", "baguette", "4"), "invalid_date"),
        (("2024-5-1", "baguette", "4"), "invalid_date"),
        (("2024-02-30", "baguette", "4"), "invalid_date"),
        (("2024-05-01T09:00+02:00", "baguette", "4"), "invalid_date"),
        (("2024-05-01 09:00", "baguette", "4"), "invalid_date"),
        (("9999-12-31", "baguette", "4"), "invalid_date"),
        (("2200-01-01", "baguette", "4"), "invalid_date"),
        (("2024-05-01", "baguette", "1e308"), "quantity_out_of_range"),
        (("2024-05-01", "baguette", "99999999999999999999999"), "quantity_out_of_range"),
        (("2024-05-01", "baguette", "2147483648"), "quantity_out_of_range"),
        (("2024-05-01", "b" * 101, "4"), "product_too_long"),
        (("2024-05-01", "croissant", "7"), "duplicate_row"),
        ((" 2024-05-01", "croissant ", " 7"), "duplicate_row"),
        (("2024-05-01", "", "4"), "missing_field"),
        (("2024-05-01", "baguette", None), "missing_field"),
        ((np.nan, "baguette", "4"), "missing_field"),
    ],
)
def test_each_bad_row_is_quarantined_with_its_reason(bad_row: tuple, reason: str) -> None:
    raw = rows(("2024-05-01", "croissant", "7"), bad_row, ("2024-05-01", "baguette", "10"))
    result = validate(raw)
    assert result.quarantine["reason"].tolist() == [reason]
    assert result.quarantine["line"].tolist() == [2]
    assert result.counts == {name: int(name == reason) for name in REASONS}
    assert result.sales.to_dict("records") == [
        {"product": "baguette", "quantity": 10.0},
        {"product": "croissant", "quantity": 7.0},
    ]
    assert result.bad_share == pytest.approx(1 / 3)


def test_quarantine_keeps_the_row_as_it_came_and_its_file_line() -> None:
    raw = rows(("2024-05-01", "pain, complet", "1"), ("2024-05-01", "baguette", " -1")).assign(
        line=[14, 15]
    )
    result = validate(raw)
    assert result.quarantine.to_dict("records") == [
        {"line": 14, "raw": '2024-05-01,"pain, complet",1', "reason": "unknown_product"},
        {"line": 15, "raw": "2024-05-01,baguette, -1", "reason": "negative_quantity"},
    ]
    assert result.sales.empty
    assert result.bad_share == 1.0


def test_good_rows_are_summed_per_product_and_zero_is_a_sale_of_nothing() -> None:
    raw = rows(
        ("2024-05-01", "croissant", "7"),
        ("2024-05-01", "croissant", "2.5"),
        ("2024-05-01", "baguette", "0"),
        ("2024-05-01", "éclair", "3"),
    )
    result = validate(raw, known=None)
    assert result.sales.to_dict("records") == [
        {"product": "baguette", "quantity": 0.0},
        {"product": "croissant", "quantity": 9.5},
        {"product": "éclair", "quantity": 3.0},
    ]
    assert result.sales["quantity"].dtype == float
    assert (result.total_rows, result.good_rows, result.bad_share) == (4, 4, 0.0)


def test_first_failing_rule_wins_and_nothing_is_dropped() -> None:
    raw = rows(
        ("2024-04-30", "pain de mie", "-1"),  # date, product and quantity all wrong
        ("2024-05-01", "pain de mie", "-1"),  # product and quantity wrong
        ("2024-05-01", "pain de mie", "-1"),  # a repeat of a bad row keeps its own reason
        ("2024-05-01", "croissant", "4"),
        ("2024-05-01", "croissant", "4"),
        ("2024-05-01", "croissant", "4.0"),  # same number, different text: not a duplicate
    )
    result = validate(raw)
    assert result.quarantine["reason"].tolist() == [
        "date_outside_partition",
        "negative_quantity",
        "negative_quantity",
        "duplicate_row",
    ]
    assert result.quarantine["line"].tolist() == [1, 2, 3, 5]
    assert result.sales.to_dict("records") == [{"product": "croissant", "quantity": 8.0}]
    assert result.good_rows + len(result.quarantine) == len(raw)
    assert sum(result.counts.values()) == len(result.quarantine)
    assert (result.tenant, result.day) == ("bakery-a", DAY)


def test_empty_payload_has_no_bad_share() -> None:
    result = validate(rows())
    assert (result.total_rows, result.bad_share, len(result.quarantine)) == (0, 0.0, 0)
    assert list(result.quarantine.columns) == ["line", "raw", "reason"]


def test_missing_column_is_an_error_not_a_quarantine() -> None:
    with pytest.raises(ValueError, match="quantity"):
        validate(pd.DataFrame({"date": ["2024-05-01"], "product": ["baguette"]}))


def test_two_rows_summing_beyond_the_ceiling_are_both_set_aside() -> None:
    raw = rows(
        ("2024-05-01", "baguette", "1.5e9"),
        ("2024-05-01", "baguette", "1.4e9"),  # each below 2^31, together above any ceiling
        ("2024-05-01", "croissant", "60000"),
        ("2024-05-01", "croissant", "50000"),  # 110,000 > the default 100,000
        ("2024-05-01", "croissant", "1"),
    ).assign(line=[2, 3, 4, 5, 6])
    result = validate(raw)
    assert result.quarantine["line"].tolist() == [2, 3, 4, 5, 6]
    assert set(result.quarantine["reason"]) == {"implausible_quantity"}
    assert result.sales.empty


def test_ceilings_come_from_each_products_best_day_with_a_generous_factor() -> None:
    limits = SalesLimits(max_units=50_000, history_factor=10, history_floor=100)
    ceilings = limits.ceilings({"baguette": 300.0, "croissant": 4.0, "pain": 9_000.0})
    assert ceilings.per_product == {"baguette": 3_000.0, "croissant": 100.0, "pain": 50_000.0}
    raw = rows(
        ("2024-05-01", "baguette", "2999"),
        ("2024-05-01", "croissant", "101"),
        ("2024-05-01", "croissant", "3"),  # kept: only the row above the ceiling goes
        ("2024-05-01", "éclair", "49000"),  # no history: the absolute ceiling
        ("2024-05-01", "brioche", "50001"),
    )
    result = validate_sales_rows(
        raw, tenant="bakery-a", day=DAY, known_products=None, ceilings=ceilings
    )
    assert result.sales.to_dict("records") == [
        {"product": "baguette", "quantity": 2999.0},
        {"product": "croissant", "quantity": 3.0},
        {"product": "éclair", "quantity": 49000.0},
    ]
    assert result.quarantine[["line", "reason"]].to_dict("records") == [
        {"line": 2, "reason": "implausible_quantity"},
        {"line": 5, "reason": "implausible_quantity"},
    ]


def test_a_ceiling_above_a_32_bit_count_is_refused() -> None:
    with pytest.raises(ValueError, match="max_units"):
        SalesLimits(max_units=1e308)


def test_import_rows_span_days_and_refuse_dates_after_the_import() -> None:
    raw = rows(
        ("2024-04-30", "baguette", "3"),
        ("2024-05-01", " baguette", "4"),
        ("2024-05-01", "baguette ", "1"),
        ("2099-01-01", "baguette", "4"),
        ("2024-05-02", "baguette", "4"),
    )
    result = validate_sales_rows(
        raw, tenant="bakery-a", day=None, latest=DAY, known_products=KNOWN, ceilings=Ceilings()
    )
    assert result.sales.to_dict("records") == [
        {"date": "2024-04-30", "product": "baguette", "quantity": 3.0},
        {"date": "2024-05-01", "product": "baguette", "quantity": 5.0},
    ]
    assert result.quarantine["reason"].tolist() == ["future_date", "future_date"]
    assert result.counts["future_date"] == 2
