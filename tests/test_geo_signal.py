"""GeoSignal on a workspace, and `marsad geo locate|run` on good, empty and hostile input."""
from __future__ import annotations

import csv
import json
from datetime import datetime, timezone

import pandas as pd
import pytest

from marsad.cli import main
from marsad.signals import all_signals
from marsad.signals.geo.signal import GeoSignal


def put(ws, posts: list[dict], accounts: list[dict]) -> None:
    """Insert canonical rows directly (independent of the readers)."""
    now = datetime(2016, 1, 1, tzinfo=timezone.utc)
    p = pd.DataFrame([{"platform": "twitter", "embedded": False, "created_at": now, "dataset_id": "t", **x}
                      for x in posts])
    ws.con.register("_p", p)
    ws.con.execute("INSERT INTO posts BY NAME SELECT * FROM _p")
    ws.con.unregister("_p")
    if accounts:
        a = pd.DataFrame([{"platform": "twitter", "first_observed": now, "last_observed": now, "n_observations": 1,
                           "dataset_id": "t", **x} for x in accounts])
        for c in ("utc_offset",):
            if c in a:
                a[c] = a[c].astype("Int64")
        ws.con.register("_a", a)
        ws.con.execute("INSERT INTO account_snapshots BY NAME SELECT * FROM _a")
        ws.con.unregister("_a")


@pytest.fixture
def geo_ws(ws):
    put(ws, [
        # a1: two geotags in Iraq, one in Syria, profile says Belgium -> the geotags win
        {"post_id": "1", "account_id": "a1", "lat": 33.3152, "lon": 44.3661},
        {"post_id": "2", "account_id": "a1", "lat": 36.34, "lon": 43.13},
        {"post_id": "3", "account_id": "a1", "lat": 35.95, "lon": 39.01},
        # a2: a place only
        {"post_id": "4", "account_id": "a2", "place_country_code": "ly", "place_name": "Sirte"},
        # a3..a6: profiles only; an embedded post with a geotag must not count
        {"post_id": "5", "account_id": "a3"},
        {"post_id": "6", "account_id": "a4", "lat": 48.85, "lon": 2.35, "embedded": True},
        {"post_id": "7", "account_id": "a5"},
        {"post_id": "8", "account_id": "a6"},
        {"post_id": "9", "account_id": "a7", "lat": 0.5, "lon": -30.0},  # mid-ocean: no country
    ], [
        {"account_id": "a1", "handle": "one", "location": "Belgium"},
        {"account_id": "a2", "handle": "two", "location": ""},
        {"account_id": "a3", "handle": "three", "location": "ولاية الرقة"},
        {"account_id": "a4", "handle": "four", "location": "dar al-kufr", "time_zone": "Baghdad"},
        {"account_id": "a5", "handle": "five", "location": "Gaza/Geneva"},
        {"account_id": "a6", "handle": "six", "location": None, "utc_offset": 16200},
    ])
    return ws


def test_geo_signal_rows_and_geo_posts(geo_ws):
    assert all_signals()["geo"] is GeoSignal
    run_id, rows = GeoSignal().run_and_write(geo_ws)
    gp = geo_ws.df("SELECT * FROM geo_posts ORDER BY post_id")
    assert gp[["post_id", "country", "method"]].values.tolist() == [
        ["1", "IQ", "geotag"], ["2", "IQ", "geotag"], ["3", "SY", "geotag"], ["4", "LY", "place"]]
    ev = geo_ws.evidence("geo").set_index("subject_id")
    assert set(ev.index) == {"a1", "a2", "a3", "a4", "a5", "a6", "a7"}
    d = {k: json.loads(v) for k, v in ev["details"].items()}
    assert ev.loc["a1", "label"] == "IQ" and d["a1"]["method"] == "geotag" and d["a1"]["n_geo_posts"] == 3
    assert 0 < ev.loc["a1", "ci_low"] < 2 / 3 < ev.loc["a1", "ci_high"] <= 1
    assert [r["id"] for r in ev.loc["a1", "refs"]] == ["1", "2"]  # the posts behind the answer
    assert ev.loc["a2", "label"] == "LY" and d["a2"]["method"] == "place"
    assert ev.loc["a3", "label"] == "SY" and d["a3"]["method"] == "wilayat"
    assert ev.loc["a3", "refs"][0]["kind"] == "account" and "ولاية الرقة" in ev.loc["a3", "refs"][0]["note"]
    # a non-place profile falls back to the time zone, marked as such, at low confidence
    assert ev.loc["a4", "label"] == "IQ" and d["a4"]["method"] == "timezone" and ev.loc["a4", "score"] <= 0.3
    assert pd.isna(ev.loc["a5", "label"]) and d["a5"]["ambiguous"] and d["a5"]["method"] == "multi-place"
    assert ev.loc["a6", "label"] == "AF" and d["a6"]["method"] == "utc-offset"
    assert pd.isna(ev.loc["a7", "label"])
    assert geo_ws.df("SELECT n_rows FROM runs WHERE run_id = ?", [run_id])["n_rows"][0] == 7


def test_geo_signal_without_time_zone(geo_ws):
    rows = GeoSignal(use_time_zone=False).run(geo_ws).set_index("subject_id")
    assert pd.isna(rows.loc["a4", "label"]) and pd.isna(rows.loc["a6", "label"])


def run_cli(args, capsys):
    try:
        main(args)
        code = 0
    except SystemExit as e:
        code = e.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_locate_csv(tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2, 3, 4], "location": ["Austin, TX", "dar al-kufr", "", "Gaza/Geneva"]}).to_csv(
        src, index=False)
    code, out, err = run_cli(["geo", "locate", "--column", "location", str(src), "--out", str(tmp_path / "o.csv")],
                             capsys)
    assert code == 0, err
    o = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert list(o.columns) == ["id", "location", "country", "method", "confidence", "ambiguous"]
    assert o["country"].tolist() == ["US", "", "", ""]
    assert o["method"].tolist() == ["region", "non-place", "empty", "multi-place"]
    assert o["ambiguous"].tolist() == ["False", "False", "False", "True"]
    # default output: CSV on stdout
    code, out, _ = run_cli(["geo", "locate", str(src)], capsys)
    assert code == 0 and out.splitlines()[1].startswith("1,\"Austin, TX\",US,")


def test_locate_hostile_input(tmp_path, capsys):
    src = tmp_path / "h.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["location", "country"])
        w.writerow(["A" * 10_000, "x"])
        w.writerow(["Syria\x01\x07\x1b[31m", "x"])
        w.writerow(['<script>alert("x")</script><b>Baghdad</b>', "x"])
        w.writerow(["🇮🇶" * 3000, "x"])
        w.writerow(["\u202eSyria", "x"])
    code, out, err = run_cli(["geo", "locate", str(src), "-o", str(tmp_path / "h.json")], capsys)
    assert code == 0, err
    o = pd.read_json(tmp_path / "h.json", dtype=False)
    assert "geo_country" in o.columns  # an existing "country" column is kept, not overwritten
    assert [None if pd.isna(c) else c for c in o["geo_country"]] == [None, "SY", "IQ", "IQ", "SY"]


@pytest.mark.parametrize("content,msg", [
    (b"", "is empty"),
    (b"name,where\nx,y\n", "has no column 'location'"),
    (b'location\n"unterminated\n', "not a readable CSV"),
])
def test_locate_bad_input_is_one_clear_line(tmp_path, capsys, content, msg):
    src = tmp_path / "bad.csv"
    src.write_bytes(content)
    code, out, err = run_cli(["geo", "locate", str(src)], capsys)
    assert code == 2 and msg in err and "Traceback" not in err


def test_locate_header_only_and_missing_file(tmp_path, capsys):
    src = tmp_path / "h.csv"
    src.write_text("location\n")
    code, out, err = run_cli(["geo", "locate", str(src)], capsys)
    assert code == 0 and out.strip() == "location,country,method,confidence,ambiguous" and "no rows" in err
    code, _, err = run_cli(["geo", "locate", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "does not exist" in err


def test_geo_run_cli(geo_ws, capsys):
    path = str(geo_ws.path)
    geo_ws.close()
    code, out, err = run_cli(["--workspace", path, "geo", "run"], capsys)
    assert code == 0, err
    assert "7 accounts" in out and "wilayat" in out


def test_geo_run_on_empty_workspace(tmp_path, capsys):
    from marsad import Workspace

    Workspace(tmp_path / "e.duckdb").close()
    code, out, err = run_cli(["--workspace", str(tmp_path / "e.duckdb"), "geo", "run"], capsys)
    assert code == 2 and "no posts" in err


def test_geo_resolve_explains(capsys):
    code, out, err = run_cli(["geo", "resolve", "Paris, TX", "Gaza/Geneva", "ولاية الرقة"], capsys)
    assert code == 0, err
    assert "US" in out and "multi-place" in out and "wilayat" in out and "SY" in out
