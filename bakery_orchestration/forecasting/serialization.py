"""Storing a fitted DemandModel as bytes that can never run code when loaded.

Format: an 8-byte magic, the SHA-256 of the payload, then the payload: an ``.npz`` archive of
plain numeric arrays (the tree nodes, the interval calibration) and a JSON header (config,
calendar, products). Loading uses ``numpy.load(allow_pickle=False)`` and ``json``: no pickle,
no joblib, no object arrays. The embedded digest makes any altered byte fail the load; callers
record :func:`digest` of the whole blob as well and check it before loading.
"""

import dataclasses
import hashlib
import io
import json
from datetime import date

import numpy as np

from bakery_orchestration.forecasting.calibration import IntervalCalibration
from bakery_orchestration.forecasting.trees import LINKS, TreeEnsemble

MAGIC = b"BKDM\x00\x01\x00\x00"
FORMAT_VERSION = 3  # 2: P50 factors per forecast size and spread; 3: ETS feature and blend
NODE_FIELDS = ("feature", "threshold", "missing_left", "left", "right", "value", "roots")
NODE_DTYPES = ("i4", "f8", "b1", "i4", "i4", "f8", "i4")
CALIB_FIELDS = ("edges", "lower", "middle", "upper", "spread_edges")


class ModelFormatError(ValueError):
    """The bytes are not an intact serialized demand model."""


def digest(data: bytes) -> str:
    """Hex SHA-256 of serialized model bytes, to record and verify before loading."""
    return hashlib.sha256(data).hexdigest()


def dump_parts(header: dict, members: list[TreeEnsemble], calib: IntervalCalibration) -> bytes:
    """Serialize the JSON-able ``header`` plus trees and calibration."""
    arrays = {f"calib_{n}": getattr(calib, n) for n in CALIB_FIELDS}
    header = {**header, "format_version": FORMAT_VERSION, "members": []}
    for i, member in enumerate(members):
        for name in NODE_FIELDS:
            arrays[f"m{i}_{name}"] = getattr(member, name)
        header["members"].append(
            {"baseline": member.baseline, "link": member.link, "depth": member.depth}
        )
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    payload = buffer.getvalue()
    return MAGIC + hashlib.sha256(payload).digest() + payload


def load_parts(data: bytes) -> tuple[dict, list[TreeEnsemble], IntervalCalibration]:
    """Inverse of :func:`dump_parts`; raises ModelFormatError on anything unexpected."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 32:
        raise ModelFormatError("not a serialized demand model")
    stored, payload = data[len(MAGIC) : len(MAGIC) + 32], data[len(MAGIC) + 32 :]
    if hashlib.sha256(payload).digest() != stored:
        raise ModelFormatError("model bytes were altered (digest mismatch)")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(arrays.pop("header").tobytes().decode())
    except (ValueError, OSError, KeyError, UnicodeDecodeError) as exc:
        raise ModelFormatError(f"unreadable model payload: {exc}") from exc
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(f"unsupported model format {header.get('format_version')}")
    members = [_member(arrays, i, meta) for i, meta in enumerate(header["members"])]
    calib = IntervalCalibration(*(_checked(arrays, f"calib_{n}", "f8") for n in CALIB_FIELDS))
    groups = calib.edges.size + 1
    if (
        calib.lower.size != groups
        or calib.upper.size != groups
        or calib.middle.size != groups * (calib.spread_edges.size + 1)
    ):
        raise ModelFormatError("interval calibration arrays have inconsistent sizes")
    return header, members, calib


def _checked(arrays: dict, name: str, dtype: str) -> np.ndarray:
    if name not in arrays or arrays[name].dtype != np.dtype(dtype) or arrays[name].ndim != 1:
        raise ModelFormatError(f"array {name} missing or not 1-d {dtype}")
    return arrays[name]


def _member(arrays: dict, i: int, meta: dict) -> TreeEnsemble:
    cols = [_checked(arrays, f"m{i}_{n}", d) for n, d in zip(NODE_FIELDS, NODE_DTYPES, strict=True)]
    feature, left, right, roots = cols[0], cols[3], cols[4], cols[6]
    n = feature.size
    inner = feature >= 0
    if (
        any(c.size != n for c in cols[:6])
        or (
            inner.any()
            and (
                left[inner].max() >= n
                or right[inner].min() < 0
                or left[inner].min() < 0
                or right[inner].max() >= n
            )
        )
        or (roots.size and (roots.min() < 0 or roots.max() >= n))
    ):
        raise ModelFormatError(f"tree {i} has inconsistent node arrays")
    if meta.get("link") not in LINKS:
        raise ModelFormatError(f"tree {i} has unknown link {meta.get('link')!r}")
    return TreeEnsemble(*cols, float(meta["baseline"]), meta["link"], int(meta["depth"]))


def to_jsonable(obj: object) -> dict:
    """A frozen dataclass of plain fields as a JSON-able dict."""
    return json.loads(json.dumps(dataclasses.asdict(obj)))


def parse_date(text: str) -> date:
    """ISO date from the header."""
    return date.fromisoformat(text)
