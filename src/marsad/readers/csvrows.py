"""Row iteration shared by every CSV/XLSX reader: header, per-row quarantine, encoding repair, big fields.

:func:`iter_rows` yields one :class:`Row` per data row (header excluded, blank lines skipped) or a
:class:`~marsad.records.Rejected` for a row with the wrong number of fields or bytes that are neither UTF-8 nor
Windows-1252. Quoted fields may hold ``\\r\\n`` and be arbitrarily long. ``.xlsx`` workbooks are read from their
first sheet with openpyxl (cells turned into the strings a CSV export would hold, Excel's ``_xHHHH_`` escapes
undone), so one per-record kernel serves both.

:func:`parse_rows` runs a reader's per-record kernel over the rows: a :class:`~marsad.records.RecordError`
raised by the kernel becomes a quarantine row, and a post whose cells needed the Windows-1252 repair is flagged
``_repaired`` (the ingest counts those).
"""
from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from ..errors import MarsadError
from ..records import (
    Parsed, RecordError, Rejected, check_count, excerpt, handle_account_id, split_retweet, text_entities,
)
from .io import open_text, repair

csv.field_size_limit(sys.maxsize)

XLSX_SUFFIXES = (".xlsx", ".xlsm")
_XL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


@dataclass(slots=True)
class Row:
    """One data row: ``position`` is its 1-based number after the header; ``values`` maps column -> cell."""

    position: int
    values: dict[str, str]
    repaired: bool
    raw: str

    def get(self, column: str, default: str | None = None) -> str | None:
        """The cell, or ``default`` when the column is absent or the cell is empty."""
        v = self.values.get(column)
        return default if v is None or v == "" else v


def is_xlsx(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


def unescape_excel(s: str) -> str:
    """Undo OOXML's ``_xHHHH_`` escapes (``_x000D_`` is a carriage return) that openpyxl leaves in strings."""
    if "_x" not in s:
        return s
    return _XL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), s)


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return str(int(v))
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, str):
        return unescape_excel(v)
    return str(v)


def header_from_head(head: str) -> list[str] | None:
    """The header row of a CSV whose decoded beginning is ``head`` (None when it does not look like CSV)."""
    if not head.strip():
        return None
    try:
        first = next(csv.reader(io.StringIO(head, newline="")), None)
    except csv.Error:
        return None
    if not first or len(first) < 2:
        return None
    return [c.strip().lstrip("\ufeff") for c in first]


@lru_cache(maxsize=32)
def _xlsx_header(path: str, mtime: float) -> tuple[str, ...] | None:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            ws = wb.worksheets[0]
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), None)
        finally:
            wb.close()
    except Exception:  # not a workbook openpyxl can read: no header, the sniffers say "not mine"
        return None
    if not first:
        return None
    return tuple(_cell_text(c).strip() for c in first)


def sniff_header(head: str, path: Path) -> list[str] | None:
    """The header of a CSV (from ``head``) or of an XLSX workbook's first sheet (read from ``path``)."""
    if is_xlsx(path):
        try:
            h = _xlsx_header(str(path), path.stat().st_mtime)
        except OSError:
            return None
        return list(h) if h else None
    return header_from_head(head)


def read_header(path: str | Path, *, delimiter: str = ",") -> list[str]:
    """The header row of a CSV or XLSX file (MarsadError when the file is empty)."""
    path = Path(path)
    cells_iter = _xlsx_cells(path) if is_xlsx(path) else _csv_cells(path, delimiter)
    try:
        return _first_header(path, cells_iter)
    finally:
        close = getattr(cells_iter, "close", None)
        if close:
            close()


def _first_header(path: Path, cells_iter: Iterator[list[str]]) -> list[str]:
    header = next(cells_iter, None)
    while header is not None and not any(c.strip() for c in header):
        header = next(cells_iter, None)
    if header is None:
        raise MarsadError(f"{path}: empty file (no header row)")
    return [c.strip().lstrip("\ufeff") for c in header]


def _xlsx_cells(path: Path) -> Iterator[list[str]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:
        raise MarsadError(f"{path}: not a readable .xlsx workbook ({type(e).__name__}: {str(e)[:80]})") from None
    try:
        for values in wb.worksheets[0].iter_rows(values_only=True):
            cells = [_cell_text(v) for v in values]
            while cells and cells[-1] == "":  # openpyxl pads rows to the sheet's widest row
                cells.pop()
            yield cells
    finally:
        wb.close()


def _csv_cells(path: Path, delimiter: str) -> Iterator[list[str]]:
    with open_text(path) as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as e:
            raise MarsadError(f"{path}: CSV cannot be parsed past row {reader.line_num}: {e}") from None


def iter_rows(path: str | Path, *, delimiter: str = ",", xlsx_pad: bool = True) -> Iterator[Row | Rejected]:
    """Every data row of a CSV or XLSX file, in order; wrong-width or undecodable rows come back as Rejected."""
    path = Path(path)
    xlsx = is_xlsx(path)
    cells_iter = _xlsx_cells(path) if xlsx else _csv_cells(path, delimiter)
    header = _first_header(path, cells_iter)
    width = len(header)
    position = 0
    for cells in cells_iter:
        if not cells or (len(cells) == 1 and not cells[0].strip() and width > 1):
            continue  # blank line: not a record
        position += 1
        raw = ",".join(cells)
        repaired = False
        try:
            raw.encode("utf-8")  # fast check: undecodable bytes survive as surrogates, which do not encode
        except UnicodeEncodeError:
            try:
                cells = [repair(c)[0] for c in cells]
                repaired = True
            except UnicodeError:
                yield Rejected(position, "bytes that are neither UTF-8 nor Windows-1252", excerpt(printable(raw)))
                continue
            raw = ",".join(cells)
        if xlsx and xlsx_pad and len(cells) < width:
            cells = cells + [""] * (width - len(cells))  # trailing empty cells are not stored in a sheet
        if len(cells) != width:
            yield Rejected(position, f"row has {len(cells)} field{'s' if len(cells) != 1 else ''}, "
                                     f"header has {width}", excerpt(raw))
            continue
        yield Row(position, dict(zip(header, cells)), repaired, raw)


def printable(raw: str) -> str:
    """Undecodable bytes (kept as surrogates) shown as U+FFFD, so an excerpt can be stored."""
    return raw.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def parse_rows(
    rows: Iterator[Row | Rejected], kernel: Callable[[Row], Parsed | None]
) -> Iterator[Parsed | Rejected]:
    """Run a per-row kernel; RecordError -> Rejected, repaired rows flagged. A kernel returning None skips a row
    that is not a record (e.g. a repeated header)."""
    for row in rows:
        if isinstance(row, Rejected):
            yield row
            continue
        try:
            parsed = kernel(row)
        except RecordError as e:
            yield Rejected(row.position, str(e), excerpt(row.raw))
            continue
        if parsed is None:
            continue
        if row.repaired and parsed.posts:
            parsed.posts[0]["_repaired"] = True
        yield parsed


def header_score(header: list[str] | None, required: set[str], typical: set[str] = frozenset()) -> float:
    """Sniff confidence from a header: 0 unless every required column is there; then 0.7 plus up to 0.25 for the
    share of typical columns present."""
    if not header:
        return 0.0
    cols = set(header)
    if not required <= cols:
        return 0.0
    if not typical:
        return 0.95
    return 0.7 + 0.25 * len(typical & cols) / len(typical)


# --- post fields shared by the CSV layouts ----------------------------------------------------------------------


def text_fields(text: str, *, strip_rt: bool = True) -> dict[str, Any]:
    """Post fields derived from a CSV text cell, for layouts without entities or retweet metadata.

    A leading "RT @x: " (how CSV exports show retweets) sets ``repost_of_handle`` = x and ``repost_of_account_id`` =
    ``handle_account_id(x)``, and the text keeps only the retweeted words (as for API data, where a retweet's text is
    the original's). Mentions, hashtags and urls are parsed from the whole cell, so x is among the mentions as in the
    API's entities of a retweet.
    """
    out: dict[str, Any] = dict(text_entities(text))
    handle, rest = split_retweet(text) if strip_rt else (None, text)
    if handle:
        out["repost_of_handle"] = handle
        out["repost_of_account_id"] = handle_account_id(handle)
    out["text"] = rest
    return out


def extra_json(fields: dict[str, Any]) -> str | None:
    """The ``extra`` column: the non-empty format-specific fields as a compact JSON object."""
    kept = {k: v for k, v in fields.items() if v not in (None, "", [], {})}
    return orjson.dumps(kept).decode() if kept else None


def count_cell(value: str | None, what: str) -> int | None:
    """A count cell: plain digits take the fast path, anything else goes through records.check_count."""
    if value is not None and value.isdigit() and len(value) < 13:
        return int(value)
    return check_count(value, what)
