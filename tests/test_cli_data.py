"""The data commands as a user runs them: exit codes, one-line errors, pseudonymised exports, read-only SQL."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest


def marsad(*args: str, ws: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "marsad"] + (["--workspace", str(ws)] if ws else []) + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}: {p.stderr}")
    return p


def one_error_line(p: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error:"), p.stderr
    assert len(lines) <= 2  # the error and an optional hint
    return lines[0]


@pytest.fixture
def loaded(tmp_path):
    f = tmp_path / "posts.jsonl"
    f.write_text(
        "".join(
            json.dumps({"id": str(i), "user": f"Secret_Handle{i % 3}", "time": "2015-05-01T00:00:00Z",
                        "text": f"hello @Secret_Handle{(i + 1) % 3} number {i}", "followers": 10 + i}) + "\n"
            for i in range(12)
        ),
        encoding="utf-8",
    )
    ws = tmp_path / "w.duckdb"
    p = marsad("ingest", str(f), "--format", "generic-jsonl", "--source", "unit test", "--map", "text=text",
               "--map", "account=user", "--map", "time=time", "--map", "id=id", ws=ws, check=True)
    assert "read 12 = loaded 12 + duplicate 0 + quarantined 0" in p.stdout
    return ws


def test_unknown_format_empty_missing_and_folder_exit_2(tmp_path):
    ws = tmp_path / "w.duckdb"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02 not anything marsad knows \xff" * 10)
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    for target, needle in ((junk, "not a format marsad knows"), (empty, "empty"),
                           (tmp_path / "missing.csv", "no such file"), (tmp_path, "is a folder")):
        p = marsad("ingest", str(target), ws=ws)
        assert p.returncode == 2, (target, p.stderr)
        assert needle in one_error_line(p)
    # a failed ingest leaves no partial dataset behind
    p = marsad("sql", "SELECT count(*) AS n FROM datasets", ws=ws)
    assert p.returncode == 0 and "│ 0 " in p.stdout


def test_reingest_via_cli_says_already_present(loaded, tmp_path):
    p = marsad("ingest", str(tmp_path / "posts.jsonl"), "--format", "generic-jsonl", ws=loaded, check=True)
    assert "already in the workspace" in p.stdout


def test_info_and_quarantine(loaded):
    p = marsad("info", ws=loaded, check=True)
    assert "posts.jsonl" in p.stdout and "generic-jsonl" in p.stdout
    p = marsad("quarantine", ws=loaded, check=True)
    assert p.returncode == 0


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_is_pseudonymised_by_default(loaded, tmp_path, fmt):
    out = tmp_path / f"posts.{fmt}"
    marsad("export", "posts", "--format", fmt, "--out", str(out), ws=loaded, check=True)
    raw = out.read_bytes()
    assert b"Secret_Handle" not in raw and b"secret_handle" not in raw
    df = {"parquet": pd.read_parquet, "csv": pd.read_csv,
          "jsonl": lambda p: pd.read_json(p, lines=True)}[fmt](out)
    assert len(df) == 12 and df["account_id"].str.startswith("u_").all()
    # the same account always gets the same pseudonym, so partners can still join tables
    assert df["account_id"].nunique() == 3
    accounts = tmp_path / f"accounts.{fmt}"
    marsad("export", "accounts", "--format", fmt, "--out", str(accounts), ws=loaded, check=True)
    assert b"Secret_Handle" not in accounts.read_bytes()


def test_export_real_ids_on_request(loaded, tmp_path):
    out = tmp_path / "posts.csv"
    marsad("export", "posts", "--format", "csv", "--out", str(out), "--no-pseudonymise", ws=loaded, check=True)
    assert "Secret_Handle0" in out.read_text(encoding="utf-8")


def test_sql_is_read_only(loaded):
    p = marsad("sql", "SELECT count(*) AS n FROM posts", ws=loaded, check=True)
    assert "12" in p.stdout
    for stmt in ("DELETE FROM posts", "DROP TABLE posts", "INSERT INTO meta VALUES ('a', 'b')"):
        p = marsad("sql", stmt, ws=loaded)
        assert p.returncode == 2
        one_error_line(p)
    p = marsad("sql", "SELECT count(*) AS n FROM posts", ws=loaded, check=True)
    assert "12" in p.stdout


def test_read_commands_on_missing_workspace(tmp_path):
    p = marsad("info", ws=tmp_path / "none.duckdb")
    assert p.returncode == 2 and "no workspace" in one_error_line(p)
    assert not (tmp_path / "none.duckdb").exists()


def test_bad_map_option(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    p = marsad("ingest", str(f), "--format", "generic-csv", "--map", "textcolumn", ws=tmp_path / "w.duckdb")
    assert p.returncode == 2 and "FIELD=COLUMN" in one_error_line(p)
    p = marsad("ingest", str(f), "--format", "generic-csv", "--map", "text=nope", ws=tmp_path / "w.duckdb")
    assert p.returncode == 2 and "not in the file" in one_error_line(p)
