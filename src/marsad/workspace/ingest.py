"""Idempotent, atomic ingest of one file into the workspace.

1. The file's sha256 is looked up: a file already ingested adds nothing.
2. The reader streams records; parsed posts and account observations are buffered in bounded batches and written
   as zstd-compressed JSON lines to a staging folder beside the workspace (:mod:`.staging`); rejected records are
   staged too. Large plain line files are cut into byte ranges at line ends, parsed by worker processes; their
   sha256 is computed beside the workers (a file of a size never ingested cannot be a file already ingested),
   and the workers number lines within their range, made into line numbers at the commit.
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
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FunctionType
from typing import TYPE_CHECKING, Any, Callable, Iterator

from ..errors import MarsadError
from ..readers import detect, get_reader
from ..readers.io import READ_BUFFER
from ..records import ACCOUNT_SCHEMA, POST_SCHEMA
from .staging import KEY_SCHEMA, QUARANTINE_SCHEMA, Counts, Sink, staged_sql

if TYPE_CHECKING:
    from . import Workspace

PARALLEL_MIN_BYTES = 64 << 20  # plain line files above this are parsed in worker processes
WORKERS = min(os.cpu_count() or 1, 8)
BLOCK_BYTES = 4 << 20  # what a worker hands a block kernel at a time
# DuckDB goes some way past its limit (its JSON read buffers): at 600 MB the 2M-tweet commit reached 919 MiB RSS,
# at 450 MB 697 MiB, no slower
COMMIT_MEMORY = "450MB"
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
    #: wall seconds: scan (hashing before the parse, or waiting for the hash after it), parse, commit
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sha256(path: Path, size: int, stop: threading.Event | None = None) -> str:
    """sha256 of the file's first ``size`` bytes (its size when the ingest began: bytes appended meanwhile are not
    parsed either). hashlib and file reads release the GIL, so this can run in a thread beside the parse."""
    h = hashlib.sha256()
    buf = bytearray(1 << 22)
    view = memoryview(buf)
    left = size
    with open(path, "rb", buffering=0) as f:
        while left > 0 and (n := f.readinto(buf)):
            n = min(n, left)
            h.update(view[:n])
            left -= n
            if stop is not None and stop.is_set():
                return ""
    return h.hexdigest()


class _ShaThread(threading.Thread):
    """The file's sha256, computed while the workers parse; ``result()`` waits for it."""

    def __init__(self, path: Path, size: int):
        super().__init__(daemon=True)
        self.path, self.size, self.stop, self.sha, self.error = path, size, threading.Event(), "", None

    def run(self) -> None:
        try:
            self.sha = _sha256(self.path, self.size, self.stop)
        except OSError as e:
            self.error = e

    def result(self) -> str:
        self.join()
        if self.error is not None:
            raise MarsadError(f"{self.path}: cannot read ({self.error})")
        return self.sha


def _cut(path: Path, size: int, chunk: int) -> list[tuple[int, int]]:
    """Byte ranges of about ``chunk`` bytes, each ending just after a newline (the last one at the end of the
    file). Only the bytes around each cut are read: the ranges are known before the file has been scanned."""
    ranges: list[tuple[int, int]] = []
    start = 0
    with open(path, "rb") as f:
        while start < size:
            end = pos = start + chunk
            if pos < size:
                f.seek(pos)
                while True:
                    block = f.read(1 << 16)
                    if not block:
                        end = size
                        break
                    nl = block.find(b"\n")
                    if nl >= 0:
                        end = pos + nl + 1
                        break
                    pos += len(block)
            end = min(end, size)
            ranges.append((start, end))
            start = end
    return ranges


def _parse_range(args: tuple) -> Counts:
    """Worker: run a line reader's kernel over one byte range of a plain file, staging its own files. Positions are
    numbered from ``first_line``; ``n_lines`` says how many lines the range held."""
    reader_cls, path, options, start, end, first_line, folder, prefix = args
    sink = Sink(Path(folder), reader_cls.name, prefix)
    kernel = reader_cls.parse_line
    block = getattr(reader_cls, "parse_block", None)
    if block is not None and os.environ.get("MARSAD_NATIVE", "1") != "0":
        lineno = _parse_blocks(sink, block, kernel, path, options, start, end, first_line)
    else:
        left = end - start
        lineno = first_line - 1
        with open(path, "rb", buffering=READ_BUFFER) as f:
            f.seek(start)
            for lineno, line in enumerate(f, start=first_line):
                for item in kernel(line, lineno, options):
                    sink.add(item)
                left -= len(line)
                if left <= 0:
                    break
    counts = sink.close()
    counts.n_lines = lineno - first_line + 1
    return counts


def _parse_blocks(sink: Sink, block: Callable, kernel: Callable, path: str, options: dict, start: int, end: int,
                  first_line: int) -> int:
    """A byte range through a reader's block kernel (many lines at a time, natively), in blocks of whole lines read
    into one reused buffer; the lines it hands back go through the per-line kernel. Returns the last line number."""
    line = first_line
    buf = bytearray(BLOCK_BYTES)
    view = memoryview(buf)
    filled = 0  # bytes at the start of buf: the unfinished line carried over from the last block
    with open(path, "rb", buffering=0) as f:
        f.seek(start)
        left = end - start
        while left > 0 or filled:
            if filled == len(buf):  # a line longer than the buffer
                view.release()
                buf.extend(bytes(len(buf)))
                view = memoryview(buf)
            n = f.readinto(view[filled:filled + min(len(buf) - filled, left)]) if left > 0 else 0
            left = left - n if n else 0  # a file cut short ends the range
            total = filled + n
            cut = buf.rfind(b"\n", 0, total) + 1 if left > 0 else total
            if cut:
                posts, keys, n_posts, accounts, n_accounts, n_done, rest = block(view[:cut], line, options)
                sink.add_rows(posts, keys, n_posts, accounts, n_accounts, n_done)
                for lineno, a, b in rest:
                    for item in kernel(bytes(view[a:b]), lineno, options):
                        sink.add(item)
                line += n_done + len(rest)
                buf[:total - cut] = bytes(view[cut:total])  # a copy: the two ranges may overlap
            filled = total - cut
    view.release()
    return line - 1


def _run_workers(jobs: list[dict]) -> Iterator[tuple[int, Counts]]:
    """Run jobs on WORKERS parse-worker processes, handing out the next job as each one finishes; yields
    (job number, counts) as they finish."""
    n = min(WORKERS, len(jobs))
    procs = [
        subprocess.Popen([sys.executable, "-m", "marsad.workspace.parse_worker"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1)
        for _ in range(n)
    ]
    pending = iter(enumerate(jobs))
    busy: dict[int, tuple[Any, int]] = {}  # stdout fd -> (process, job number)
    try:
        for p in procs:
            nxt = next(pending, None)
            if nxt is not None:
                p.stdin.write(json.dumps(nxt[1]) + "\n")
                busy[p.stdout.fileno()] = (p, nxt[0])
        while busy:
            ready, _, _ = select.select(list(busy), [], [])
            for fd in ready:
                p, i = busy.pop(fd)
                line = p.stdout.readline()
                if not line:
                    raise RuntimeError(f"parse worker exited with code {p.wait()}")
                yield i, Counts(**json.loads(line))
                nxt = next(pending, None)
                if nxt is not None:
                    p.stdin.write(json.dumps(nxt[1]) + "\n")
                    busy[fd] = (p, nxt[0])
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
    stat = path.stat()
    size = stat.st_size
    reader_cls = get_reader(format) if format else None
    # detection reads only the head
    if reader_cls is None:
        try:
            reader_cls = detect(path)
        except MarsadError:
            reader_cls = None  # a file already ingested is reported as such even if detection would fail
    parallel = reader_cls is not None and _parallel_ok(reader_cls, path, size)
    # ranges of 32-128 MB: enough work per job, and a short tail when the last worker finishes alone
    ranges = _cut(path, size, max(PARALLEL_MIN_BYTES // 2, min(PARALLEL_MIN_BYTES * 2, size // (WORKERS * 8)))) \
        if parallel else []
    parallel = len(ranges) > 1
    sha_thread = None
    if parallel and not ws.con.execute("SELECT 1 FROM datasets WHERE size_bytes = ?", [size]).fetchone():
        # a file of a size never seen cannot be one already ingested: hash it while the workers parse
        sha_thread = _ShaThread(path, size)
        sha_thread.start()
        sha = ""
    else:
        sha = _sha256(path, size)
        present = _already_present(ws, path, sha)
        if present is not None:
            return present
    t_scan = time.perf_counter()
    if reader_cls is None:
        reader_cls = detect(path)  # raises the detection error

    key = hashlib.sha1(f"{path.resolve()}|{size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    staging = ws.path.parent / f".marsad-staging-{key}"
    shutil.rmtree(staging, ignore_errors=True)  # leftovers of a killed run
    staging.mkdir(parents=True)
    try:
        counts, offsets = Counts(), None
        if parallel:
            jobs = [{"reader": reader_cls.name, "path": str(path), "options": options or {}, "start": s, "end": e,
                     "line": 1, "folder": str(staging), "prefix": f"c{i:05d}-"}
                    for i, (s, e) in enumerate(ranges)]
            lines = [0] * len(jobs)
            for i, c in _run_workers(jobs):
                counts += c
                lines[i] = c.n_lines
                if on_record is not None:
                    on_record(counts.n_read)
            offsets = [sum(lines[:i]) for i in range(len(lines))]
        else:
            reader = reader_cls(path, **(options or {}))
            sink = Sink(staging, reader_cls.name)
            for item in reader.records():
                sink.add(item)
                if on_record is not None and sink.counts.n_read % 1000 == 0:
                    on_record(sink.counts.n_read)
            counts = sink.close()
            if on_record is not None:
                on_record(counts.n_read)
        t_parse = time.perf_counter()
        if sha_thread is not None:
            sha = sha_thread.result()
            present = _already_present(ws, path, sha)  # another process may have ingested it meanwhile
            if present is not None:
                return present
        t_hash = time.perf_counter()
        result = _commit(ws, "d" + sha[:16], path, size, sha, reader_cls, source, staging, counts, offsets)
        # wall seconds: hashing before parsing (or waiting for the hash after it), parsing, committing
        result.phases = {"scan": round(t_scan - t0 + t_hash - t_parse, 2), "parse": round(t_parse - t_scan, 2),
                         "commit": round(time.perf_counter() - t_hash, 2)}
    except BaseException:
        if sha_thread is not None:
            sha_thread.stop.set()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result.seconds = round(time.perf_counter() - t0, 3)
    ws.con.execute("UPDATE datasets SET seconds = ? WHERE dataset_id = ?", [result.seconds, result.dataset_id])
    return result


def _already_present(ws: "Workspace", path: Path, sha: str) -> IngestResult | None:
    row = ws.con.execute(
        "SELECT format, platform, n_read, n_loaded, n_duplicate, n_quarantined, n_embedded, n_repaired,"
        " n_account_obs FROM datasets WHERE sha256 = ?",
        [sha],
    ).fetchone()
    return IngestResult(str(path), "d" + sha[:16], row[0], row[1], True, *row[2:]) if row else None


def _commit(ws, dataset_id, path, size, sha, reader_cls, source, staging, counts: Counts,
            offsets: list[int] | None) -> IngestResult:
    con = ws.con
    post_cols = ", ".join(POST_SCHEMA.names)
    # bounded memory whatever the file size: DuckDB spills to its temporary directory beside the workspace (its
    # default, <workspace>.tmp; it cannot be switched once a commit has spilled, so it is left as it is)
    old_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{COMMIT_MEMORY}'")
    con.execute("BEGIN TRANSACTION")
    try:
        n_primary = n_loaded = n_embedded = 0
        if counts.n_post_rows:
            stg = staged_sql(staging, "posts", POST_SCHEMA, offsets)
            con.execute(f"""CREATE OR REPLACE TEMP TABLE stg_keys AS
                            SELECT * FROM {staged_sql(staging, "keys", KEY_SCHEMA, offsets)}""")
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
                FROM {staged_sql(staging, "accounts", ACCOUNT_SCHEMA, offsets)}
                WHERE account_id IS NOT NULL
                GROUP BY {attrs}""",
                [dataset_id],
            ).fetchone()[0]
        if counts.n_quarantined:
            con.execute(
                f"""INSERT INTO quarantine SELECT ?, record_position, reason, excerpt
                FROM {staged_sql(staging, "quarantine", QUARANTINE_SCHEMA, offsets)} ORDER BY record_position""",
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
