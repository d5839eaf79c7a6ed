"""``marsad export``: posts and accounts to Parquet, CSV or JSONL, pseudonymised unless asked otherwise."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import MarsadError
from ..workspace import Workspace
from .pseudonymise import Pseudonymiser

TABLES = {
    "posts": "SELECT * FROM posts WHERE NOT embedded ORDER BY platform, created_at, post_id",
    "accounts": "SELECT * FROM accounts ORDER BY platform, account_id",
    "evidence": "SELECT * FROM evidence ORDER BY signal, subject_type, subject_id",
}
FORMATS = ("parquet", "csv", "jsonl")


def export(ws: Workspace, table: str, fmt: str, out: Path, *, pseudonymise: bool = True) -> int:
    if table not in TABLES:
        raise MarsadError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    if fmt not in FORMATS:
        raise MarsadError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    df = ws.df(TABLES[table])
    if pseudonymise:
        p = Pseudonymiser(ws.pseudonym_key)
        if table == "posts":
            df = p.posts(df)
        elif table == "accounts":
            df = p.accounts(df)
        else:
            df["subject_id"] = df["subject_id"].map(lambda v: p(v, "acct"))
            df["refs"] = None
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), out)
    elif fmt == "jsonl":
        df.to_json(out, orient="records", lines=True, force_ascii=False, date_format="iso")
    else:
        for col in df.columns:  # CSV cannot hold lists: join them with spaces
            if df[col].map(lambda v: isinstance(v, (list, tuple)) or hasattr(v, "tolist")).any():
                df[col] = df[col].map(lambda v: None if v is None else " ".join(map(str, list(v))))
        pacsv.write_csv(pa.Table.from_pandas(df, preserve_index=False), out)
    return len(df)
