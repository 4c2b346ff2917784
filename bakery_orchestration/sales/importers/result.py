"""What an import returns: daily units per product, and the file lines that were set aside."""

from dataclasses import dataclass

import pandas as pd

DAILY_COLUMNS = ("date", "product", "quantity")
REJECTED_COLUMNS = ("line", "raw", "reason")


class ImportFormatError(ValueError):
    """The file is not one of the known exports, or cannot be read as the one asked for."""


@dataclass(frozen=True)
class ImportResult:
    """Daily units of an export and every data line that did not count, with its reason.

    `daily` has one row per date and product with quantity > 0, sorted by date then product.
    `rejected` has one row per set-aside file line: `line` (1-based), `raw` text, `reason`.
    `non_positive_days` counts product-days whose netted quantity was <= 0 (returns), which
    `daily` leaves out as it does every day a product did not sell.
    """

    fmt: str
    daily: pd.DataFrame
    rejected: pd.DataFrame
    lines_read: int
    non_positive_days: int

    @property
    def lines_used(self) -> int:
        """Data lines that contributed to `daily` (possibly netting to nothing)."""
        return self.lines_read - len(self.rejected)

    @property
    def rejected_counts(self) -> dict[str, int]:
        """Rejected lines per reason."""
        return {str(k): int(v) for k, v in self.rejected["reason"].value_counts().items()}

    @property
    def counts(self) -> dict[str, int]:
        """Figures for run metadata: lines read, used, rejected (also per reason), output size."""
        per_reason = {f"rejected_{reason}": n for reason, n in self.rejected_counts.items()}
        return {
            "lines_read": self.lines_read,
            "lines_used": self.lines_used,
            "lines_rejected": len(self.rejected),
            **per_reason,
            "non_positive_days": self.non_positive_days,
            "daily_rows": len(self.daily),
            "products": int(self.daily["product"].nunique()),
            "days": int(self.daily["date"].nunique()),
        }


def daily_units(entries: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Entries summed per date and product: the positive totals, and how many were not."""
    totals = (
        entries.astype({"date": "datetime64[ns]", "product": object, "quantity": float})
        .groupby(["date", "product"], sort=True, as_index=False)["quantity"]
        .sum()
    )
    positive = totals["quantity"] > 0
    return totals[positive].reset_index(drop=True), int((~positive).sum())
