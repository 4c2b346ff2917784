"""Fault case: hostile tenant slugs at `bakery-orch tenants add` (trailing newline, NUL, control
characters, unicode look-alikes) are refused with one line and leave the registry as it was."""

import pytest

from bakery_orchestration.core.errors import BakeryError
from bakery_orchestration.core.partitions import partition_key, validate_slug
from tests.faults.input_support import invoke, one_line_error, record_case, row_counts

HOSTILE = {
    "trailing-newline": "bakery-a\n",
    "trailing-crlf": "bakery-a\r\n",
    "nul": "bakery-a\x00",
    "inner-nul": "bakery\x00-a",
    "cyrillic-a": "b\u0430kery-a",
    "fullwidth-b": "\uff42akery-a",
    "zero-width-space": "bakery-a\u200b",
    "dotless-i": "bakery-\u0131",
}


@pytest.mark.parametrize("slug", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_slug_is_refused_by_the_partition_key(slug):
    with pytest.raises(BakeryError, match="invalid tenant slug"):
        validate_slug(slug)
    with pytest.raises(BakeryError):
        partition_key(slug, "2026-03-02")


@pytest.mark.parametrize("name", ["trailing-newline", "nul", "cyrillic-a"])
def test_tenants_add_refuses_a_look_alike_of_an_existing_tenant(
    empty_db_url, name, record_property
):
    assert invoke(empty_db_url, "db", "upgrade").exit_code == 0
    assert invoke(empty_db_url, "tenants", "add", "bakery-a").exit_code == 0
    clean = row_counts(empty_db_url)

    line = one_line_error(invoke(empty_db_url, "tenants", "add", HOSTILE[name]))

    assert line.startswith("error: invalid tenant slug")
    lost, duplicated = record_case(
        record_property,
        f"slug {name}",
        f"tenants add exits 1: {line}",
        clean,
        row_counts(empty_db_url),
    )
    assert (lost, duplicated) == (0, 0)
