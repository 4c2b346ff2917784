"""The fault matrix: runs the fault suite (tests/faults) and prints one row per case.

Run: .venv/bin/python benchmarks/fault_suite.py [extra pytest args, e.g. -k sqlite]

Each fault test records `case`, `outcome`, `rows_lost` and `rows_duplicated` with pytest's
`record_property` (tests/faults/conftest.py); this script reads them back from the JUnit XML
report with the test's seconds, prints the table and totals, and exits 1 if a case failed or
lost or duplicated a row.
"""

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Row:
    case: str
    outcome: str
    rows_lost: int | None
    rows_duplicated: int | None
    seconds: float
    status: str  # passed, failed or skipped


def run_suite(extra: list[str], report: Path) -> int:
    command = [sys.executable, "-m", "pytest", "tests/faults", "-q", "-p", "no:cacheprovider"]
    command += ["-n", "0", f"--junitxml={report}", "-o", "junit_family=xunit1", *extra]
    return subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=False).returncode


def read_rows(report: Path) -> list[Row]:
    rows = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        found = {p.get("name"): p.get("value") for p in case.iter("property")}
        status = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            status = "failed"
        elif case.find("skipped") is not None:
            status = "skipped"
            found.setdefault("outcome", case.find("skipped").get("message", "skipped"))
        rows.append(
            Row(
                case=found.get("case", case.get("name", "?")),
                outcome=found.get("outcome", "(no outcome recorded)"),
                rows_lost=_int(found.get("rows_lost")),
                rows_duplicated=_int(found.get("rows_duplicated")),
                seconds=float(case.get("time", 0)),
                status=status,
            )
        )
    return rows


def _int(value: str | None) -> int | None:
    return int(value) if value is not None else None


def print_table(rows: list[Row]) -> None:
    print("| case | result | outcome | rows lost | rows duplicated | seconds |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        outcome = row.outcome.replace("|", "\\|")
        print(
            f"| {row.case} | {row.status} | {outcome} | {_cell(row.rows_lost)} | "
            f"{_cell(row.rows_duplicated)} | {row.seconds:.1f} |"
        )


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def totals(rows: list[Row]) -> tuple[int, int, int, int]:
    lost = sum(r.rows_lost or 0 for r in rows)
    duplicated = sum(r.rows_duplicated or 0 for r in rows)
    failed = sum(r.status == "failed" for r in rows)
    skipped = sum(r.status == "skipped" for r in rows)
    return lost, duplicated, failed, skipped


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "faults.xml"
        exit_code = run_suite(sys.argv[1:], report)
        if not report.exists():
            print(f"pytest exited {exit_code} without a report")
            return 1
        rows = read_rows(report)
    print_table(rows)
    lost, duplicated, failed, skipped = totals(rows)
    seconds = sum(r.seconds for r in rows)
    print()
    print(
        f"{len(rows)} cases: {len(rows) - failed - skipped} passed, {failed} failed, "
        f"{skipped} skipped; rows lost {lost}, rows duplicated {duplicated}; "
        f"{seconds:.1f} s in tests"
    )
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
    return 1 if failed or lost or duplicated or exit_code not in (0, 5) else 0


if __name__ == "__main__":
    sys.exit(main())
