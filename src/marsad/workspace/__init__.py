"""The workspace: one DuckDB file holding everything marsad knows, and the Python API over it.

>>> from marsad import Workspace
>>> ws = Workspace("study.duckdb")
>>> ws.ingest(["tweets.jsonl.gz"], source="collected by X, 2015")
>>> ws.sql("SELECT count(*) FROM posts").df()
"""
from __future__ import annotations

import json
import os
import secrets
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import MarsadError, WorkspaceError
from .ingest import IngestResult, ingest_file
from .schema import MIGRATIONS, SCHEMA_VERSION

DEFAULT_PATH = "marsad.duckdb"

EVIDENCE_COLUMNS = (
    "subject_type", "platform", "subject_id", "label", "score", "ci_low", "ci_high", "refs", "details",
)


_REF_TYPE = pa.struct([("kind", pa.string()), ("id", pa.string()), ("weight", pa.float64()), ("note", pa.string())])
EVIDENCE_SCHEMA = pa.schema([
    ("subject_type", pa.string()), ("platform", pa.string()), ("subject_id", pa.string()), ("label", pa.string()),
    ("score", pa.float64()), ("ci_low", pa.float64()), ("ci_high", pa.float64()), ("refs", pa.list_(_REF_TYPE)),
    ("details", pa.string()),
])


def _ref(r: Any) -> dict[str, Any]:
    w = r.get("weight")
    return {"kind": None if r.get("kind") is None else str(r["kind"]), "id": None if r.get("id") is None else str(r["id"]),
            "weight": None if w is None else float(w), "note": None if r.get("note") is None else str(r["note"])}


def _evidence_table(df: pd.DataFrame) -> pa.Table:
    """Evidence rows as Arrow with the contract's exact types (refs entries coerced, so all-NULL weights insert)."""
    cols = {c: df[c].tolist() for c in EVIDENCE_COLUMNS}
    cols["refs"] = [None if refs is None or (isinstance(refs, float) and refs != refs) else [_ref(r) for r in refs]
                    for refs in cols["refs"]]
    for c in ("subject_type", "platform", "subject_id", "label"):
        cols[c] = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in cols[c]]
    for c in ("score", "ci_low", "ci_high"):
        cols[c] = [None if v is None or v != v else float(v) for v in cols[c]]
    return pa.Table.from_pydict(cols, schema=EVIDENCE_SCHEMA)


def resolve_path(path: str | os.PathLike | None) -> Path:
    return Path(path or os.environ.get("MARSAD_WORKSPACE") or DEFAULT_PATH)


class Workspace:
    """A marsad workspace file. Opening a new path creates it; opening an old one migrates it."""

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False, create: bool = True):
        self.path = resolve_path(path).resolve()
        self.read_only = read_only
        if not self.path.exists():
            if read_only or not create:
                raise WorkspaceError(
                    f"no workspace at {self.path}", hint="run `marsad ingest FILE` first, or pass --workspace PATH"
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as e:
            raise WorkspaceError(f"cannot open workspace {self.path}: {str(e).splitlines()[0]}") from None
        except duckdb.Error as e:
            raise WorkspaceError(f"{self.path} is not a marsad workspace: {str(e).splitlines()[0]}") from None
        self._migrate()

    # --- lifecycle ------------------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        tables = {r[0] for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        version = 0
        if "meta" in tables:
            row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
        elif tables:
            raise WorkspaceError(f"{self.path} is a DuckDB file but not a marsad workspace")
        if version > SCHEMA_VERSION:
            raise WorkspaceError(
                f"{self.path} has schema version {version}; this marsad knows up to {SCHEMA_VERSION}",
                hint="upgrade marsad",
            )
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            raise WorkspaceError(f"{self.path} needs a schema migration; open it once without read-only")
        self.con.execute("BEGIN TRANSACTION")
        try:
            for stmts in MIGRATIONS[version:]:
                for sql in stmts:
                    self.con.execute(sql)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            self.con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('pseudonym_key', ?)", [secrets.token_hex(32)]
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])

    @property
    def pseudonym_key(self) -> bytes:
        return bytes.fromhex(self.con.execute("SELECT value FROM meta WHERE key='pseudonym_key'").fetchone()[0])

    # --- ingest ---------------------------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[str | os.PathLike],
        *,
        format: str | None = None,
        source: str | None = None,
        options: dict[str, Any] | None = None,
        on_record=None,
    ) -> list[IngestResult]:
        """Ingest files; each file is one atomic transaction. Returns one result per file."""
        if self.read_only:
            raise WorkspaceError("workspace is open read-only")
        return [
            ingest_file(self, p, format=format, source=source, options=options, on_record=on_record) for p in paths
        ]

    # --- queries --------------------------------------------------------------------------------------------------
    def sql(self, query: str, params: Sequence[Any] | None = None) -> duckdb.DuckDBPyRelation | None:
        return self.con.sql(query, params=params) if params else self.con.sql(query)

    def df(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(query, params or []).df()

    def arrow(self, query: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.con.execute(query, params or []).fetch_arrow_table()

    def info(self) -> dict[str, pd.DataFrame]:
        """Summary tables: datasets, per platform/language counts, date range, quarantine reasons."""
        return {
            "datasets": self.df(
                """SELECT dataset_id, regexp_extract(path, '[^/]+$') AS file, format, platform, n_read, n_loaded,
                          n_duplicate, n_quarantined, n_embedded, n_repaired, source_note
                   FROM datasets ORDER BY imported_at"""
            ),
            "platforms": self.df(
                """SELECT platform, count(*) FILTER (WHERE NOT embedded) AS posts,
                          count(*) FILTER (WHERE embedded) AS embedded_posts,
                          count(DISTINCT account_id) AS accounts,
                          min(created_at) AS first_post, max(created_at) AS last_post
                   FROM posts GROUP BY platform ORDER BY posts DESC"""
            ),
            "languages": self.df(
                """SELECT coalesce(lang, '(none)') AS lang, count(*) AS posts FROM posts WHERE NOT embedded
                   GROUP BY 1 ORDER BY posts DESC LIMIT 15"""
            ),
            "quarantine": self.df(
                """SELECT regexp_replace(reason, '[0-9]+', 'N', 'g') AS reason, count(*) AS records
                   FROM quarantine GROUP BY 1 ORDER BY records DESC LIMIT 20"""
            ),
        }

    def quarantine(self, dataset_id: str | None = None, limit: int | None = 100) -> pd.DataFrame:
        q = """SELECT q.dataset_id, regexp_extract(d.path, '[^/]+$') AS file, q.record_position, q.reason, q.excerpt
               FROM quarantine q JOIN datasets d USING (dataset_id)"""
        params: list[Any] = []
        if dataset_id:
            q += " WHERE q.dataset_id = ?"
            params.append(dataset_id)
        q += " ORDER BY d.imported_at, q.record_position"
        if limit:
            q += f" LIMIT {int(limit)}"
        return self.df(q, params)

    # --- evidence -------------------------------------------------------------------------------------------------
    def write_evidence(
        self,
        signal: str,
        version: str,
        rows: pd.DataFrame | pa.Table,
        *,
        params: dict[str, Any] | None = None,
        note: str | None = None,
        replace: bool = True,
    ) -> str:
        """Record one run of a signal and its evidence rows (see docs/evidence.md for the contract).

        ``rows`` has the columns in ``EVIDENCE_COLUMNS`` (missing ones are NULL). With ``replace`` (default) the
        previous rows of the same signal are removed in the same transaction, so the table holds the latest run.
        """
        if self.read_only:
            raise WorkspaceError("workspace is open read-only")
        df = rows.to_pandas() if isinstance(rows, pa.Table) else rows.copy()
        for col in EVIDENCE_COLUMNS:
            if col not in df.columns:
                df[col] = None
        unknown = set(df.columns) - set(EVIDENCE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown evidence columns: {sorted(unknown)}")
        df["details"] = [
            d if d is None or isinstance(d, str) else json.dumps(d, ensure_ascii=False, default=str)
            for d in df["details"]
        ]
        run_id = f"{signal}-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        now = datetime.now(timezone.utc)
        self.con.execute("BEGIN TRANSACTION")
        try:
            if replace:
                self.con.execute("DELETE FROM evidence WHERE signal = ?", [signal])
            self.con.register("_ev", _evidence_table(df))
            self.con.execute(
                f"""INSERT INTO evidence SELECT ?, ?, ?, {', '.join(EVIDENCE_COLUMNS)}, ? FROM _ev""",
                [run_id, signal, version, now],
            )
            self.con.unregister("_ev")
            self.con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, signal, version, json.dumps(params or {}, default=str), now, datetime.now(timezone.utc),
                 len(df), note],
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return run_id

    def evidence(self, signal: str | None = None, subject_id: str | None = None) -> pd.DataFrame:
        q, params = "SELECT * FROM evidence WHERE true", []
        if signal:
            q += " AND signal = ?"
            params.append(signal)
        if subject_id:
            q += " AND subject_id = ?"
            params.append(subject_id)
        return self.df(q + " ORDER BY signal, subject_type, score DESC NULLS LAST", params)

    def has_table(self, name: str) -> bool:
        """Whether a table or view of that name exists (signals create their result tables on first run)."""
        return bool(self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])

    def require_posts(self) -> int:
        n = self.con.execute("SELECT count(*) FROM posts").fetchone()[0]
        if not n:
            raise MarsadError(f"workspace {self.path} has no posts", hint="run `marsad ingest FILE` first")
        return n
