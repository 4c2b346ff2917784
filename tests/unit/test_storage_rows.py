"""``storage.rows``: what a frame becomes on its way to the database, and back."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from bakery_orchestration.storage.rows import frame_records, read_partition, replace_partition

TABLE = sa.Table(
    "slice",
    sa.MetaData(),
    sa.Column("tenant_id", sa.String, primary_key=True),
    sa.Column("partition_date", sa.Date, primary_key=True),
    sa.Column("product_id", sa.String, primary_key=True),
    sa.Column("target_date", sa.Date),
    sa.Column("made_at", sa.DateTime),
    sa.Column("horizon", sa.Integer),
    sa.Column("p50", sa.Float),
    sa.Column("settled", sa.Boolean),
    sa.Column("note", sa.String),
)


def test_records_are_plain_python_values_with_nulls_for_missing():
    frame = pd.DataFrame(
        {
            "product_id": ["a", "b"],
            "target_date": pd.to_datetime(["2026-03-02", None]),
            "made_at": pd.to_datetime(["2026-03-02 08:15", "2026-03-02 00:00"]),
            "horizon": np.array([1, 2], dtype="int32"),
            "p50": [np.nan, 2.5],
            "settled": [True, False],
            "note": ["x", np.nan],
            "not_a_column": [1, 2],
        }
    )
    records = frame_records(frame, TABLE)
    assert records == [
        {
            "product_id": "a",
            "target_date": date(2026, 3, 2),
            "made_at": datetime(2026, 3, 2, 8, 15),
            "horizon": 1,
            "p50": None,
            "settled": True,
            "note": "x",
        },
        {
            "product_id": "b",
            "target_date": None,
            "made_at": date(2026, 3, 2),  # a midnight timestamp is a day, as before
            "horizon": 2,
            "p50": 2.5,
            "settled": False,
            "note": None,
        },
    ]
    assert type(records[0]["horizon"]) is int and type(records[1]["p50"]) is float
    assert type(records[0]["settled"]) is bool
    assert frame_records(frame.iloc[:0], TABLE) == []


def test_a_slice_reads_back_what_was_written_with_numeric_columns_numeric():
    engine = sa.create_engine("sqlite://")
    TABLE.metadata.create_all(engine)
    frame = pd.DataFrame(
        {
            "product_id": ["a", "b", "c"],
            "target_date": pd.to_datetime(["2026-03-02", "2026-03-03", None]),
            "horizon": [1, 2, None],
            "p50": [1.5, None, 3.0],
            "settled": [True, False, True],
        }
    )
    with engine.begin() as conn:
        assert replace_partition(conn, TABLE, "t1", date(2026, 3, 2), frame) == 3
        replace_partition(conn, TABLE, "t2", date(2026, 3, 2), frame.iloc[:1])
        back = read_partition(conn, TABLE, "t1", date(2026, 3, 2)).sort_values("product_id")
        empty = read_partition(conn, TABLE, "t1", date(2026, 3, 3))
    assert list(back.columns) == [
        "product_id",
        "target_date",
        "made_at",
        "horizon",
        "p50",
        "settled",
        "note",
    ]
    assert back["product_id"].tolist() == ["a", "b", "c"]
    assert back["target_date"].tolist() == [date(2026, 3, 2), date(2026, 3, 3), None]
    assert back["p50"].dtype.kind == "f" and back["p50"].isna().tolist() == [False, True, False]
    assert back["horizon"].dtype.kind == "f" and back["horizon"].tolist()[:2] == [1.0, 2.0]
    assert back["settled"].tolist() == [True, False, True]
    assert back["note"].isna().all()
    assert empty.empty and list(empty.columns) == list(back.columns)
