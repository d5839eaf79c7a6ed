"""Helpers the CSV reader tests share: raw rows by Python's csv module alone, and workspace look-ups."""
from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

from marsad import Workspace

csv.field_size_limit(1 << 30)


def raw_rows(path: Path) -> list[list[str]]:
    """The file's rows by Python's csv module alone (decompressed, undecodable bytes kept as surrogates)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as z:
            data = z.read(z.namelist()[0])
    text = data.decode("utf-8-sig", errors="surrogateescape")
    return list(csv.reader(io.StringIO(text, newline="")))


def scalar(ws: Workspace, sql: str):
    return ws.sql(sql).fetchone()[0]


def reingest_adds_nothing(ws: Workspace, path: Path) -> None:
    before = scalar(ws, "SELECT count(*) FROM posts"), scalar(ws, "SELECT count(*) FROM account_snapshots")
    (again,) = ws.ingest([path])
    assert again.already_present
    assert (scalar(ws, "SELECT count(*) FROM posts"), scalar(ws, "SELECT count(*) FROM account_snapshots")) == before
