"""Idempotent, atomic ingest of one file into the workspace.

1. The file's sha256 is looked up: a file already ingested adds nothing.
2. The reader streams records; parsed posts and account observations are buffered in bounded column batches and
   written as Parquet files to a staging folder beside the workspace; rejected records are staged too.
3. One DuckDB transaction merges the staging files into the workspace (duplicate posts across and within files are
   merged, not doubled; a post first seen embedded is replaced by its primary record) and records the dataset row
   with its counts. A crash or Ctrl-C before the commit leaves the workspace as it was; re-running completes it.

Counts reconcile per file: ``n_read = n_loaded + n_duplicate + n_quarantined``.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import MarsadError
from ..readers import detect, get_reader
from ..records import ACCOUNT_SCHEMA, POST_SCHEMA, Parsed, Rejected

if TYPE_CHECKING:
    from . import Workspace

BATCH_ROWS = 20_000
QUARANTINE_SCHEMA = pa.schema(
    [("record_position", pa.int64()), ("reason", pa.string()), ("excerpt", pa.string())]
)
ACCOUNT_ATTRS = [n for n in ACCOUNT_SCHEMA.names if n not in ("observed_at", "record_position")]


@dataclass
class IngestResult:
    path: str
    dataset_id: str
    format: str
    platform: str
    already_present: bool
    n_read: int = 0
    n_loaded: int = 0
    n_duplicate: int = 0
    n_quarantined: int = 0
    n_embedded: int = 0
    n_repaired: int = 0
    n_account_obs: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _Stage:
    """Buffers rows column-wise and flushes them to numbered Parquet files, so memory stays bounded."""

    def __init__(self, folder: Path, name: str, schema: pa.Schema):
        self.folder, self.name, self.schema = folder, name, schema
        self.cols: dict[str, list] = {n: [] for n in schema.names}
        self.rows = 0
        self.total = 0
        self.files = 0

    def add(self, row: dict[str, Any]) -> None:
        for n, col in self.cols.items():
            col.append(row.get(n))
        self.rows += 1
        if self.rows >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        table = pa.Table.from_pydict(self.cols, schema=self.schema)
        pq.write_table(table, self.folder / f"{self.name}-{self.files:06d}.parquet", compression="zstd")
        self.files += 1
        self.total += self.rows
        self.rows = 0
        for col in self.cols.values():
            col.clear()

    def glob(self) -> str | None:
        return str(self.folder / f"{self.name}-*.parquet") if self.files else None


def ingest_file(
    ws: "Workspace",
    path: str | Path,
    *,
    format: str | None = None,
    source: str | None = None,
    options: dict[str, Any] | None = None,
    on_record: Callable[[int], None] | None = None,
) -> IngestResult:
    path = Path(path)
    if not path.exists():
        raise MarsadError(f"{path}: no such file")
    if path.is_dir():
        raise MarsadError(f"{path}: is a folder; give the files inside it (e.g. {path}/*.jsonl)")
    t0 = time.perf_counter()
    sha = sha256_file(path)
    dataset_id = "d" + sha[:16]
    row = ws.con.execute(
        "SELECT format, platform, n_read, n_loaded, n_duplicate, n_quarantined, n_embedded, n_repaired,"
        " n_account_obs FROM datasets WHERE sha256 = ?",
        [sha],
    ).fetchone()
    if row:
        return IngestResult(str(path), dataset_id, row[0], row[1], True, *row[2:])

    reader_cls = get_reader(format) if format else detect(path)
    reader = reader_cls(path, **(options or {}))

    staging = ws.path.parent / f".marsad-staging-{dataset_id}"
    shutil.rmtree(staging, ignore_errors=True)  # leftovers of a killed run
    staging.mkdir(parents=True)
    try:
        posts = _Stage(staging, "posts", POST_SCHEMA)
        accounts = _Stage(staging, "accounts", ACCOUNT_SCHEMA)
        quarantine = _Stage(staging, "quarantine", QUARANTINE_SCHEMA)
        n_read = n_repaired = 0
        for item in reader.records():
            n_read += 1
            if isinstance(item, Rejected):
                quarantine.add({"record_position": item.position, "reason": item.reason, "excerpt": item.excerpt})
            elif isinstance(item, Parsed):
                for i, post in enumerate(item.posts):
                    post["embedded"] = i > 0
                    if post.get("record_position") is None:
                        post["record_position"] = item.position
                    if post.pop("_repaired", False) and i == 0:
                        n_repaired += 1
                    posts.add(post)
                for acc in item.accounts:
                    if acc.get("record_position") is None:
                        acc["record_position"] = item.position
                    accounts.add(acc)
            else:  # a reader bug, not bad input: say so plainly
                raise TypeError(f"reader {reader_cls.name} yielded {type(item).__name__}")
            if on_record is not None and n_read % 1000 == 0:
                on_record(n_read)
        for st in (posts, accounts, quarantine):
            st.flush()
        if on_record is not None:
            on_record(n_read)
        result = _commit(
            ws, dataset_id, path, sha, reader_cls, source, staging, posts, accounts, quarantine, n_read, n_repaired
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = round(time.perf_counter() - t0, 3)
    ws.con.execute("UPDATE datasets SET seconds = ? WHERE dataset_id = ?", [result.seconds, dataset_id])
    return result


def _commit(ws, dataset_id, path, sha, reader_cls, source, staging, posts, accounts, quarantine, n_read, n_repaired):
    con = ws.con
    post_cols = ", ".join(POST_SCHEMA.names)
    con.execute("BEGIN TRANSACTION")
    try:
        n_primary = n_loaded = n_embedded = 0
        if posts.glob():
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE stg AS
                SELECT * FROM read_parquet('{posts.glob()}')"""
            )
            n_primary = con.execute("SELECT count(*) FROM stg WHERE NOT embedded").fetchone()[0]
            # one row per post: the primary record beats an embedded copy, the first occurrence beats later ones
            con.execute(
                """CREATE OR REPLACE TEMP TABLE stg_u AS
                SELECT * EXCLUDE (rn) FROM (
                  SELECT *, row_number() OVER (PARTITION BY platform, post_id
                                               ORDER BY embedded, record_position) AS rn FROM stg)
                WHERE rn = 1"""
            )
            # posts known only as embedded copies are replaced by the primary record now seen
            con.execute(
                """DELETE FROM posts WHERE embedded AND (platform, post_id) IN
                   (SELECT platform, post_id FROM stg_u WHERE NOT embedded)"""
            )
            counts = con.execute(
                f"""INSERT INTO posts ({post_cols}, dataset_id)
                SELECT {', '.join('s.' + c for c in POST_SCHEMA.names)}, ? FROM stg_u s
                ANTI JOIN posts p ON p.platform = s.platform AND p.post_id = s.post_id
                RETURNING embedded""",
                [dataset_id],
            ).fetchall()
            n_loaded = sum(1 for (e,) in counts if not e)
            n_embedded = len(counts) - n_loaded
            con.execute("DROP TABLE stg")
            con.execute("DROP TABLE stg_u")
        n_account_obs = 0
        if accounts.glob():
            attrs = ", ".join(ACCOUNT_ATTRS)
            n_account_obs = con.execute(
                f"""INSERT INTO account_snapshots ({attrs}, first_observed, last_observed, n_observations,
                        record_position, dataset_id)
                SELECT {attrs}, min(observed_at), max(observed_at), count(*), min(record_position), ?
                FROM read_parquet('{accounts.glob()}')
                WHERE account_id IS NOT NULL
                GROUP BY {attrs}""",
                [dataset_id],
            ).fetchone()[0]
        if quarantine.glob():
            con.execute(
                f"""INSERT INTO quarantine SELECT ?, record_position, reason, excerpt
                FROM read_parquet('{quarantine.glob()}')""",
                [dataset_id],
            )
        n_quarantined = quarantine.total
        n_duplicate = n_primary - n_loaded
        n_loaded = n_read - n_quarantined - n_duplicate  # records without a post (e.g. user lookups) count as loaded
        con.execute(
            """INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)""",
            [
                dataset_id, str(path.resolve()), path.stat().st_size, sha, reader_cls.name, reader_cls.platform,
                datetime.now(timezone.utc), source, n_read, n_loaded, n_duplicate, n_quarantined, n_embedded,
                n_repaired, n_account_obs,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IngestResult(
        str(path), dataset_id, reader_cls.name, reader_cls.platform, False, n_read, n_loaded, n_duplicate,
        n_quarantined, n_embedded, n_repaired, n_account_obs,
    )
