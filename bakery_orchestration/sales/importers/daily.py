"""Plain daily sales: `date,product,quantity`, one row per product and day.

The rows are the same as a landing file's, so they pass the same row rules
(`sales.validation.row_reasons`); the rules needing the tenant's data (future dates, unknown
products, ceilings) are applied to every format's entries by `import_sales`.
"""

import pandas as pd

from bakery_orchestration.sales.importers.parsing import Parsed, split_rows
from bakery_orchestration.sales.validation import (
    MAX_UNITS,
    Ceilings,
    SalesRules,
    row_reasons,
    stripped,
)

COLUMNS = ("date", "product", "quantity")
# The tenant's ceilings are applied later, to every format alike; here only the 32-bit range.
_ROW_RULES = SalesRules(ceilings=Ceilings(default=MAX_UNITS))


def parse(table: pd.DataFrame, lines: pd.Series) -> Parsed:
    """Rows as the landing-file rules read them; the others rejected with their reason."""
    values = table[list(COLUMNS)].apply(stripped)
    reason = row_reasons(values, _ROW_RULES)
    dates = pd.to_datetime(values["date"].where(reason == ""), format="%Y-%m-%d")
    quantity = pd.to_numeric(values["quantity"].where(reason == ""))
    return split_rows(lines, reason, dates, values["product"], quantity)
