"""Scope: the POS export importers, on small fixture files and on the real exports in shared data.

The real Bread Basket and Chuncheon exports must import to exactly their published daily
aggregates; the French ticket-line format (whose raw file is not shared) is checked on a fixture
written in its exact layout against units computed by hand.
"""

from pathlib import Path

import pandas as pd
import pytest

from bakery_orchestration.sales.importers import (
    ImportFormatError,
    detect_format,
    import_sales,
)
from bakery_orchestration.sales.importers.parsing import parse_euros

TICKET_HEADER = ",date,time,ticket_number,article,Quantity,unit_price"


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def daily_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "product", "quantity"])
    return frame.assign(
        date=pd.to_datetime(frame["date"]), quantity=frame["quantity"].astype(float)
    )


def published(path: Path) -> pd.DataFrame:
    """A published aggregate with product names trimmed, as every import keeps them."""
    frame = pd.read_csv(path, parse_dates=["date"]).astype({"quantity": float})
    frame["product"] = frame["product"].str.strip()
    return frame.groupby(["date", "product"], as_index=False)["quantity"].sum()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["", "date", "time", "ticket_number", "article", "Quantity", "unit_price"],
            "ticket_lines",
        ),
        (
            ["Unnamed: 0", "date", "time", "ticket_number", "article", "Quantity", "unit_price"],
            "ticket_lines",
        ),
        (["Date", "Time", "Transaction", "Item"], "item_lines"),
        (["\ufeffdatetime", "day of week", "total", "place", "angbutter"], "orders_wide"),
        (["date", "product", "quantity"], "daily"),
        ([" Date ", "PRODUCT", "Quantity", "store"], "daily"),
    ],
)
def test_detect_format_recognises_known_headers(header: list[str], expected: str) -> None:
    assert detect_format(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        ["datetime", "day of week", "total", "place"],
        ["date", "article", "qty"],
        ["sku", "sold_at", "units"],
    ],
)
def test_detect_format_rejects_unknown_header_on_one_line(header: list[str]) -> None:
    with pytest.raises(ImportFormatError) as raised:
        detect_format(header)
    message = str(raised.value)
    assert "\n" not in message
    for fmt in ("ticket_lines", "item_lines", "orders_wide", "daily"):
        assert fmt in message


def test_ticket_lines_net_returns_into_daily_units(tmp_path: Path) -> None:
    # By hand, revenue / unit price per day and article:
    # 2021-01-02 BAGUETTE (1 + 4) * 0.90 / 0.90 = 5; PAIN AU CHOCOLAT (3 + 2 - 1) * 1.20 / 1.20 = 4
    # 2021-01-03 CROISSANT 2; TRADITIONAL BAGUETTE 5 at 1.20 and 1 at 1.25 = 6 units;
    # BAGUETTE only a return (-2), so no sale that day.
    path = write(
        tmp_path,
        "\n".join(
            [
                TICKET_HEADER,
                '0,2021-01-02,08:38,150040.0,BAGUETTE,1.0,"0,90 €"',
                '1,2021-01-02,08:38,150040.0,PAIN AU CHOCOLAT,3.0,"1,20 €"',
                '4,2021-01-02,09:14,150041.0,PAIN AU CHOCOLAT,2.0,"1,20 €"',
                '5,2021-01-02,09:14,150041.0,BAGUETTE,4.0,"0,90\u00a0€"',
                '8,2021-01-02,09:25,150042.0,PAIN AU CHOCOLAT,-1.0,"1,20 €"',
                '11,2021-01-02,09:30,150043.0,.,1.0,"0,00 €"',
                '12,2021-01-03,08:01,150044.0,CROISSANT,2.0,"1,10 €"',
                '13,2021-01-03,08:05,150045.0,BAGUETTE,-2.0,"0,90 €"',
                '14,2021-01-03,08:07,150046.0,TRADITIONAL BAGUETTE,5.0,"1,20 €"',
                '15,2021-01-03,08:09,150047.0,TRADITIONAL BAGUETTE,1.0,"1,25 €"',
                '16,2021-01-03,08:10,150048.0,CROISSANT,deux,"1,10 €"',
                '17,2021-01-03,08:11,150049.0,CROISSANT,1.0,"gratuit"',
            ]
        )
        + "\n",
    )
    result = import_sales(path)
    assert result.fmt == "ticket_lines"
    pd.testing.assert_frame_equal(
        result.daily,
        daily_frame(
            [
                ("2021-01-02", "BAGUETTE", 5),
                ("2021-01-02", "PAIN AU CHOCOLAT", 4),
                ("2021-01-03", "CROISSANT", 2),
                ("2021-01-03", "TRADITIONAL BAGUETTE", 6),
            ]
        ),
    )
    assert result.rejected[["line", "reason"]].to_dict("records") == [
        {"line": 7, "reason": "zero_price"},
        {"line": 12, "reason": "invalid_quantity"},
        {"line": 13, "reason": "invalid_price"},
    ]
    assert result.rejected["raw"].iloc[0] == '11,2021-01-02,09:30,150043.0,.,1.0,"0,00 €"'
    assert (result.lines_read, result.lines_used, result.non_positive_days) == (12, 9, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0,90 €", 0.9), ("1,20 €", 1.2), ("12,00\u202f€", 12.0), ("3.5", 3.5), ("€", None)],
)
def test_parse_euros_reads_french_prices(text: str, expected: float | None) -> None:
    value = parse_euros(pd.Series([text])).iloc[0]
    assert pd.isna(value) if expected is None else value == pytest.approx(expected)


def test_daily_format_sums_rows_and_sets_bad_lines_aside_as_landing_files_do(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "date,product,quantity\r\n"
        "2024-05-01,croissant,3\r\n"
        "2024-05-01,croissant,2.5\r\n"
        "2024-05-01,baguette,-1\r\n"
        "\r\n"
        "2024-13-01,baguette,4\r\n"
        "2024-05-02, ,4\r\n"
        '2024-05-02,"brioche\r\ntressée",many\r\n'
        "2024-05-02,baguette,7\r\n",
    )
    result = import_sales(path)
    pd.testing.assert_frame_equal(
        result.daily,
        daily_frame([("2024-05-01", "croissant", 5.5), ("2024-05-02", "baguette", 7)]),
    )
    assert result.rejected[["line", "reason"]].to_dict("records") == [
        {"line": 4, "reason": "negative_quantity"},
        {"line": 5, "reason": "blank_row"},
        {"line": 6, "reason": "invalid_date"},
        {"line": 7, "reason": "missing_field"},
        {"line": 8, "reason": "non_numeric_quantity"},
    ]
    assert result.lines_read == result.lines_used + len(result.rejected)


def test_line_with_nul_byte_is_rejected_whole(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date,Time,Transaction,Item\r\n"
        "2016-10-31,14:01:30,155,Tea\r\n"
        "\x002016-10-31,14:01:30,155,Muffin\r\n"
        "2016-10-31,14:01:30,155,NONE\r\n",
    )
    result = import_sales(path)
    pd.testing.assert_frame_equal(result.daily, daily_frame([("2016-10-31", "Tea", 1)]))
    assert result.rejected.to_dict("records") == [
        {"line": 3, "raw": "\\x002016-10-31,14:01:30,155,Muffin", "reason": "corrupt_line"},
        {"line": 4, "raw": "2016-10-31,14:01:30,155,NONE", "reason": "not_a_product"},
    ]


def test_orders_wide_counts_units_per_product_cell(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "datetime,day of week,total,place,angbutter,plain bread,jam\n"
        "2019-07-11 15:35,Thur,23800,,1,,2\n"
        "2019-07-11 16:10,Thur,15800,,2,1,\n"
        "2019-07-12 11:00,Fri,9000,,,x,\n"
        "2019-07-12 12:00,Fri,13600,,,,\n"
        ",,,,,,\n"
        "2020-06-18 14:52,,,,,,\n",
        encoding="utf-8-sig",
    )
    result = import_sales(path)
    pd.testing.assert_frame_equal(
        result.daily,
        daily_frame(
            [
                ("2019-07-11", "angbutter", 3),
                ("2019-07-11", "jam", 2),
                ("2019-07-11", "plain bread", 1),
            ]
        ),
    )
    assert result.rejected_counts == {"invalid_quantity": 1, "no_units": 2, "blank_row": 1}


def test_forced_format_must_fit_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "date,product,quantity\n2024-05-01,croissant,3\n")
    assert import_sales(path, fmt="daily").daily["quantity"].tolist() == [3.0]
    with pytest.raises(ImportFormatError, match="is not item_lines"):
        import_sales(path, fmt="item_lines")
    with pytest.raises(ImportFormatError, match="unknown format 'csv'"):
        import_sales(path, fmt="csv")


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="empty file"):
        import_sales(write(tmp_path, "", "empty.csv"))
    result = import_sales(write(tmp_path, "date,product,quantity\n", "header.csv"))
    pd.testing.assert_frame_equal(result.daily, daily_frame([]))
    assert result.counts["lines_read"] == 0


def test_breadbasket_export_matches_published_daily_item_lines(shared_data: Path) -> None:
    result = import_sales(shared_data / "breadbasket" / "transactions.csv")
    pd.testing.assert_frame_equal(
        result.daily, published(shared_data / "breadbasket" / "daily_item_lines.csv")
    )
    assert result.fmt == "item_lines"
    assert result.lines_read == 21_293
    assert result.rejected_counts == {"not_a_product": 786, "corrupt_line": 1}
    assert result.rejected.query("reason == 'corrupt_line'")["line"].tolist() == [347]
    assert (result.counts["products"], result.counts["days"]) == (94, 159)


def test_korean_orders_match_published_daily_units(shared_data: Path) -> None:
    result = import_sales(shared_data / "korean_bakery" / "orders_wide.csv")
    pd.testing.assert_frame_equal(
        result.daily, published(shared_data / "korean_bakery" / "daily_units.csv")
    )
    assert result.fmt == "orders_wide"
    assert result.lines_read == 2_654
    assert result.rejected_counts == {"blank_row": 233, "no_units": 2}
    assert result.rejected.query("reason == 'no_units'")["line"].tolist() == [1147, 2655]
    assert (result.counts["products"], result.counts["days"]) == (21, 249)
