"""The workspace: idempotent and atomic ingest, counts that reconcile, schema versions, evidence contract."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from marsad import Workspace
from marsad.errors import MarsadError, WorkspaceError

MAP = {"column_map": {"text": "text", "account": "user", "created_at": "time", "post_id": "id"}}
TABLES = ("datasets", "posts", "account_snapshots", "quarantine", "runs", "evidence")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def rows(n: int, start: int = 0, user: str = "u") -> list[dict]:
    return [
        {"id": str(i), "user": f"{user}{i % 7}", "time": f"2015-03-{1 + i % 28:02d}T10:00:00Z",
         "text": f"post {i} #tag{i % 3} @friend{i % 5} https://example.org/{i}"}
        for i in range(start, start + n)
    ]


def table_counts(ws: Workspace) -> dict[str, int]:
    return {t: ws.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_reingest_adds_nothing_and_reports_already_present(ws, tmp_path):
    f = write_jsonl(tmp_path / "a.jsonl", rows(50))
    (first,) = ws.ingest([f], format="generic-jsonl", options=MAP)
    assert (first.n_read, first.n_loaded, first.n_duplicate, first.n_quarantined) == (50, 50, 0, 0)
    before = table_counts(ws)
    (again,) = ws.ingest([f], format="generic-jsonl", options=MAP)
    assert again.already_present and again.dataset_id == first.dataset_id
    assert table_counts(ws) == before


def test_overlapping_files_merge_not_double(ws, tmp_path):
    a = write_jsonl(tmp_path / "a.jsonl", rows(40))
    b = write_jsonl(tmp_path / "b.jsonl", rows(40, start=30) + rows(5, start=30))  # 10 overlap + 5 inner dups
    ws.ingest([a], format="generic-jsonl", options=MAP)
    (rb,) = ws.ingest([b], format="generic-jsonl", options=MAP)
    assert rb.n_read == 45
    assert rb.n_loaded == 30 and rb.n_duplicate == 15
    assert ws.con.execute("SELECT count(*), count(DISTINCT post_id) FROM posts").fetchone() == (70, 70)



def v1(pid: int, uid: int, text: str, rt: dict | None = None, followers: int = 10) -> dict:
    t = {"id_str": str(pid), "created_at": f"Wed May 24 19:{pid % 60:02d}:35 +0000 2017", "text": text,
         "user": {"id_str": str(uid), "screen_name": f"user{uid}", "followers_count": followers}}
    if rt is not None:
        t["retweeted_status"] = rt
    return t


def test_primary_record_replaces_embedded_copies_within_and_across_files(ws, tmp_path):
    """A post first seen inside retweets is stored once; its own record, in the same file (even after the
    retweets) or in a later file, replaces the embedded copy; a later embedded copy never replaces a primary."""
    orig = v1(100, 1, "the original")
    a = write_jsonl(tmp_path / "a.jsonl", [v1(101, 2, "RT", orig), v1(102, 3, "RT", orig), v1(200, 4, "second"),
                                           v1(103, 5, "RT", v1(200, 4, "second (embedded copy)"))])
    (ra,) = ws.ingest([a])
    assert (ra.n_read, ra.n_loaded, ra.n_duplicate, ra.n_embedded) == (4, 4, 0, 1)
    got = dict(ws.con.execute("SELECT post_id, embedded FROM posts").fetchall())
    assert got == {"100": True, "101": False, "102": False, "103": False, "200": False}
    assert ws.con.execute("SELECT text FROM posts WHERE post_id = '200'").fetchone()[0] == "second"
    b = write_jsonl(tmp_path / "b.jsonl", [v1(104, 6, "RT", orig), orig])
    (rb,) = ws.ingest([b])
    assert (rb.n_read, rb.n_loaded, rb.n_duplicate, rb.n_embedded) == (2, 2, 0, 0)
    rows_100 = ws.con.execute("SELECT embedded, dataset_id FROM posts WHERE post_id = '100'").fetchall()
    assert rows_100 == [(False, rb.dataset_id)]
    assert ws.con.execute("SELECT count(*), count(DISTINCT post_id) FROM posts").fetchone() == (6, 6)


def test_a_record_too_large_to_store_is_quarantined_not_lost(ws, tmp_path):
    from marsad.workspace.staging import MAX_ROW_BYTES

    big = rows(3)
    big[1]["text"] = "x" * (MAX_ROW_BYTES + 1)
    (r,) = ws.ingest([write_jsonl(tmp_path / "big.jsonl", big)], format="generic-jsonl", options=MAP)
    assert (r.n_read, r.n_loaded, r.n_quarantined) == (3, 2, 1)
    pos, reason, ex = ws.con.execute("SELECT record_position, reason, excerpt FROM quarantine").fetchone()
    assert pos == 2 and "too large to store" in reason and len(ex) < 3000


def test_workspace_in_a_folder_with_a_quote_in_its_name(tmp_path):
    folder = tmp_path / "analyst's data"
    folder.mkdir()
    with Workspace(folder / "ws.duckdb") as w:
        (r,) = w.ingest([write_jsonl(folder / "a.jsonl", rows(5))], format="generic-jsonl", options=MAP)
        assert (r.n_read, r.n_loaded) == (5, 5)
        assert w.con.execute("SELECT count(*) FROM posts").fetchone()[0] == 5

def test_counts_reconcile_and_quarantine_has_reasons(ws, tmp_path):
    good = rows(10)
    bad = [
        {"id": "b1", "user": "x", "time": "2015-01-01T00:00:00Z", "text": ""},
        {"id": "b2", "user": "x", "time": "1900-01-01T00:00:00Z", "text": "too old"},
        {"id": "b3", "user": "x", "time": "2999-01-01T00:00:00Z", "text": "future"},
        {"id": "b4", "user": "x", "time": "not a date", "text": "bad date"},
    ]
    f = tmp_path / "mixed.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in good + bad) + "{broken json\n", encoding="utf-8")
    (r,) = ws.ingest([f], format="generic-jsonl", options=MAP)
    assert r.n_read == r.n_loaded + r.n_duplicate + r.n_quarantined == 15
    assert r.n_quarantined == 5
    q = ws.quarantine()
    assert len(q) == 5 and q["reason"].str.len().min() > 5
    reasons = " | ".join(q["reason"])
    for needle in ("missing text", "before", "future", "unreadable date", "malformed JSON"):
        assert needle in reasons
    assert (q["excerpt"].str.len() > 0).all()
    d = ws.df("SELECT n_read, n_loaded, n_duplicate, n_quarantined FROM datasets").iloc[0]
    assert d.n_read == d.n_loaded + d.n_duplicate + d.n_quarantined


def test_account_snapshots_collapse_repeats_and_keep_changes(ws, tmp_path):
    data = [
        {"id": "1", "user": "abu_x", "time": "2015-01-01T00:00:00Z", "text": "a", "followers": 100},
        {"id": "2", "user": "abu_x", "time": "2015-01-02T00:00:00Z", "text": "b", "followers": 100},
        {"id": "3", "user": "abu_x", "time": "2015-01-05T00:00:00Z", "text": "c", "followers": 40},
    ]
    f = write_jsonl(tmp_path / "s.jsonl", data)
    ws.ingest([f], format="generic-jsonl", options=MAP)
    snaps = ws.df("SELECT followers, n_observations, first_observed, last_observed FROM account_snapshots "
                  "ORDER BY first_observed")
    assert snaps["followers"].tolist() == [100, 40]
    assert snaps["n_observations"].tolist() == [2, 1]
    latest = ws.df("SELECT followers FROM accounts WHERE account_id = '@abu_x'")
    assert latest["followers"].tolist() == [40]


def _big_file(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"k{i}", "user": f"user{i % 997}", "time": "2015-06-01T12:00:00Z",
                                "text": f"long enough text for post number {i} " * 3}) + "\n")
    return path


def test_killed_ingest_leaves_workspace_unchanged_and_rerun_completes(tmp_path):
    wpath = tmp_path / "k.duckdb"
    small = write_jsonl(tmp_path / "small.jsonl", rows(20))
    with Workspace(wpath) as w:
        w.ingest([small], format="generic-jsonl", options=MAP)
        before = table_counts(w)
    big = _big_file(tmp_path / "big.jsonl", 400_000)
    cmd = [sys.executable, "-m", "marsad", "--workspace", str(wpath), "ingest", str(big),
           "--format", "generic-jsonl", "--map", "text=text", "--map", "account=user", "--map", "time=time",
           "--map", "id=id"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    staged = False
    while time.time() < deadline and proc.poll() is None:
        if any(any(p.glob("posts-*.jsonl.zst")) for p in tmp_path.glob(".marsad-staging-*")):
            staged = True
            break
        time.sleep(0.05)
    assert staged, "ingest finished or failed before it could be killed; make the file bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with Workspace(wpath) as w:
        assert table_counts(w) == before
        (r,) = w.ingest([big], format="generic-jsonl", options=MAP)
        assert (r.n_read, r.n_loaded, r.n_quarantined) == (400_000, 400_000, 0)
        after = table_counts(w)
    assert after["posts"] == before["posts"] + 400_000
    assert after["datasets"] == before["datasets"] + 1
    assert not list(tmp_path.glob(".marsad-staging-*"))


def test_new_workspace_has_current_schema(tmp_path):
    from marsad.workspace.schema import SCHEMA_VERSION

    with Workspace(tmp_path / "n.duckdb") as w:
        assert w.schema_version == SCHEMA_VERSION
        assert len(w.pseudonym_key) == 32
    with Workspace(tmp_path / "n.duckdb", read_only=True) as w:  # reopening does not migrate again
        assert w.schema_version == SCHEMA_VERSION


def test_foreign_duckdb_file_is_refused_untouched(tmp_path):
    p = tmp_path / "other.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE mine (x INT)")
    con.close()
    mtime = p.stat().st_mtime_ns
    with pytest.raises(WorkspaceError, match="not a marsad workspace"):
        Workspace(p)
    assert p.stat().st_mtime_ns == mtime


def test_newer_schema_is_refused(tmp_path):
    p = tmp_path / "future.duckdb"
    Workspace(p).close()
    con = duckdb.connect(str(p))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(WorkspaceError, match="schema version 999"):
        Workspace(p)


def test_missing_workspace_read_only_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match="no workspace"):
        Workspace(tmp_path / "absent.duckdb", read_only=True)
    assert not (tmp_path / "absent.duckdb").exists()


def test_evidence_contract_replaces_previous_run_and_keeps_history(ws):
    rows1 = pd.DataFrame({"subject_type": ["account"], "platform": ["twitter"], "subject_id": ["1"],
                          "label": ["supporter"], "score": [0.9],
                          "refs": [[{"kind": "post", "id": "p1", "weight": 2.0, "note": "naming cue"}]],
                          "details": [{"n_posts": 3}]})
    r1 = ws.write_evidence("demo-signal", "1", rows1, params={"threshold": 0.5})
    r2 = ws.write_evidence("demo-signal", "1", rows1.assign(score=[0.8]))
    ev = ws.evidence("demo-signal")
    assert len(ev) == 1 and ev.loc[0, "score"] == 0.8 and ev.loc[0, "run_id"] == r2
    assert ev.loc[0, "refs"][0]["id"] == "p1" and json.loads(ev.loc[0, "details"]) == {"n_posts": 3}
    runs = ws.df("SELECT run_id, params FROM runs ORDER BY started_at")
    assert runs["run_id"].tolist() == [r1, r2]
    with pytest.raises(ValueError, match="unknown evidence columns"):
        ws.write_evidence("x", "1", pd.DataFrame({"subject": ["a"]}))


def test_missing_file_and_folder_are_clear_errors(ws, tmp_path):
    with pytest.raises(MarsadError, match="no such file"):
        ws.ingest([tmp_path / "nope.jsonl"])
    with pytest.raises(MarsadError, match="is a folder"):
        ws.ingest([tmp_path])
