"""Idempotent, atomic ingest of one file into the workspace.

1. The file's sha256 is looked up: a file already ingested adds nothing.
2. The reader streams records; parsed posts and account observations are buffered in bounded batches and written
   as zstd-compressed JSON lines to a staging folder beside the workspace; rejected records are staged too. Large
   plain line files are split into line-aligned byte ranges parsed by worker processes.
3. One DuckDB transaction merges the staging files into the workspace (duplicate posts across and within files are
   merged, not doubled; a post first seen embedded is replaced by its primary record) and records the dataset row
   with its counts. A crash or Ctrl-C before the commit leaves the workspace as it was; re-running completes it.

Counts reconcile per file: ``n_read = n_loaded + n_duplicate + n_quarantined``.
"""
from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import sys
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any, Callable, Iterator

import orjson
import pyarrow as pa

from ..errors import MarsadError
from ..readers import detect, get_reader
from ..records import ACCOUNT_SCHEMA, POST_SCHEMA, Parsed, Rejected, excerpt
from .schema import DUCK_TYPES

if TYPE_CHECKING:
    from . import Workspace

BATCH_ROWS = 20_000
MAX_ROW_BYTES = 32 << 20  # one staged post or account row (Twitter allows 25,000 characters, Facebook 63,206)
PARALLEL_MIN_BYTES = 64 << 20  # plain line files above this are parsed in worker processes
WORKERS = min(os.cpu_count() or 1, 8)
COMMIT_MEMORY = "600MB"
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
    phases: dict[str, float] = field(default_factory=dict)  # seconds: scan (sha256), parse, commit

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_default(value: Any) -> Any:
    """orjson fallback for values a reader may hand over that are not plain JSON types (numpy/pandas scalars)."""
    if isinstance(value, datetime):  # e.g. a pandas Timestamp; naive means UTC, as for plain datetimes
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    item = getattr(value, "item", None)
    if item is not None:
        return item()
    raise TypeError(f"cannot stage a {type(value).__name__}")


def _row(row: dict[str, Any]) -> bytes:
    return orjson.dumps(row, default=_json_default, option=orjson.OPT_NAIVE_UTC)


class _Stage:
    """Buffers rows as JSON lines and flushes them to numbered zstd-compressed files, so memory stays bounded.

    The commit reads them with DuckDB's ``read_json`` and the schema's column types (unknown keys are ignored,
    missing ones are NULL). Serialising a row with orjson costs about a third of building Arrow tables from Python
    dicts, which was a quarter of the parse time."""

    def __init__(self, folder: Path, name: str, schema: pa.Schema, prefix: str = ""):
        self.folder, self.name, self.schema, self.prefix = folder, name, schema, prefix
        self.buf: list[bytes] = []
        self.total = 0
        self.files = 0

    def add(self, row: dict[str, Any]) -> None:
        self.extend([_row(row)])

    def extend(self, rows: list[bytes]) -> None:
        self.buf.extend(rows)
        if len(self.buf) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.buf:
            return
        name = f"{self.name}-{self.prefix}{self.files:06d}.jsonl.zst"
        with pa.CompressedOutputStream(str(self.folder / name), "zstd") as f:
            f.write(b"\n".join(self.buf) + b"\n")
        self.files += 1
        self.total += len(self.buf)
        self.buf = []


def staged_sql(staging: Path, name: str, schema: pa.Schema) -> str:
    """SQL table function over the staged rows of one stream (posts, accounts, quarantine)."""
    cols = ", ".join(f"'{f.name}': '{DUCK_TYPES[str(f.type)]}'" for f in schema)
    glob = str(staging / f"{name}-*.jsonl.zst").replace("'", "''")
    return (f"read_json('{glob}', format = 'newline_delimited', compression = 'zstd', "
            f"columns = {{{cols}}}, maximum_object_size = {MAX_ROW_BYTES + (1 << 20)})")


@dataclass
class _Counts:
    n_read: int = 0
    n_repaired: int = 0
    n_quarantined: int = 0
    n_post_rows: int = 0
    n_account_rows: int = 0

    def __iadd__(self, other: "_Counts") -> "_Counts":
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        return self


class _Sink:
    """Where a reader's items go: three staging streams (posts, account observations, quarantine) and counts."""

    def __init__(self, folder: Path, reader_name: str, prefix: str = ""):
        self.reader_name = reader_name
        self.posts = _Stage(folder, "posts", POST_SCHEMA, prefix)
        self.accounts = _Stage(folder, "accounts", ACCOUNT_SCHEMA, prefix)
        self.quarantine = _Stage(folder, "quarantine", QUARANTINE_SCHEMA, prefix)
        self.counts = _Counts()

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
            posts, accounts = [_row(p) for p in item.posts], [_row(a) for a in item.accounts]
            biggest = max(posts + accounts, key=len, default=b"")
            if len(biggest) > MAX_ROW_BYTES:  # more than any platform allows in a post: kept out, with the reason
                reason = (f"record too large to store ({len(biggest) / 2**20:.0f} MiB in one row; the limit is "
                          f"{MAX_ROW_BYTES >> 20} MiB)")
                self.quarantine.add({"record_position": item.position, "reason": reason, "excerpt": excerpt(biggest)})
                return
            self.counts.n_repaired += repaired
            self.posts.extend(posts)
            self.accounts.extend(accounts)
        else:  # a reader bug, not bad input: say so plainly
            raise TypeError(f"reader {self.reader_name} yielded {type(item).__name__}")

    def close(self) -> _Counts:
        for st in (self.posts, self.accounts, self.quarantine):
            st.flush()
        self.counts.n_quarantined = self.quarantine.total
        self.counts.n_post_rows = self.posts.total
        self.counts.n_account_rows = self.accounts.total
        return self.counts


def _scan(path: Path, chunk_bytes: int | None) -> tuple[str, list[tuple[int, int, int]]]:
    """sha256 of the file and, if ``chunk_bytes``, line-aligned byte ranges (start, end, first line number)."""
    h = hashlib.sha256()
    ranges: list[tuple[int, int, int]] = []
    start, start_line, lines, offset = 0, 1, 0, 0
    target = chunk_bytes or 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
            if chunk_bytes:
                pos = 0
                while offset + len(block) > target:  # the next boundary falls in this block
                    nl = block.find(b"\n", max(pos, target - offset))
                    if nl < 0:
                        break
                    cut = offset + nl + 1
                    lines_before = lines + block.count(b"\n", 0, nl + 1)
                    ranges.append((start, cut, start_line))
                    start, start_line = cut, lines_before + 1
                    pos = nl + 1
                    target = cut + chunk_bytes
                lines += block.count(b"\n")
            offset += len(block)
    if chunk_bytes and start < offset:
        ranges.append((start, offset, start_line))
    return h.hexdigest(), ranges


def _parse_range(args: tuple) -> _Counts:
    """Worker: run a line reader's kernel over one byte range of a plain file, staging its own Parquet files."""
    reader_cls, path, options, start, end, first_line, folder, prefix = args
    sink = _Sink(Path(folder), reader_cls.name, prefix)
    kernel = reader_cls.parse_line
    left = end - start
    with open(path, "rb") as f:
        f.seek(start)
        for lineno, line in enumerate(f, start=first_line):
            for item in kernel(line, lineno, options):
                sink.add(item)
            left -= len(line)
            if left <= 0:
                break
    return sink.close()


def _run_workers(jobs: list[dict]) -> Iterator[_Counts]:
    """Run jobs on WORKERS parse-worker processes, handing out the next job as each one finishes."""
    n = min(WORKERS, len(jobs))
    procs = [
        subprocess.Popen([sys.executable, "-m", "marsad.workspace.parse_worker"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1)
        for _ in range(n)
    ]
    pending = iter(jobs)
    busy: dict[int, Any] = {}
    try:
        for p in procs:
            job = next(pending, None)
            if job is not None:
                p.stdin.write(json.dumps(job) + "\n")
                busy[p.stdout.fileno()] = p
        while busy:
            ready, _, _ = select.select(list(busy), [], [])
            for fd in ready:
                p = busy.pop(fd)
                line = p.stdout.readline()
                if not line:
                    raise RuntimeError(f"parse worker exited with code {p.wait()}")
                yield _Counts(**json.loads(line))
                job = next(pending, None)
                if job is not None:
                    p.stdin.write(json.dumps(job) + "\n")
                    busy[fd] = p
    finally:
        for p in procs:
            if p.poll() is None:
                try:
                    p.stdin.close()
                except OSError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def _parallel_ok(reader_cls: type, path: Path, size: int) -> bool:
    if not isinstance(getattr(reader_cls, "parse_line", None), FunctionType) or size < PARALLEL_MIN_BYTES:
        return False
    if WORKERS < 2:
        return False
    splittable = getattr(reader_cls, "splittable", None)  # e.g. a pretty-printed JSON file is not
    if splittable is not None and not splittable(path):
        return False
    with open(path, "rb") as f:
        head = f.read(4096)
    return head[:2] != b"\x1f\x8b" and head[:3] != b"BZh" and head[:4] != b"PK\x03\x04" and head.lstrip()[:1] == b"{"


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
    size = path.stat().st_size
    reader_cls = get_reader(format) if format else None
    # detection reads only the head; the sha256 pass also finds line-aligned ranges for parallel parsing
    if reader_cls is None:
        try:
            reader_cls = detect(path)
        except MarsadError:
            reader_cls = None  # a file already ingested is reported as such even if detection would fail
    parallel = reader_cls is not None and _parallel_ok(reader_cls, path, size)
    # ranges of 32-128 MB: enough work per job, and a short tail when the last worker finishes alone
    chunk = max(PARALLEL_MIN_BYTES // 2, min(PARALLEL_MIN_BYTES * 2, size // (WORKERS * 8))) if parallel else None
    sha, ranges = _scan(path, chunk)
    t_scan = time.perf_counter()
    dataset_id = "d" + sha[:16]
    row = ws.con.execute(
        "SELECT format, platform, n_read, n_loaded, n_duplicate, n_quarantined, n_embedded, n_repaired,"
        " n_account_obs FROM datasets WHERE sha256 = ?",
        [sha],
    ).fetchone()
    if row:
        return IngestResult(str(path), dataset_id, row[0], row[1], True, *row[2:])
    if reader_cls is None:
        reader_cls = detect(path)  # raises the detection error

    staging = ws.path.parent / f".marsad-staging-{dataset_id}"
    shutil.rmtree(staging, ignore_errors=True)  # leftovers of a killed run
    staging.mkdir(parents=True)
    try:
        counts = _Counts()
        if parallel and len(ranges) > 1:
            jobs = [{"reader": reader_cls.name, "path": str(path), "options": options or {}, "start": s, "end": e,
                     "line": ln, "folder": str(staging), "prefix": f"c{i:05d}-"}
                    for i, (s, e, ln) in enumerate(ranges)]
            for c in _run_workers(jobs):
                counts += c
                if on_record is not None:
                    on_record(counts.n_read)
        else:
            reader = reader_cls(path, **(options or {}))
            sink = _Sink(staging, reader_cls.name)
            for item in reader.records():
                sink.add(item)
                if on_record is not None and sink.counts.n_read % 1000 == 0:
                    on_record(sink.counts.n_read)
            counts = sink.close()
            if on_record is not None:
                on_record(counts.n_read)
        t_parse = time.perf_counter()
        result = _commit(ws, dataset_id, path, size, sha, reader_cls, source, staging, counts)
        result.phases = {"scan": round(t_scan - t0, 2), "parse": round(t_parse - t_scan, 2),
                         "commit": round(time.perf_counter() - t_parse, 2)}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = round(time.perf_counter() - t0, 3)
    ws.con.execute("UPDATE datasets SET seconds = ? WHERE dataset_id = ?", [result.seconds, dataset_id])
    return result


def _commit(ws, dataset_id, path, size, sha, reader_cls, source, staging, counts: _Counts) -> IngestResult:
    con = ws.con
    post_cols = ", ".join(POST_SCHEMA.names)
    # bounded memory whatever the file size: DuckDB spills the de-duplication to the staging folder
    old_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{COMMIT_MEMORY}'")
    spill = str(staging / "spill").replace("'", "''")
    con.execute(f"SET temp_directory = '{spill}'")
    con.execute("BEGIN TRANSACTION")
    try:
        n_primary = n_loaded = n_embedded = 0
        if counts.n_post_rows:
            stg = staged_sql(staging, "posts", POST_SCHEMA)
            # staged rows are read twice: once for their keys, once to insert them
            con.execute(f"""CREATE OR REPLACE TEMP TABLE stg_keys AS
                            SELECT platform, post_id, embedded, record_position FROM {stg}""")
            # one row per post: the primary record beats an embedded copy, the first occurrence beats later ones.
            # Only the few post ids seen more than once are ranked, on key columns (ranking whole rows spills).
            con.execute(
                """CREATE OR REPLACE TEMP TABLE stg_dup AS
                SELECT platform, post_id, min(struct_pack(e := embedded, r := record_position)) AS keep
                FROM stg_keys GROUP BY platform, post_id HAVING count(*) > 1"""
            )
            n_primary = con.execute("SELECT count(*) FROM stg_keys WHERE NOT embedded").fetchone()[0]
            # posts known only as embedded copies are replaced by the primary record now seen
            con.execute(
                """DELETE FROM posts WHERE embedded AND (platform, post_id) IN
                   (SELECT platform, post_id FROM stg_keys WHERE NOT embedded)"""
            )
            con.execute(
                f"""INSERT INTO posts ({post_cols}, dataset_id)
                SELECT {', '.join('s.' + c for c in POST_SCHEMA.names)}, ? FROM {stg} s
                LEFT JOIN stg_dup d ON d.platform = s.platform AND d.post_id = s.post_id
                WHERE (d.post_id IS NULL OR struct_pack(e := s.embedded, r := s.record_position) = d.keep)
                  AND NOT EXISTS (SELECT 1 FROM posts p WHERE p.platform = s.platform AND p.post_id = s.post_id)""",
                [dataset_id],
            )
            n_loaded, n_embedded = con.execute(
                "SELECT count(*) FILTER (WHERE NOT embedded), count(*) FILTER (WHERE embedded) FROM posts"
                " WHERE dataset_id = ?", [dataset_id]
            ).fetchone()
            con.execute("DROP TABLE stg_keys")
            con.execute("DROP TABLE stg_dup")
        n_account_obs = 0
        if counts.n_account_rows:
            attrs = ", ".join(ACCOUNT_ATTRS)
            n_account_obs = con.execute(
                f"""INSERT INTO account_snapshots ({attrs}, first_observed, last_observed, n_observations,
                        record_position, dataset_id)
                SELECT {attrs}, min(observed_at), max(observed_at), count(*), min(record_position), ?
                FROM {staged_sql(staging, "accounts", ACCOUNT_SCHEMA)}
                WHERE account_id IS NOT NULL
                GROUP BY {attrs}""",
                [dataset_id],
            ).fetchone()[0]
        if counts.n_quarantined:
            con.execute(
                f"""INSERT INTO quarantine SELECT ?, record_position, reason, excerpt
                FROM {staged_sql(staging, "quarantine", QUARANTINE_SCHEMA)} ORDER BY record_position""",
                [dataset_id],
            )
        n_duplicate = n_primary - n_loaded
        n_loaded = counts.n_read - counts.n_quarantined - n_duplicate  # records without a post count as loaded
        con.execute(
            """INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)""",
            [
                dataset_id, str(path.resolve()), size, sha, reader_cls.name, reader_cls.platform,
                datetime.now(timezone.utc), source, counts.n_read, n_loaded, n_duplicate, counts.n_quarantined,
                n_embedded, counts.n_repaired, n_account_obs,
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"SET memory_limit = '{old_limit}'")
    return IngestResult(
        str(path), dataset_id, reader_cls.name, reader_cls.platform, False, counts.n_read, n_loaded, n_duplicate,
        counts.n_quarantined, n_embedded, counts.n_repaired, n_account_obs,
    )
