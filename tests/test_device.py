"""Device signal: client names and families from raw `source` strings, and exact reconciliation with the raw field.

Raw counts are computed here independently (pandas/json, a plain regex and the curated CSV), never through
marsad.signals.device.
"""
from __future__ import annotations

import csv
import glob
import io
import json
import re
import zipfile
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from marsad.signals import all_signals
from marsad.signals.device import DeviceSignal, classify, client_name, device_shares, wilson

CURATED = Path(__file__).resolve().parents[1] / "src" / "marsad" / "data" / "device_clients.csv"


@lru_cache(maxsize=1)
def curated_family() -> dict[str, str]:
    with open(CURATED, encoding="utf-8", newline="") as f:
        return {" ".join(r["client"].split()).casefold(): r["family"] for r in csv.DictReader(f)
                if r["client"] and not r["client"].startswith("#")}


def raw_name(s: str) -> str:
    """Independent extraction: link text of the HTML, R escapes decoded, whitespace collapsed."""
    s = re.sub(r"<U\+([0-9A-Fa-f]{4})>", lambda m: chr(int(m.group(1), 16)), s)
    m = re.search(r">([^<]*)</a>", s)
    s = m.group(1) if m else s
    return " ".join(s.replace("&amp;", "&").split())


def raw_family(s) -> str:
    if s is None or (isinstance(s, float) and s != s) or not str(s).strip() or s == "NA":
        return "unknown"
    s = str(s)
    if s.startswith("{"):  # Gnip generator kept as JSON
        s = json.loads(s)["displayName"]
    return curated_family()[raw_name(s).casefold()]


# --- raw sources of the shared datasets -----------------------------------------------------------------------
def rtweet(shared):
    with zipfile.ZipFile(shared / "avengers-endgame-tweets-rtweet" / "tweets.csv.zip") as z:
        df = pd.read_csv(io.BytesIO(z.read("tweets.csv")), dtype=str, keep_default_na=False,
                         encoding_errors="replace")
    return df.rename(columns={"id": "post_id", "screenName": "account", "statusSource": "source"})


def tags(shared):
    df = pd.read_csv(shared / "terrorism-tweets-tags-2020" / "Gathered_tweets.csv", dtype=str, keep_default_na=False)
    return df.rename(columns={"id_str": "post_id", "from_user": "account"})


def v1(shared):
    rows = []
    for line in open(shared / "twitter-api-v1-samples-tweet-parser" / "tweet_payload_examples" /
                     "original_format_examples.json", encoding="utf-8"):
        o = json.loads(line)
        rows.append({"post_id": o["id_str"], "account": o["user"]["id_str"], "source": o["source"]})
    return pd.DataFrame(rows)


def v2(shared):
    rows = []
    for line in open(shared / "twitter-api-v2-samples-twarc-csv" / "test-data" / "2sets.jsonl", encoding="utf-8"):
        for t in json.loads(line).get("data") or []:
            rows.append({"post_id": t["id"], "account": t["author_id"], "source": t.get("source")})
    return pd.DataFrame(rows)


def all_raw_sources(shared) -> Counter:
    c: Counter = Counter()
    for df in (rtweet(shared), tags(shared)):
        c.update(df["source"])
    for f in glob.glob(str(shared / "twitter-api-v1-samples-tweet-parser" / "**" / "*.json"), recursive=True):
        for line in open(f, encoding="utf-8"):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            stack = [o]
            while stack:
                x = stack.pop()
                if isinstance(x, dict):
                    if isinstance(x.get("source"), str):
                        c[x["source"]] += 1
                    if isinstance(x.get("generator"), dict):
                        c[json.dumps(x["generator"])] += 1
                    stack += [x.get("retweeted_status"), x.get("quoted_status"), x.get("object")]
    for f in glob.glob(str(shared / "twitter-api-v2-samples-twarc-csv" / "test-data" / "*.jsonl")):
        for line in open(f, encoding="utf-8"):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if not isinstance(o, dict):
                continue
            data = o.get("data")
            items = (data if isinstance(data, list) else [data]) + ((o.get("includes") or {}).get("tweets") or [])
            for t in items:
                if isinstance(t, dict) and isinstance(t.get("source"), str):
                    c[t["source"]] += 1
    return c


# --- tests --------------------------------------------------------------------------------------------------------
def test_examples_and_registry():
    assert all_signals()["device"] is DeviceSignal
    for raw, fam in DeviceSignal.examples():
        assert classify(raw)[1] == fam, raw


def test_client_name_shapes():
    assert client_name('<a href="http://twitter.com/download/iphone" rel="nofollow">Twitter for iPhone</a>') == \
        "Twitter for iPhone"
    assert client_name({"displayName": "Twitter Web Client", "link": "http://twitter.com"}) == "Twitter Web Client"
    assert client_name('<a href="x">Q&amp;A bot</a>') == "Q&A bot"
    assert client_name("NA") is None and client_name("") is None and client_name(float("nan")) is None
    # unlisted names still get a family from their name, flagged as not curated
    assert classify("Twitter for Android Beta X")[1:] == ("android", False)
    assert classify("MyNewsFeedBot")[1:] == ("automation", False)
    assert classify("SomeApp")[1:] == ("third-party", False)


def test_every_real_client_is_curated(shared_data):
    sources = all_raw_sources(shared_data)
    assert len(sources) > 60
    bad = [(s, n) for s, n in sources.items() if s and s != "NA" and not classify(s)[2]]
    assert not bad, bad
    unknown = [s for s in sources if s and s != "NA" and classify(s)[1] == "unknown"]
    assert not unknown
    # and the independent reading of the curated list agrees with the signal's
    for s in sources:
        if s and s != "NA":
            assert raw_family(s) == classify(s)[1], s


def put_posts(ws, df: pd.DataFrame) -> None:
    p = pd.DataFrame({"platform": "twitter", "post_id": df["post_id"], "account_id": df["account"],
                      "source": df["source"].where(df["source"].astype(bool) & (df["source"] != "NA"), None),
                      "embedded": False, "created_at": pd.Timestamp("2019-04-23", tz="UTC"), "dataset_id": "t"})
    ws.con.register("_p", p)
    ws.con.execute("INSERT INTO posts BY NAME SELECT * FROM _p")
    ws.con.unregister("_p")


@pytest.mark.parametrize("loader", [rtweet, tags, v1, v2])
def test_shares_reconcile_with_raw_field(ws, shared_data, loader):
    raw = loader(shared_data).drop_duplicates("post_id")
    put_posts(ws, raw)
    run_id, rows = DeviceSignal().run_and_write(ws)
    expected = Counter(raw_family(s) for s in raw["source"])
    got = dict(ws.sql("SELECT family, count(*) FROM device_posts GROUP BY 1").fetchall())
    assert got == dict(expected)
    shares = device_shares(ws, "post").set_index("family")
    for fam, n in expected.items():
        assert shares.loc[fam, "n"] == n and shares.loc[fam, "share"] == pytest.approx(n / len(raw))
    # account rows: one per account, primary family = most frequent family of that account's raw sources
    fam = raw.assign(f=[raw_family(x) for x in raw["source"]])
    counts = fam.groupby(["account", "f"]).size().rename("n").reset_index()
    total = counts.groupby("account")["n"].sum()
    known = counts[counts["f"] != "unknown"]
    best = pd.concat([known, counts[~counts["account"].isin(known["account"])]])
    best = best[best["n"] == best.groupby("account")["n"].transform("max")]
    ev = rows.set_index("subject_id")
    assert ev.index.is_unique and len(ev) == raw["account"].nunique()
    allowed = best.groupby("account")["f"].agg(set)
    top_n = best.groupby("account")["n"].max()
    labels = ev["label"].to_dict()
    assert all(labels[a] in allowed[a] for a in allowed.index)
    assert (ev.loc[top_n.index, "score"] - top_n / total[top_n.index]).abs().max() < 1e-12
    assert ((ev["ci_low"] <= ev["score"]) & (ev["score"] <= ev["ci_high"])).all()
    assert all(len(r) and r[0]["kind"] == "post" for r in ev["refs"])


FILES = {
    "rtweet": ("avengers-endgame-tweets-rtweet/tweets.csv.zip", rtweet),
    "tags": ("terrorism-tweets-tags-2020/Gathered_tweets.csv", tags),
    "twitter-v1": ("twitter-api-v1-samples-tweet-parser/tweet_payload_examples/original_format_examples.json", v1),
    "twitter-v2": ("twitter-api-v2-samples-twarc-csv/test-data/2sets.jsonl", v2),
}


@pytest.mark.parametrize("fmt", sorted(FILES))
def test_reconcile_through_the_readers(ws, shared_data, fmt):
    """The same, with the posts loaded by marsad's own readers (ingest -> device run)."""
    from marsad.readers import all_readers

    if fmt not in {r.name for r in all_readers()}:
        pytest.skip(f"reader {fmt} not available")
    rel, loader = FILES[fmt]
    ws.ingest([shared_data / rel])
    raw = loader(shared_data).drop_duplicates("post_id")
    DeviceSignal().run_and_write(ws)
    got = dict(ws.sql("SELECT family, count(*) FROM device_posts GROUP BY 1").fetchall())
    assert got == dict(Counter(raw_family(s) for s in raw["source"]))


def test_wilson():
    lo, hi = wilson(69, 100)
    assert lo < 0.69 < hi and hi - lo < 0.2
    assert wilson(0, 0) == (0.0, 1.0)
