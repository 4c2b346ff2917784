"""Fault cases: landed paths that are not the tenant's own regular file, on SQLite and
PostgreSQL.

A symlinked sales file or tenant folder, or a FIFO, is refused with one line naming tenant,
date and file, and nothing of the target (say `/etc/passwd`) reaches a message, a check or a
table; the change feed does not report such paths.
"""

import os
from datetime import date, timedelta

import dagster as dg
import pytest

from bakery_orchestration.core.partitions import partition_key
from bakery_orchestration.core.settings import landing_dir
from bakery_orchestration.resources import local_resources
from bakery_orchestration.sales.assets import daily_sales
from bakery_orchestration.sales.resources import LocalFilesSalesSource, SalesSourceError
from tests.faults.input_support import invoke, record_case, row_counts

DAY = date(2026, 3, 2)
SECRET = "root:x:0:0:secret-first-line:/root:/bin/bash"


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "outside" / "passwd"
    path.parent.mkdir()
    path.write_text(SECRET + "\n")
    return path


def symlinked_file(landing, secret):
    os.makedirs(landing / "bakery-a")
    os.symlink(secret, landing / "bakery-a" / f"{DAY}.csv")


def symlinked_folder(landing, secret):
    landing.mkdir(parents=True)
    (secret.parent / f"{DAY}.csv").write_text(f"date,product,quantity\n{DAY},{SECRET},1\n")
    os.symlink(secret.parent, landing / "bakery-a")


def fifo(landing, secret):
    os.makedirs(landing / "bakery-a")
    os.mkfifo(landing / "bakery-a" / f"{DAY}.csv")


PLANTED = {
    "symlinked file": (symlinked_file, "the file is a symlink"),
    "symlinked tenant folder": (symlinked_folder, "the tenant folder is a symlink"),
    "fifo": (fifo, "not a regular file"),
}


@pytest.mark.parametrize("case", PLANTED)
def test_a_planted_path_is_refused_without_reading_it(tmp_path, secret, case):
    landing = tmp_path / "landing"
    plant, problem = PLANTED[case]
    plant(landing, secret)
    source = LocalFilesSalesSource(landing_dir=str(landing), settle_seconds=0)

    with pytest.raises(SalesSourceError) as raised:
        source.fetch_daily_sales("bakery-a", DAY)

    message = str(raised.value)
    assert message == (
        f"refused sales file for tenant 'bakery-a' date {DAY}: "
        f"{landing / 'bakery-a' / f'{DAY}.csv'}: {problem}"
    )
    assert source.changes_since(None).items == []


@pytest.mark.parametrize("case", PLANTED)
def test_the_daily_sales_check_names_the_refusal_not_the_content(
    empty_db_url, secret, case, record_property
):
    assert invoke(empty_db_url, "db", "upgrade").exit_code == 0
    assert invoke(empty_db_url, "tenants", "add", "bakery-a").exit_code == 0
    no_file = row_counts(empty_db_url)
    PLANTED[case][0](landing_dir(), secret)

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("tenant", ["bakery-a"])
        result = dg.materialize(
            [daily_sales],
            partition_key=partition_key("bakery-a", DAY + timedelta(days=1)),  # loads DAY
            resources=local_resources(empty_db_url),
            instance=instance,
            raise_on_error=False,
        )

    # An unreadable answer fails the step without writing (docs/RELIABILITY.md): the day's
    # stored sales stay, and the failure names the refusal, never the file's content.
    assert not result.success
    (failure,) = result.get_step_failure_events()
    description = failure.step_failure_data.user_failure_data.description
    assert description.startswith("refused sales file for tenant 'bakery-a' date")
    assert PLANTED[case][1] in description
    assert "secret" not in description
    assert "secret" not in failure.step_failure_data.error.to_string()
    found = row_counts(empty_db_url)
    outcome = f"landing {case}: refused, step failed with '{PLANTED[case][1]}', content unread"
    lost, duplicated = record_case(record_property, f"landing {case}", outcome, no_file, found)
    assert (lost, duplicated) == (0, 0)
