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

from bakery_orchestration.partitions import partition_key
from bakery_orchestration.resources import local_resources
from bakery_orchestration.sales.assets import INPUT_CHECK, daily_sales
from bakery_orchestration.sales.resources import LocalFilesSalesSource, SalesSourceError
from bakery_orchestration.settings import landing_dir
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

    (check,) = [
        evaluation
        for evaluation in result.get_asset_check_evaluations()
        if evaluation.check_name == INPUT_CHECK
    ]
    assert not check.passed
    assert check.description.startswith("refused sales file for tenant 'bakery-a' date")
    assert "secret" not in check.description
    found = row_counts(empty_db_url)
    outcome = f"landing {case}: refused, check failed with '{PLANTED[case][1]}', content unread"
    lost, duplicated = record_case(record_property, f"landing {case}", outcome, no_file, found)
    assert (lost, duplicated) == (0, 0)
