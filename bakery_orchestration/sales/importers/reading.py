"""Reading an export into a table of strings, with the file line of every row.

The whole file is parsed by pandas' C reader with every field kept as text, so formats decide
themselves what a field means. A NUL byte makes that reader return the field holding it as
empty, silently (Bread Basket line 347, `\\x002016-10-31,...,Muffin`, loses its date), so any
line holding one is rejected whole as `corrupt_line` rather than read with a field missing.
"""

import csv
import io
import re
from pathlib import Path

import pandas as pd

from bakery_orchestration.sales.importers.result import ImportFormatError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"\xfd7zXZ\x00", "xz"))


def read_text(path: Path, encoding: str | None = None) -> str:
    """The file's text: UTF-8 (a BOM is dropped) unless another `encoding` is named.

    Nothing is guessed: a byte the encoding cannot read is a one-line `ImportFormatError`
    naming its line and value, so a Latin-1 file is never stored as `cafÃ© crÃ¨me`.
    """
    data = path.read_bytes()
    for magic, kind in COMPRESSED:
        if data.startswith(magic):
            raise ImportFormatError(f"is a {kind} file, not CSV text: extract it first")
    try:
        return data.decode(encoding or "utf-8-sig")
    except LookupError as error:
        raise ImportFormatError(f"unknown encoding {encoding!r}") from error
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        hint = "" if encoding else "; if the file is not UTF-8, name its encoding with --encoding"
        raise ImportFormatError(
            f"line {line}: byte 0x{data[error.start]:02x} (column {column}) is not "
            f"{encoding or 'UTF-8'}{hint}"
        ) from error


def read_header(text: str) -> list[str]:
    """The first line's fields; `ImportFormatError` for an empty file."""
    header = next(csv.reader(io.StringIO(text)), None)
    if not header:
        raise ImportFormatError("empty file: no header line")
    return header


def read_table(text: str) -> pd.DataFrame:
    """Every row of the file, every field as a string (empty, never NaN); blank lines kept."""
    try:
        return pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as error:
        message = " ".join(str(error).split())
        raise ImportFormatError(f"unreadable CSV: {message}") from error


def line_numbers(text: str, rows: int) -> pd.Series:
    """The 1-based file line on which each data row starts (the header is line 1)."""
    physical = text.count("\n") + (0 if text.endswith("\n") else 1)
    if physical == rows + 1:
        return pd.Series(range(2, rows + 2), dtype="int64")
    # A quoted field spans lines: only a CSV reader knows where each row starts.
    reader = csv.reader(io.StringIO(text))
    next(reader)
    starts, previous_end = [], reader.line_num
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    if len(starts) != rows:
        raise ImportFormatError(
            f"rows could not be matched to file lines ({len(starts)} != {rows})"
        )
    return pd.Series(starts, dtype="int64")


def nul_lines(text: str) -> list[int]:
    """The 1-based numbers of the lines holding a NUL byte."""
    if "\x00" not in text:
        return []
    return [number for number, line in enumerate(text.split("\n"), 1) if "\x00" in line]


def line_texts(text: str, numbers: pd.Series) -> list[str]:
    """The text of the given 1-based lines, without line ending, control characters escaped."""
    lines = text.split("\n")
    return [printable(lines[number - 1].removesuffix("\r")) for number in numbers]


def printable(line: str) -> str:
    """A line as it can be shown and stored: control characters written as `\\xNN`."""
    return CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", line)
