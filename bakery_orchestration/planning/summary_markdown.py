"""The owner's daily summary (``summary.build_daily_summary`` plus insights) as Markdown, so the
Dagster UI shows on ``daily_summary`` what the bakery was sent. Pure."""

from collections.abc import Mapping

DELIVERY = {
    "sent": "posted to the bakery's webhook",
    "failed": "NOT delivered: the webhook failed (see delivery_error)",
    "skipped": "not posted: the bakery has no webhook_url",
}


def summary_markdown(payload: Mapping, delivery_status: str) -> str:
    """The summary as the owner reads it, headed by what happened to its delivery."""
    lines = [
        f"### Morning summary of {payload['tenant']}, {payload['date']}",
        f"_{DELIVERY.get(delivery_status, delivery_status)}_",
        "",
        *_bake(payload),
        *_orders(payload["orders"]),
        *_accuracy(payload.get("yesterday_accuracy")),
        *_risks(payload["risks"]),
    ]
    if payload.get("insights"):
        lines += ["", "**Insights**", *(f"- {text}" for text in payload["insights"])]
    return "\n".join(lines)


def _bake(payload: Mapping) -> list[str]:
    if payload["closed"]:
        return ["**Closed today**: nothing to bake."]
    totals = payload["bake_totals"]
    lines = [
        f"**Bake** {totals['units']} units of {totals['products']} products in "
        f"{totals['batches']} batches ({totals['oven_minutes']:.0f} oven minutes).",
        "",
        "| product | units | batches |",
        "|---|---|---|",
    ]
    lines += [f"| {b['product']} | {b['quantity']} | {b['batches']} |" for b in payload["bake"]]
    return lines


def _orders(orders: Mapping) -> list[str]:
    lines = ["", f"**Orders to place today**: {len(orders['today'])}"]
    lines += [
        f"- {order['supplier']}: {len(order['lines'])} lines, {order['total_cost']:.2f}"
        + (" (late)" if order.get("late") else "")
        for order in orders["today"]
    ]
    if orders["later"]:
        lines.append(f"- and {len(orders['later'])} to place on later days")
    return lines


def _accuracy(accuracy: Mapping | None) -> list[str]:
    if not accuracy:
        return ["", "**Yesterday's forecast**: not scored (no forecast or no sales to compare)."]
    parts = [
        f"{name} {accuracy[key]:.1f}%"
        for key, name in (("accuracy", "accuracy"), ("wape", "WAPE"), ("coverage", "coverage"))
        if accuracy.get(key) is not None
    ]
    return ["", f"**Yesterday's forecast**: {', '.join(parts) or 'n/a'}."]


def _risks(risks: Mapping) -> list[str]:
    lines = []
    if risks["stockouts"]:
        named = ", ".join(
            f"{r['product']} ({r['expected_stockout_units']:.1f})" for r in risks["stockouts"]
        )
        lines.append(f"- likely stock-outs (units): {named}")
    if risks["waste"]:
        named = ", ".join(f"{r['product']} ({r['expected_waste']:.1f})" for r in risks["waste"])
        lines.append(f"- likely waste (units): {named}")
    for key, text in (("late_ingredients", "late"), ("unsupplied_ingredients", "no supplier")):
        if risks[key]:
            named = ", ".join(f"{r['ingredient']} (needed {r['need_date']})" for r in risks[key])
            lines.append(f"- ingredients {text}: {named}")
    return ["", "**Risks**", *lines] if lines else []
