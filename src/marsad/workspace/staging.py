"""Staging: where an ingest puts the rows it has read, before the one transaction that commits them.

Rows are buffered in bounded batches and written as zstd-compressed JSON lines (:class:`Stage`), four streams per
file (posts, their keys, account observations, quarantine: :class:`Sink`). :func:`staged_sql` reads a stream back
for the commit, turning the positions that parallel workers staged relative to their byte range into line numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from ..records import ACCOUNT_SCHEMA, POST_SCHEMA, Parsed, Rejected, excerpt
from .schema import DUCK_TYPES

BATCH_ROWS = 20_000
MAX_ROW_BYTES = 32 << 20  # one staged post or account row (Twitter allows 25,000 characters, Facebook 63,206)
QUARANTINE_SCHEMA = pa.schema(
    [("record_position", pa.int64()), ("reason", pa.string()), ("excerpt", pa.string())]
)
#: the key columns of each staged post again, in a stream of their own: the commit ranks duplicates on them without
#: reading the whole staged posts a second time
KEY_SCHEMA = pa.schema(
    [("platform", pa.string()), ("post_id", pa.string()), ("embedded", pa.bool_()), ("record_position", pa.int64())]
)


def _json_default(value: Any) -> Any:
    """orjson fallback for values a reader may hand over that are not plain JSON types (numpy/pandas scalars)."""
    if isinstance(value, datetime):  # e.g. a pandas Timestamp; naive means UTC, as for plain datetimes
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    item = getattr(value, "item", None)
    if item is not None:
        return item()
    raise TypeError(f"cannot stage a {type(value).__name__}")


def row_bytes(row: dict[str, Any]) -> bytes:
    return orjson.dumps(row, default=_json_default, option=orjson.OPT_NAIVE_UTC)


class Stage:
    """Buffers rows as JSON lines and flushes them to numbered zstd-compressed files, so memory stays bounded.

    The commit reads them with DuckDB's ``read_json`` and the schema's column types (unknown keys are ignored,
    missing ones are NULL). Serialising a row with orjson costs about a third of building Arrow tables from Python
    dicts, which was a quarter of the parse time."""

    def __init__(self, folder: Path, name: str, schema: pa.Schema, prefix: str = ""):
        self.folder, self.name, self.schema, self.prefix = folder, name, schema, prefix
        self.buf: list[bytes] = []  # rows, or blobs of rows joined by newlines
        self.n_buf = 0  # rows in buf
        self.total = 0
        self.files = 0

    def add(self, row: dict[str, Any]) -> None:
        self.extend([row_bytes(row)])

    def extend(self, rows: list[bytes], n: int | None = None) -> None:
        """Serialised rows; or, with ``n``, pieces that hold ``n`` rows joined by newlines (a native kernel's)."""
        self.buf.extend(rows)
        self.n_buf += len(rows) if n is None else n
        if self.n_buf >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.buf:
            return
        name = f"{self.name}-{self.prefix}{self.files:06d}.jsonl.zst"
        with pa.CompressedOutputStream(str(self.folder / name), "zstd") as f:
            f.write(b"\n".join(self.buf) + b"\n")
        self.files += 1
        self.total += self.n_buf
        self.buf, self.n_buf = [], 0


def staged_sql(staging: Path, name: str, schema: pa.Schema, offsets: list[int] | None = None) -> str:
    """SQL table function over the staged rows of one stream (posts, accounts, quarantine).

    ``offsets``: the parallel ingest's workers number lines from 1 within their byte range (so that the ranges can
    be parsed before the file has been scanned); the files of range ``i`` (``<name>-c<i>-*``) get ``offsets[i]``
    added to their positions, giving line numbers in the file."""
    cols = ", ".join(f"'{f.name}': '{DUCK_TYPES[str(f.type)]}'" for f in schema)
    glob = str(staging / f"{name}-*.jsonl.zst").replace("'", "''")
    src = (f"read_json('{glob}', format = 'newline_delimited', compression = 'zstd', "
           f"columns = {{{cols}}}, maximum_object_size = {MAX_ROW_BYTES + (1 << 20)}"
           f"{', filename = true' if offsets else ''})")
    if not offsets:
        return src
    table = ", ".join(str(o) for o in offsets)
    return (f"(SELECT * EXCLUDE (filename) REPLACE (record_position + [{table}]"
            f"[regexp_extract(filename, '-c([0-9]+)-[0-9]+\\.jsonl\\.zst$', 1)::INTEGER + 1] AS record_position) "
            f"FROM {src})")


@dataclass
class Counts:
    n_read: int = 0
    n_repaired: int = 0
    n_quarantined: int = 0
    n_post_rows: int = 0
    n_account_rows: int = 0
    n_lines: int = 0  # lines of a parallel worker's byte range

    def __iadd__(self, other: "Counts") -> "Counts":
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        return self


class Sink:
    """Where a reader's items go: four staging streams (posts, post keys, account observations, quarantine) and
    counts."""

    def __init__(self, folder: Path, reader_name: str, prefix: str = ""):
        self.reader_name = reader_name
        self.posts = Stage(folder, "posts", POST_SCHEMA, prefix)
        self.keys = Stage(folder, "keys", KEY_SCHEMA, prefix)
        self.accounts = Stage(folder, "accounts", ACCOUNT_SCHEMA, prefix)
        self.quarantine = Stage(folder, "quarantine", QUARANTINE_SCHEMA, prefix)
        self.counts = Counts()

    def add(self, item: Parsed | Rejected) -> None:
        self.counts.n_read += 1
        if isinstance(item, Rejected):
            self.quarantine.add({"record_position": item.position, "reason": item.reason, "excerpt": item.excerpt})
        elif isinstance(item, Parsed):
            repaired = False
            for i, post in enumerate(item.posts):
                post["embedded"] = i > 0
                if post.get("record_position") is None:
                    post["record_position"] = item.position
                repaired |= bool(post.pop("_repaired", False)) and i == 0
            for acc in item.accounts:
                if acc.get("record_position") is None:
                    acc["record_position"] = item.position
            posts, accounts = [row_bytes(p) for p in item.posts], [row_bytes(a) for a in item.accounts]
            biggest = max(posts + accounts, key=len, default=b"")
            if len(biggest) > MAX_ROW_BYTES:  # more than any platform allows in a post: kept out, with the reason
                reason = (f"record too large to store ({len(biggest) / 2**20:.0f} MiB in one row; the limit is "
                          f"{MAX_ROW_BYTES >> 20} MiB)")
                self.quarantine.add({"record_position": item.position, "reason": reason, "excerpt": excerpt(biggest)})
                return
            self.counts.n_repaired += repaired
            self.posts.extend(posts)
            self.keys.extend([row_bytes({k: p[k] for k in KEY_SCHEMA.names}) for p in item.posts])
            self.accounts.extend(accounts)
        else:  # a reader bug, not bad input: say so plainly
            raise TypeError(f"reader {self.reader_name} yielded {type(item).__name__}")

    def add_rows(self, posts: bytes, keys: bytes, n_posts: int, accounts: bytes, n_accounts: int,
                 n_records: int) -> None:
        """Rows a native block kernel staged itself for ``n_records`` records (see ``LineReader.parse_block``)."""
        self.counts.n_read += n_records
        for stage, blob, n in ((self.posts, posts, n_posts), (self.keys, keys, n_posts),
                               (self.accounts, accounts, n_accounts)):
            if n:
                stage.extend([blob], n)

    def close(self) -> Counts:
        for st in (self.posts, self.keys, self.accounts, self.quarantine):
            st.flush()
        self.counts.n_quarantined = self.quarantine.total
        self.counts.n_post_rows = self.posts.total
        self.counts.n_account_rows = self.accounts.total
        return self.counts
