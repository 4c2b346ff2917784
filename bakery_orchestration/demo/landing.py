"""Write sales as landing files, the way a POS export drops them for the local sales source."""

from pathlib import Path

import pandas as pd

from bakery_orchestration.sales.landing_files import sales_file


def write_landing_files(landing_dir: Path, tenant: str, sales: pd.DataFrame) -> list[Path]:
    """One ``date,product,quantity`` CSV per day in ``sales`` under ``landing_dir/tenant``."""
    written = []
    for day, rows in sales.groupby(pd.to_datetime(sales["date"]).dt.date):
        path = sales_file(landing_dir, tenant, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = rows.assign(date=day.isoformat())[["date", "product", "quantity"]]
        frame.to_csv(path, index=False)
        written.append(path)
    return written
