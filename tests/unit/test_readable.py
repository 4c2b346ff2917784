"""Scope: metadata made readable (Markdown tables, rounding, per-tenant keys) and the owner's
summary rendered as Markdown, on hand-made values."""

from bakery_orchestration.core.readable import MAX_TABLE_ROWS, markdown_table, per_tenant, rounded
from bakery_orchestration.planning.summary_markdown import summary_markdown


def test_markdown_table_formats_cells_and_counts_rows_left_out():
    rows = [{"p": "pain|x", "q": 12.345, "late": True, "none": None}] * (MAX_TABLE_ROWS + 2)
    text = markdown_table(rows, [("p", "product"), ("q", "units"), ("late", "late"), ("none", "n")])
    lines = text.value.splitlines()
    assert lines[0] == "| product | units | late | n |"
    assert lines[2] == "| pain\\|x | 12.3 | yes | - |"
    assert len(lines) == 2 + MAX_TABLE_ROWS + 2  # a blank line, then the count
    assert lines[-1] == "_and 2 more rows_"
    assert markdown_table([], [("p", "product")], empty="no order").value == "_no order_"


def test_rounding_keeps_not_measured_as_none_and_per_tenant_drops_it():
    assert rounded(614.0747510585198) == 614.1
    assert rounded(None) is None
    assert per_tenant("a", {"units": 3, "waste": None}) == {"units [a]": 3}


def _payload(closed: bool) -> dict:
    return {
        "tenant": "a",
        "date": "2026-03-02",
        "closed": closed,
        "bake": [] if closed else [{"product": "baguette", "quantity": 120, "batches": 6}],
        "bake_totals": {"units": 120, "products": 1, "batches": 6, "oven_minutes": 150.0},
        "orders": {
            "today": [{"supplier": "metro", "lines": [{}, {}], "total_cost": 12.5, "late": True}],
            "later": [{}],
        },
        "yesterday_accuracy": {"accuracy": 81.25, "wape": 18.75, "coverage": None},
        "risks": {
            "stockouts": [{"product": "croissant", "expected_stockout_units": 3.14}],
            "waste": [],
            "late_ingredients": [],
            "unsupplied_ingredients": [{"ingredient": "salt", "need_date": "2026-03-04"}],
        },
        "insights": ["Croissant sold out early"],
    }


def test_summary_markdown_reads_as_sent():
    lines = summary_markdown(_payload(False), "skipped").splitlines()
    assert lines[:2] == [
        "### Morning summary of a, 2026-03-02",
        "_not posted: the bakery has no webhook_url_",
    ]
    assert "| baguette | 120 | 6 |" in lines
    assert "- metro: 2 lines, 12.50 (late)" in lines
    assert "- and 1 to place on later days" in lines
    assert "**Yesterday's forecast**: accuracy 81.2%, WAPE 18.8%." in lines
    assert "- likely stock-outs (units): croissant (3.1)" in lines
    assert "- ingredients no supplier: salt (needed 2026-03-04)" in lines
    assert lines[-1] == "- Croissant sold out early"
    closed = summary_markdown(_payload(True), "sent").splitlines()
    assert "**Closed today**: nothing to bake." in closed
