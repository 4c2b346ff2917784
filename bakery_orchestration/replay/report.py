"""The replay's report: one row per morning and the totals, as JSON or a compact text table.
Plain data only; ``observe`` fills it from what the product wrote. None means not measured."""

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class CheckFailure:
    name: str
    severity: str
    description: str | None
    run: str


@dataclass(frozen=True)
class AlertEvent:
    alert_type: str
    key: str
    severity: str
    message: str


@dataclass(frozen=True)
class RunNote:
    """One Dagster run of the replay step: why it ran, its audited status."""

    run_id: str
    kind: str
    partition: str
    success: bool
    audit_status: str | None
    seconds: float


@dataclass
class DayReport:
    date: date
    status: str | None
    audit_status: str | None = None
    degraded: str | None = None
    injected: list[str] = field(default_factory=list)
    checks_failed: list[CheckFailure] = field(default_factory=list)
    alerts_opened: list[AlertEvent] = field(default_factory=list)
    alerts_resolved: list[AlertEvent] = field(default_factory=list)
    wape: float | None = None
    units_baked: float | None = None
    units_sold: float | None = None
    runs: list[RunNote] = field(default_factory=list)
    seconds: float | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat()
        return data


@dataclass
class ReplayReport:
    tenant: str
    file: str
    days: list[DayReport]
    input_rows: int
    input_rows_skipped: int
    seconds: float | None = None

    def totals(self) -> dict:
        statuses: dict[str, int] = {}
        for day in self.days:
            statuses[day.status or "none"] = statuses.get(day.status or "none", 0) + 1
        return {
            "alerts_opened_total": sum(len(d.alerts_opened) for d in self.days),
            "alerts_resolved_total": sum(len(d.alerts_resolved) for d in self.days),
            "checks_failed_total": sum(len(d.checks_failed) for d in self.days),
            "days_by_status": statuses,
            "units_baked_total": _sum(d.units_baked for d in self.days),
            "units_sold_total": _sum(d.units_sold for d in self.days),
            "wape_mean": _mean(d.wape for d in self.days),
        }

    def to_dict(self) -> dict:
        return {
            "tenant": self.tenant,
            "file": self.file,
            "input_rows": self.input_rows,
            "input_rows_skipped": self.input_rows_skipped,
            "days": [d.to_dict() for d in self.days],
            **self.totals(),
            "seconds": self.seconds,
        }


def _sum(values) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 3) if known else None


def _mean(values) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 2) if known else None


HEADER = f"{'date':<10}  {'status':<16} {'WAPE %':>6} {'baked':>7} {'sold':>7}  events"


def render_text(report: ReplayReport) -> str:
    """A compact table (one line per morning, events in the last column) and the totals."""
    lines = [f"Replay of {report.file} as {report.tenant}", HEADER]
    lines += [_row(day) for day in report.days]
    totals = report.totals()
    lines.append(
        f"\n{len(report.days)} mornings: "
        + ", ".join(f"{n} {status}" for status, n in sorted(totals["days_by_status"].items()))
        + f"; alerts opened {totals['alerts_opened_total']}, resolved "
        f"{totals['alerts_resolved_total']}; failed checks {totals['checks_failed_total']}; "
        f"mean WAPE {_text(totals['wape_mean'], '{:.1f}')} %; baked "
        f"{_text(totals['units_baked_total'], '{:.0f}')} units, sold "
        f"{_text(totals['units_sold_total'], '{:.0f}')}"
    )
    return "\n".join(lines)


def _row(day: DayReport) -> str:
    events = [f"inject {i}" for i in day.injected]
    events += [f"check {c.name} {c.severity}" for c in day.checks_failed]
    events += [f"+alert {a.alert_type} {a.key}" for a in day.alerts_opened]
    events += [f"-alert {a.alert_type} {a.key}" for a in day.alerts_resolved]
    return (
        f"{day.date.isoformat():<10}  {day.status or '-':<16} {_text(day.wape, '{:.1f}'):>6} "
        f"{_text(day.units_baked, '{:.0f}'):>7} {_text(day.units_sold, '{:.0f}'):>7}  "
        + "; ".join(events)
    )


def _text(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)
