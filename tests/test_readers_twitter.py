"""The Twitter v1.1 and Gnip activity-streams readers on the real sample payloads, and the layouts every Twitter
JSON reader takes (arrays, pretty-printed JSON, compression, streaming notices, bad bytes, re-ingest). The v2
reader has its own file, test_readers_twitter_v2.py, which uses the helpers here.

Expected values are derived here from the raw JSON with plain ``json`` (not with the readers' code), then
compared with what ingest stored.
"""
from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pytest

from marsad.readers import all_readers, detect
from marsad.readers.io import read_head

V1_DIR = "twitter-api-v1-samples-tweet-parser/tweet_payload_examples"
V2_DIR = "twitter-api-v2-samples-twarc-csv/test-data"


def _shared() -> Path:
    from conftest import SHARED_DATA

    return SHARED_DATA


def _v1_files() -> list[str]:
    return sorted(str(p.relative_to(_shared() / V1_DIR)) for p in (_shared() / V1_DIR).rglob("*.json"))


def _v2_files() -> list[str]:
    return sorted(p.name for p in (_shared() / V2_DIR).iterdir() if p.stat().st_size > 0)


def raw_lines(path: Path) -> list[tuple[int, object]]:
    """(line number, decoded value or None when malformed) for every non-blank line."""
    out = []
    for i, line in enumerate(path.read_bytes().split(b"\n"), start=1):
        if line.strip():
            try:
                out.append((i, json.loads(line)))
            except ValueError:
                out.append((i, None))
    return out


def full_text_v1(t: dict) -> str:
    if "retweeted_status" in t:
        t = t["retweeted_status"]
    return (t.get("extended_tweet") or {}).get("full_text") or t.get("full_text") or t["text"]


def post_rows(ws, dataset_id: str, embedded: bool = False) -> dict[str, dict]:
    df = ws.df("SELECT * FROM posts WHERE dataset_id = ? AND embedded = ?", [dataset_id, embedded])
    nan_to_none = lambda v: None if isinstance(v, float) and v != v else v  # noqa: E731
    return {r["post_id"]: {k: nan_to_none(v) for k, v in r.items()} for r in df.to_dict("records")}


def as_list(v) -> list:
    return [] if v is None else list(v)


# --- detection -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", _v1_files())
def test_detect_v1_and_gnip_samples(shared_data, name):
    path = shared_data / V1_DIR / name
    first = raw_lines(path)[0][1]
    expected = "gnip" if "actor" in first and "verb" in first else "twitter-v1"
    assert detect(path).name == expected
    head = read_head(path)
    mine = {r.name: r.sniff(head, path) for r in all_readers()}
    assert mine[expected] >= 0.9
    assert all(v < 0.5 for k, v in mine.items() if k != expected), mine


# --- every sample file ingests and reconciles ---------------------------------------------------------------------


def _reconciles(res) -> None:
    assert res.n_read == res.n_loaded + res.n_duplicate + res.n_quarantined


@pytest.mark.parametrize("name", _v1_files())
def test_ingest_v1_and_gnip_samples(shared_data, ws, name):
    path = shared_data / V1_DIR / name
    lines = raw_lines(path)
    (res,) = ws.ingest([path])
    _reconciles(res)
    assert res.n_read == len(lines)
    gnip = res.format == "gnip"
    good = [o for _, o in lines if isinstance(o, dict) and isinstance(o.get("actor" if gnip else "user"), dict)]
    assert res.n_quarantined == len(lines) - len(good)
    ids = {(o["id"].rsplit(":", 1)[-1] if gnip else o["id_str"]) for o in good}
    assert set(post_rows(ws, res.dataset_id)) == ids


def test_v1_sample_counts(shared_data, ws):
    path = shared_data / V1_DIR / "original_format_examples.json"
    raw = [o for _, o in raw_lines(path)]
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    # the figures stated in PROVENANCE.md, checked against the raw JSON and against what was stored
    expect = {
        "posts": (25, len(raw), len(rows)),
        "retweets": (3, sum("retweeted_status" in o for o in raw),
                     sum(r["repost_of_post_id"] is not None for r in rows.values())),
        "quotes": (8, sum("quoted_status" in o for o in raw),
                   sum(r["quote_of_post_id"] is not None for r in rows.values())),
        "coordinates": (1, sum(bool(o.get("coordinates")) for o in raw),
                        sum(r["lat"] is not None for r in rows.values())),
        "place": (15, sum(bool(o.get("place")) for o in raw),
                  sum(r["place_country_code"] is not None for r in rows.values())),
        "extended": (5, sum("extended_tweet" in o for o in raw), None),
    }
    for what, (stated, from_raw, stored) in expect.items():
        assert stated == from_raw, what
        if stored is not None:
            assert stored == stated, what
    # embedded: the retweeted originals and the quoted tweets, each once
    embedded_ids = {o[k]["id_str"] for o in raw for k in ("retweeted_status", "quoted_status") if k in o}
    embedded_ids |= {o["retweeted_status"]["quoted_status"]["id_str"] for o in raw
                     if "quoted_status" in o.get("retweeted_status", {})}
    stored_embedded = set(post_rows(ws, res.dataset_id, embedded=True))
    assert stored_embedded == embedded_ids - set(rows)
    # the iPhone/web split of `source` as stated
    sources = ws.df("SELECT source, count(*) AS n FROM posts WHERE dataset_id = ? AND NOT embedded GROUP BY 1",
                    [res.dataset_id])
    counts = {s.split(">")[1].split("<")[0]: n for s, n in zip(sources["source"], sources["n"])}
    assert counts == {"Twitter Web Client": 23, "Twitter for iPhone": 2}


# --- field fidelity: v1.1 -----------------------------------------------------------------------------------------


def test_v1_field_fidelity(shared_data, ws):
    path = shared_data / V1_DIR / "original_format_examples.json"
    raw = [o for _, o in raw_lines(path)]
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    for t in raw:
        r = rows[t["id_str"]]
        src = t.get("retweeted_status", t)
        ext = src.get("extended_tweet") or {}
        ents = ext.get("entities") or src["entities"]
        assert r["text"] == full_text_v1(t)
        assert r["account_id"] == t["user"]["id_str"] and r["account_handle"] == t["user"]["screen_name"]
        assert r["source"] == t["source"]
        assert r["lang"] == t["lang"]
        assert as_list(r["mentions"]) == [m["screen_name"].lower() for m in ents["user_mentions"]]
        assert as_list(r["hashtags"]) == [h["text"] for h in ents["hashtags"]]
        assert as_list(r["urls"]) == [u["expanded_url"] for u in ents["urls"]]
        media = (ext.get("extended_entities") or src.get("extended_entities") or {}).get("media", [])
        assert as_list(r["media_urls"]) == [m["media_url_https"] for m in media]
        assert r["reply_to_post_id"] == t["in_reply_to_status_id_str"]
        assert r["reply_to_account_id"] == t["in_reply_to_user_id_str"]
        assert r["reply_to_handle"] == t["in_reply_to_screen_name"]
        if "retweeted_status" in t:
            rt = t["retweeted_status"]
            assert (r["repost_of_post_id"], r["repost_of_account_id"], r["repost_of_handle"]) == (
                rt["id_str"], rt["user"]["id_str"], rt["user"]["screen_name"])
            assert not r["text"].startswith("RT @")
        else:
            assert r["repost_of_post_id"] is None
        if "quoted_status" in t and "retweeted_status" not in t:
            assert r["quote_of_post_id"] == t["quoted_status"]["id_str"]
            assert r["quote_of_account_id"] == t["quoted_status"]["user"]["id_str"]
        if t.get("coordinates"):
            lon, lat = t["coordinates"]["coordinates"]
            assert (r["lat"], r["lon"]) == (lat, lon)
            assert (r["lat"], r["lon"]) == tuple(t["geo"]["coordinates"])  # the legacy field agrees
        if t.get("place"):
            assert r["place_country_code"] == t["place"]["country_code"]
            assert r["place_name"] == t["place"]["full_name"]
        extra = json.loads(r["extra"])
        assert extra["retweet_count"] == t["retweet_count"] and extra["filter_level"] == t["filter_level"]
        assert str(r["created_at"].year) == t["created_at"][-4:]


def test_v1_long_and_retweeted_texts_are_full(shared_data, ws):
    path = shared_data / V1_DIR / "original_format_examples.json"
    raw = [o for _, o in raw_lines(path)]
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    long = [t for t in raw if "extended_tweet" in t]
    assert len(long) == 5
    for t in long:
        assert rows[t["id_str"]]["text"] == t["extended_tweet"]["full_text"]
        assert len(rows[t["id_str"]]["text"]) > len(t["text"]) - 1 or t["text"].endswith("…")
    embedded = post_rows(ws, res.dataset_id, embedded=True)
    for t in raw:
        if "retweeted_status" in t:
            rt = t["retweeted_status"]
            assert rows[t["id_str"]]["text"] == (rt.get("extended_tweet") or {}).get("full_text", rt["text"])
        for k in ("retweeted_status", "quoted_status"):
            if k in t and t[k]["id_str"] in embedded:
                e = embedded[t[k]["id_str"]]
                assert e["text"] == full_text_v1(t[k]) and e["account_id"] == t[k]["user"]["id_str"]


def test_v1_account_observations(shared_data, ws):
    path = shared_data / V1_DIR / "original_format_examples.json"
    raw = [o for _, o in raw_lines(path)]
    (res,) = ws.ingest([path])
    snaps = ws.df("SELECT * FROM account_snapshots WHERE dataset_id = ?", [res.dataset_id])
    users = {}
    for t in raw:
        for obj in (t, t.get("retweeted_status"), t.get("quoted_status")):
            if obj and "user" in obj:
                users.setdefault(obj["user"]["id_str"], []).append(obj["user"])
    assert set(snaps["account_id"]) == set(users)
    for rec in snaps.to_dict("records"):
        matches = [u for u in users[rec["account_id"]] if u["followers_count"] == rec["followers"]
                   and u["statuses_count"] == rec["statuses"]]
        assert matches, rec["account_id"]
        u = matches[0]
        assert rec["handle"] == u["screen_name"] and rec["display_name"] == u["name"]
        assert rec["description"] == u["description"] and rec["location"] == u["location"]
        assert rec["utc_offset"] == u["utc_offset"] and rec["time_zone"] == u["time_zone"]
        assert rec["following"] == u["friends_count"] and rec["verified"] == u["verified"]
        assert rec["avatar_url"] == u["profile_image_url_https"] and rec["lang"] == u["lang"]
        assert str(rec["created_at"].year) == u["created_at"][-4:]
    # one account with a UTC offset and time zone (notFromShrek, Mountain Time)
    tz = snaps.dropna(subset=["time_zone"])
    assert len(tz) and (tz["utc_offset"] == -21600).all()


def test_broken_v1_payloads(shared_data, ws):
    broken = shared_data / V1_DIR / "broken_and_unsupported_payloads"
    (res,) = ws.ingest([broken / "original_format_missing_user.json"])
    q = ws.quarantine(res.dataset_id)
    assert res.n_quarantined == 1 and q["reason"][0] == "missing user"
    assert "867833721579122688" in q["excerpt"][0]
    # a quote whose quoted tweet lost its user: the quote loads, the link stays, the dropped part is named
    raw = json.loads((broken / "original_format_missing_quotetweet_field.json").read_text())
    (res,) = ws.ingest([broken / "original_format_missing_quotetweet_field.json"])
    assert res.n_loaded == 1 and res.n_embedded == 0
    row = post_rows(ws, res.dataset_id)[raw["id_str"]]
    assert row["quote_of_post_id"] == raw["quoted_status_id_str"]
    assert row["text"] == raw["extended_tweet"]["full_text"]
    dropped = json.loads(row["extra"])["dropped_embedded"]
    assert dropped == [{"kind": "quoted", "id": raw["quoted_status"]["id_str"], "reason": "missing user"}]
    # the numeric `id` of this payload was rounded by a float round-trip: id_str is the one kept
    raw = json.loads((broken / "original_format_missing_field.json").read_text())
    assert str(raw["id"]) != raw["id_str"]
    (res,) = ws.ingest([broken / "original_format_missing_field.json"])
    assert list(post_rows(ws, res.dataset_id)) == [raw["id_str"]]


# --- Gnip activity streams ----------------------------------------------------------------------------------------


def test_gnip_and_v1_give_the_same_posts(shared_data, ws):
    (v1,) = ws.ingest([shared_data / V1_DIR / "original_format_examples.json"])
    (gn,) = ws.ingest([shared_data / V1_DIR / "activity_streams_examples.json"])
    assert gn.format == "gnip" and gn.n_read == 25 and gn.n_quarantined == 0
    # the same 25 tweets: all Gnip primaries are duplicates of the v1 posts, nothing new is loaded
    assert gn.n_duplicate == 25
    rows = ws.df("SELECT post_id, text, repost_of_post_id, quote_of_post_id FROM posts WHERE NOT embedded")
    assert len(rows) == 25

    a = {r.posts[0]["post_id"]: r.posts[0] for r in _read("gnip", shared_data / V1_DIR /
                                                          "activity_streams_examples.json")}
    v = {r.posts[0]["post_id"]: r.posts[0] for r in _read("twitter-v1", shared_data / V1_DIR /
                                                          "original_format_examples.json")}
    assert a.keys() == v.keys()
    cols = ("account_id", "account_handle", "created_at", "text", "lang", "source", "repost_of_post_id",
            "repost_of_account_id", "repost_of_handle", "quote_of_post_id", "quote_of_account_id",
            "reply_to_post_id", "reply_to_handle", "mentions", "hashtags", "urls", "media_urls", "lat", "lon",
            "place_country_code", "place_name")
    for pid in a:
        for c in cols:
            assert a[pid].get(c) == v[pid].get(c), (pid, c)


def _read(name: str, path: Path):
    from marsad.readers import get_reader
    from marsad.records import Parsed

    return [r for r in get_reader(name)(path).records() if isinstance(r, Parsed)]


def test_gnip_field_fidelity(shared_data, ws):
    path = shared_data / V1_DIR / "activity_streams_examples.json"
    raw = [o for _, o in raw_lines(path)]
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    snaps = ws.df("SELECT * FROM account_snapshots WHERE dataset_id = ?", [res.dataset_id])
    for a in raw:
        r = rows[a["id"].split(":")[-1]]
        src = a["object"] if a["verb"] == "share" else a
        body = (src.get("long_object") or {}).get("body") or src["body"]
        assert r["text"] == body
        gen = a["generator"]
        assert r["source"] == f'<a href="{gen["link"]}" rel="nofollow">{gen["displayName"]}</a>'
        if a["verb"] == "share":
            assert r["repost_of_post_id"] == a["object"]["id"].split(":")[-1]
            assert r["repost_of_handle"] == a["object"]["actor"]["preferredUsername"]
        if a.get("geo"):
            assert [r["lat"], r["lon"]] == a["geo"]["coordinates"]  # activity streams: [lat, lon]
        if a.get("location"):
            assert r["place_country_code"] == a["location"]["twitter_country_code"]
        if "inReplyTo" in a:
            assert a["inReplyTo"]["link"].endswith("/" + r["reply_to_post_id"])
        actor = a["actor"]
        s = snaps[snaps["account_id"] == actor["id"].split(":")[-1]]
        assert len(s) >= 1
        assert set(s["handle"]) == {actor["preferredUsername"]}
        assert actor["followersCount"] in set(s["followers"])
        assert set(s["time_zone"].dropna()) <= {actor.get("twitterTimeZone")}


# --- layouts: arrays, pretty JSON, compression, notices, encodings, re-ingest ---------------------------------------


def _v1_lines(shared_data) -> list[bytes]:
    return [line for line in (shared_data / V1_DIR / "original_format_examples.json").read_bytes().split(b"\n")
            if line.strip()]


def test_reingest_adds_nothing(shared_data, ws):
    for path in (shared_data / V1_DIR / "original_format_examples.json", shared_data / V2_DIR / "2sets.jsonl"):
        (first,) = ws.ingest([path])
        before = ws.df("SELECT (SELECT count(*) FROM posts) AS p, (SELECT count(*) FROM account_snapshots) AS a,"
                       " (SELECT count(*) FROM quarantine) AS q")
        (again,) = ws.ingest([path])
        after = ws.df("SELECT (SELECT count(*) FROM posts) AS p, (SELECT count(*) FROM account_snapshots) AS a,"
                      " (SELECT count(*) FROM quarantine) AS q")
        assert again.already_present and before.equals(after)


@pytest.mark.parametrize("layout", ["array-one-line", "array-pretty", "concatenated-pretty", "gz", "bz2"])
def test_v1_layouts_give_the_same_posts(shared_data, tmp_path, ws, layout, monkeypatch):
    import marsad.readers.jsonstream as tc

    monkeypatch.setattr(tc, "CHUNK", 4096)  # many chunk boundaries inside records
    lines = _v1_lines(shared_data)
    objs = [json.loads(x) for x in lines]
    path = tmp_path / f"tweets-{layout}.json"
    if layout == "array-one-line":
        path.write_text(json.dumps(objs, ensure_ascii=False), encoding="utf-8")
    elif layout == "array-pretty":
        path.write_text(json.dumps(objs, indent=2, ensure_ascii=False), encoding="utf-8")
    elif layout == "concatenated-pretty":
        path.write_text("\n".join(json.dumps(o, indent=1) for o in objs), encoding="utf-8")
    elif layout == "gz":
        path.write_bytes(gzip.compress(b"\n".join(lines)))
    else:
        path.write_bytes(bz2.compress(b"\n".join(lines)))
    assert detect(path).name == "twitter-v1"
    (res,) = ws.ingest([path])
    _reconciles(res)
    assert res.n_loaded == 25 and res.n_quarantined == 0
    texts = dict(ws.df("SELECT post_id, text FROM posts WHERE NOT embedded").values.tolist())
    assert texts == {o["id_str"]: full_text_v1(o) for o in objs}


def test_array_with_a_broken_element_resyncs(shared_data, tmp_path, ws, monkeypatch):
    import marsad.readers.jsonstream as tc

    monkeypatch.setattr(tc, "CHUNK", 4096)
    objs = [json.loads(x) for x in _v1_lines(shared_data)]
    parts = [json.dumps(o, indent=2) for o in objs]
    parts[7] = parts[7][: len(parts[7]) // 2]  # a record cut in half, as by a crashed writer
    path = tmp_path / "broken-array.json"
    path.write_text("[\n" + ",\n".join(parts) + "\n]\n", encoding="utf-8")
    (res,) = ws.ingest([path], format="twitter-v1")
    _reconciles(res)
    assert res.n_quarantined == 1 and res.n_loaded == 24
    got = set(ws.df("SELECT post_id FROM posts WHERE NOT embedded")["post_id"])
    assert got == {o["id_str"] for i, o in enumerate(objs) if i != 7}
    assert ws.quarantine(res.dataset_id)["reason"][0].startswith("malformed JSON")


def test_streaming_notices_blank_lines_and_bad_bytes(shared_data, tmp_path, ws):
    lines = _v1_lines(shared_data)[:5]
    notices = [
        {"delete": {"status": {"id": 1, "id_str": "1", "user_id": 3, "user_id_str": "3"}}},
        {"limit": {"track": 1234, "timestamp_ms": "1495659000000"}},
        {"scrub_geo": {"user_id": 3, "user_id_str": "3", "up_to_status_id": 9, "up_to_status_id_str": "9"}},
        {"status_withheld": {"id": 5, "user_id": 3, "withheld_in_countries": ["DE"]}},
        {"user_withheld": {"id": 3, "withheld_in_countries": ["DE"]}},
        {"disconnect": {"code": 4, "stream_name": "x", "reason": "y"}},
        {"warning": {"code": "FALLING_BEHIND", "message": "m", "percent_full": 60}},
        {"friends": [1, 2, 3]},
    ]
    # a tweet whose text has Windows-1252 bytes (a mis-encoded export), and a tweet cut short
    t = json.loads(lines[0])
    t["id_str"], t["text"] = "999", "caf\u00e9 PLACEHOLDER"
    cp1252 = json.dumps(t, ensure_ascii=False).encode("utf-8").replace("PLACEHOLDER".encode(), b"\x93quoted\x94")
    body = [lines[0], b"", b"   "] + [json.dumps(n).encode() for n in notices] + lines[1:5] + [cp1252, lines[1][:300]]
    path = tmp_path / "stream.jsonl"
    path.write_bytes(b"\n".join(body) + b"\n")
    (res,) = ws.ingest([path])
    _reconciles(res)
    assert res.n_read == 5 + len(notices) + 2  # blank lines are not records
    q = ws.quarantine(res.dataset_id)
    reasons = list(q["reason"])
    assert reasons[: len(notices)] == [f"not a post: {next(iter(n))} notice" for n in notices]
    assert reasons[-1].startswith("malformed JSON")
    assert res.n_repaired == 1
    assert ws.df("SELECT text FROM posts WHERE post_id = '999'")["text"][0] == "caf\u00e9 \u201cquoted\u201d"


def test_kernels_are_callable_per_line(shared_data):
    """The per-line kernels the parallel ingest runs in worker processes: plain functions, lists of records."""
    from types import FunctionType

    from marsad.readers.gnip import GnipActivityReader
    from marsad.readers.twitter_v1 import TwitterV1Reader
    from marsad.readers.twitter_v2 import TwitterV2Reader
    from marsad.records import Parsed, Rejected

    for cls in (TwitterV1Reader, GnipActivityReader, TwitterV2Reader):
        assert isinstance(cls.parse_line, FunctionType)
    v1 = TwitterV1Reader.parse_line
    line = _v1_lines(shared_data)[0]
    (item,) = v1(line, 1, {})
    assert isinstance(item, Parsed) and item.posts[0]["post_id"] == json.loads(line)["id_str"]
    assert [type(x) for x in v1(b'{"limit": {"track": 5}}', 2, {})] == [Rejected]
    assert [type(x) for x in v1(b'{"created_at": ', 3, {})] == [Rejected]
    assert v1(b"  \n", 4, {}) == []
    g = (shared_data / V1_DIR / "activity_streams_examples.json").read_bytes().split(b"\n")[0]
    assert GnipActivityReader.parse_line(g, 1, {})[0].posts[0]["post_id"] == json.loads(g)["id"].split(":")[-1]
    page = (shared_data / V2_DIR / "brexit.jsonl").read_bytes().strip()
    assert len(TwitterV2Reader.parse_line(page, 1, {})) == 100


def test_only_line_files_are_split_for_parallel_parsing(shared_data, tmp_path):
    from marsad.readers.twitter_v1 import TwitterV1Reader

    objs = [json.loads(x) for x in _v1_lines(shared_data)]
    pretty = tmp_path / "pretty.json"
    pretty.write_text("\n".join(json.dumps(o, indent=2) for o in objs))
    array = tmp_path / "array.json"
    array.write_text(json.dumps(objs))
    assert TwitterV1Reader.splittable(shared_data / V1_DIR / "original_format_examples.json")
    assert not TwitterV1Reader.splittable(pretty) and not TwitterV1Reader.splittable(array)


def test_parallel_ingest_matches_serial(shared_data, tmp_path, monkeypatch):
    """The per-line kernels run in spawned worker processes over byte ranges give what the serial reader gives."""
    import marsad.workspace.ingest as ingest
    from marsad import Workspace
    from marsad.readers.twitter_v1 import TwitterV1Reader

    data = tmp_path / "mixed.jsonl"
    body = _v1_lines(shared_data) + [b'{"delete": {"status": {"id_str": "1"}}}', b"", b'{"broken": ']
    data.write_bytes(b"\n".join(body * 3) + b"\n")
    results = {}
    for mode in ("serial", "parallel"):
        monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 1 << 40 if mode == "serial" else 1024)
        monkeypatch.setattr(ingest, "WORKERS", 2)
        assert ingest._parallel_ok(TwitterV1Reader, data, data.stat().st_size) == (mode == "parallel")
        with Workspace(tmp_path / f"{mode}.duckdb") as w:
            (res,) = w.ingest([data])
            posts = w.df("SELECT * EXCLUDE (dataset_id) FROM posts ORDER BY post_id")
            accounts = w.df("SELECT * EXCLUDE (dataset_id) FROM account_snapshots ORDER BY ALL")
            q = w.df("SELECT record_position, reason FROM quarantine ORDER BY record_position")
        results[mode] = (res, posts, q, accounts)
    (rs, ps, qs, acs), (rp, pp, qp, acp) = results["serial"], results["parallel"]
    for k in ("n_read", "n_loaded", "n_duplicate", "n_quarantined", "n_embedded"):
        assert getattr(rs, k) == getattr(rp, k), k
    assert rs.n_read == 3 * 27 and rs.n_quarantined == 6 and rs.n_duplicate == 50
    # the parallel workers read these lines with the native v1.1 kernel where it is built: the same rows
    assert ps.astype(str).equals(pp.astype(str)) and qs.equals(qp) and acs.astype(str).equals(acp.astype(str))


def test_parallel_ranges_are_cut_without_a_scan_and_hashed_while_parsing(shared_data, tmp_path, monkeypatch):
    """Byte ranges end after a newline and cover the file; the sha256 computed beside the workers is the file's;
    the same bytes under another name add nothing."""
    import hashlib

    import marsad.workspace.ingest as ingest
    from marsad import Workspace

    raw = b"\n".join(_v1_lines(shared_data) * 4 + [b'{"broken": ']) + b"\n"
    data = tmp_path / "big.jsonl"
    data.write_bytes(raw)
    for chunk in (10, 3000, 50_000, len(raw) * 2):  # 10: every line is longer than a range
        ranges = ingest._cut(data, len(raw), chunk)
        assert ranges[0][0] == 0 and ranges[-1][1] == len(raw)
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        assert all(raw[e - 1:e] == b"\n" for _, e in ranges)
        if chunk == 10:
            assert len(ranges) == raw.count(b"\n")
    # the hash covers the bytes there were when the ingest began (those the ranges cover), not any appended later
    assert ingest._sha256(data, 1000) == hashlib.sha256(raw[:1000]).hexdigest()
    monkeypatch.setattr(ingest, "PARALLEL_MIN_BYTES", 1024)
    monkeypatch.setattr(ingest, "WORKERS", 2)
    with Workspace(tmp_path / "w.duckdb") as w:
        (first,) = w.ingest([data])
        n = len(_v1_lines(shared_data))
        assert (first.n_read, first.n_duplicate, first.n_quarantined) == (4 * n + 1, 3 * n, 1)
        assert w.con.execute("SELECT sha256 FROM datasets").fetchone()[0] == hashlib.sha256(raw).hexdigest()
        # positions are line numbers in the file, not in a worker's range
        assert w.con.execute("SELECT record_position FROM quarantine").fetchall() == [(4 * n + 1,)]
        assert w.con.execute("SELECT max(record_position) FROM posts WHERE NOT embedded").fetchone() == (n,)
        copy = tmp_path / "copy.jsonl"
        copy.write_bytes(raw)
        (again,) = w.ingest([copy])
        assert again.already_present and again.dataset_id == first.dataset_id
