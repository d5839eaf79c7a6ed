"""The stance commands: score (any CSV, broken rows), run, explain, evaluate; errors are one line, exit code 2."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def marsad(*args, cwd=None, env_ws=None):
    cmd = [sys.executable, "-m", "marsad"]
    if env_ws:
        cmd += ["--workspace", str(env_ws)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture
def broken_csv(tmp_path):
    path = tmp_path / "posts.csv"
    lines = [
        "id,text,extra",
        "1,الدولة الإسلامية باقية وتتمدد، جنود الخلافة يدكون أوكار الرافضة,a",
        "2,,b",  # empty text
        '3,"ISIS terrorists killed civilians, we condemn this barbaric attack",c',
        "4,too,many,fields,here",
        "5," + "x" * 1_100_000 + ",huge",  # huge field
        "6,Daech et Pogba même délire,d",  # unsupported language
    ]
    data = "\n".join(lines).encode("utf-8")
    data += b'\n7,"stray Windows-1252 bytes \x92 in the islamic state news here",e\n'
    data += b'8,"undecodable \x81 byte",f\n'
    path.write_bytes(data)
    return path


def test_score_broken_csv(broken_csv, tmp_path):
    out = tmp_path / "preds.csv"
    r = marsad("stance", "score", str(broken_csv), "--text-column", "text", "--id-column", "id", "--out", str(out))
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out, dtype={"id": str})
    assert df["id"].tolist() == ["1", "3", "6", "7"]
    assert {"p_support", "label", "lang"} <= set(df.columns)
    lab = dict(zip(df["id"], df["label"]))
    assert lab["1"] == "supportive" and lab["3"] == "not-supportive" and lab["6"] == "undetermined"
    assert "skipped 4" in r.stdout
    assert "’" in df.loc[df["id"] == "7", "text"].iloc[0]  # \x92 read as a Windows-1252 apostrophe
    for reason in ("empty text", "fields, header has", "longer than", "neither UTF-8 nor Windows-1252"):
        assert reason in r.stdout
    assert "non-UTF-8" in r.stdout


def test_score_errors_are_one_line(tmp_path):
    r = marsad("stance", "score", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    r = marsad("stance", "score", str(empty))
    assert r.returncode == 2 and "is empty" in r.stderr
    p = tmp_path / "a.csv"
    p.write_text("id,body\n1,hello\n")
    r = marsad("stance", "score", str(p), "--text-column", "text")
    assert r.returncode == 2 and "no column 'text'" in r.stderr


def test_run_and_explain(tmp_path, shared_data):
    src = pd.read_csv(shared_data / "isis-fanboy-tweets-kaggle/tweets.csv.gz", keep_default_na=False, dtype=str)
    sub = src[src["username"].isin(["Nidalgazaui", "WarReporter1"])].groupby("username").head(60)
    csv = tmp_path / "k.csv"
    sub.rename(columns={"tweets": "text"})[["username", "time", "text"]].to_csv(csv, index=False)
    ws = tmp_path / "ws.duckdb"
    r = marsad("ingest", str(csv), "--format", "generic-csv", env_ws=ws)
    assert r.returncode == 0, r.stderr
    r = marsad("explain", "Nidalgazaui", env_ws=ws)
    assert r.returncode == 2 and "marsad stance run" in r.stderr
    r = marsad("stance", "run", env_ws=ws)
    assert r.returncode == 0, r.stderr
    assert "accounts" in r.stdout
    r = marsad("explain", "@Nidalgazaui", env_ws=ws)
    assert r.returncode == 0, r.stderr
    assert "verdict" in r.stdout and "evidence posts" in r.stdout
    r = marsad("explain", "nobody_here", env_ws=ws)
    assert r.returncode == 2 and "no account" in r.stderr


def test_evaluate_prints_metrics_with_ci():
    r = marsad("stance", "evaluate", "--bootstrap", "50")
    assert r.returncode == 0, r.stderr
    for word in ("accuracy", "f1", "pr_auc", "brier", "ci95"):
        assert word in r.stdout
