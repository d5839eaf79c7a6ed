"""The Twitter API v2 / twarc2 reader on the real twarc-csv test data (pages, stream lines, flattened tweets,
user lookups, counts, lists, compliance). Expected values come from the raw JSON, read here with plain ``json``."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from marsad.errors import MarsadError
from marsad.readers import all_readers, detect
from marsad.readers.io import read_head

from test_readers_twitter import V2_DIR, _read, _reconciles, _v2_files, as_list, post_rows, raw_lines


@pytest.mark.parametrize("name", _v2_files())
def test_detect_v2_samples(shared_data, name):
    path = shared_data / V2_DIR / name
    assert detect(path).name == "twitter-v2"
    head = read_head(path)
    scores = {r.name: r.sniff(head, path) for r in all_readers()}
    assert scores["twitter-v2"] >= 0.9
    assert all(v < 0.5 for k, v in scores.items() if k != "twitter-v2"), scores


def test_empty_file_is_a_clear_error(shared_data, ws):
    path = shared_data / V2_DIR / "empty.json"
    with pytest.raises(MarsadError, match="empty"):
        ws.ingest([path])
    with pytest.raises(MarsadError, match="empty"):
        ws.ingest([path], format="twitter-v2")
    assert ws.df("SELECT count(*) AS n FROM datasets")["n"][0] == 0


@pytest.mark.parametrize("name", _v2_files())
def test_ingest_v2_samples(shared_data, ws, name):
    path = shared_data / V2_DIR / name
    lines = raw_lines(path)
    (res,) = ws.ingest([path])
    _reconciles(res)
    tweets, users, other = [], [], 0
    for _, o in lines:
        if not isinstance(o, dict):
            other += 1
            continue
        data = o.get("data")
        if data is None and "text" in o:
            tweets.append(o)  # flattened
        elif isinstance(data, dict):
            tweets.append(data)  # stream line
        elif isinstance(data, list) and data and "text" in data[0]:
            tweets.extend(data)
        elif isinstance(data, list) and data and "username" in data[0]:
            users.extend(data)
        else:
            other += 1  # counts, lists, compliance: one quarantined record per line
    assert res.n_read == len(tweets) + len(users) + other
    assert res.n_quarantined == other
    rows = post_rows(ws, res.dataset_id)
    assert set(rows) == {t["id"] for t in tweets}
    assert res.n_duplicate == len(tweets) - len(rows)
    if users:
        got = ws.df("SELECT DISTINCT account_id FROM account_snapshots WHERE dataset_id = ?", [res.dataset_id])
        assert {u["id"] for u in users} <= set(got["account_id"])


def test_v2_stated_counts(shared_data, ws):
    stated = {"2sets.jsonl": 200, "kpop.jsonl": 100, "brexit.jsonl": 100, "noflat.jsonl": 100,
              "withheld.jsonl": 215, "media_policy_violation_on.jsonl": 100, "geo_tweets.jsonl": 2,
              "entities_test.jsonl": 474}
    for name, n in stated.items():
        (res,) = ws.ingest([shared_data / V2_DIR / name])
        assert res.n_read == n, name
        assert res.n_quarantined == 0, name
    (res,) = ws.ingest([shared_data / V2_DIR / "users.jsonl"])
    assert res.n_read == 96 and res.n_quarantined == 0
    ar = ws.df("""SELECT count(*) AS n FROM posts p JOIN datasets d USING (dataset_id)
                  WHERE d.path LIKE '%media_policy_violation_on%' AND NOT embedded AND lang = 'ar'""")
    assert ar["n"][0] == 10


def test_streaming_error_line_is_quarantined(shared_data, ws):
    path = shared_data / V2_DIR / "streaming_output_with_error.jsonl"
    bad = [i for i, o in raw_lines(path) if o is None]
    (res,) = ws.ingest([path])
    q = ws.quarantine(res.dataset_id)
    assert list(q["record_position"]) == bad
    assert all(r.startswith("malformed JSON") for r in q["reason"])
    rules = ws.df("SELECT extra FROM posts WHERE dataset_id = ? AND NOT embedded", [res.dataset_id])
    assert all("matching_rules" in json.loads(e) for e in rules["extra"])


def test_non_post_lines_are_quarantined_as_such(shared_data, ws):
    for name, reason in (("counts.jsonl", "not a post: tweet counts"), ("lists.jsonl", "not a post: list"),
                         ("tweets_compliance.jsonl", "not a post: compliance event"),
                         ("users_compliance.jsonl", "not a post: compliance event")):
        (res,) = ws.ingest([shared_data / V2_DIR / name])
        q = ws.quarantine(res.dataset_id)
        assert len(q) == res.n_read and all(r.startswith(reason) for r in q["reason"]), name


# --- field fidelity: v2 -------------------------------------------------------------------------------------------


def _v2_page_tweets(path: Path) -> list[tuple[dict, dict]]:
    out = []
    for _, o in raw_lines(path):
        if isinstance(o, dict) and isinstance(o.get("data"), list):
            out.extend((t, o) for t in o["data"])
        elif isinstance(o, dict) and isinstance(o.get("data"), dict):
            out.append((o["data"], o))
    return out


@pytest.mark.parametrize("name", ["2sets.jsonl", "withheld.jsonl", "entities_test.jsonl", "geo_tweets.jsonl",
                                  "quoted_edit.jsonl", "media_tweet.jsonl"])
def test_v2_field_fidelity(shared_data, ws, name):
    path = shared_data / V2_DIR / name
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    checked = {"retweeted": 0, "quoted": 0, "replied_to": 0, "geo": 0, "place": 0, "media": 0}
    for t, page in _v2_page_tweets(path):
        r = rows[t["id"]]
        inc = page.get("includes", {})
        users = {u["id"]: u for u in inc.get("users", [])}
        tweets = {x["id"]: x for x in inc.get("tweets", [])}
        refs = {x["type"]: x["id"] for x in t.get("referenced_tweets", [])}
        src = tweets.get(refs.get("retweeted"), t)
        assert r["text"] == (src.get("note_tweet") or {}).get("text", src["text"])
        assert r["account_id"] == t["author_id"]
        if t["author_id"] in users:
            assert r["account_handle"] == users[t["author_id"]]["username"]
        assert r["source"] == t.get("source") and r["lang"] == t.get("lang")
        ents = src.get("entities", {})
        assert as_list(r["mentions"]) == [m["username"].lower() for m in ents.get("mentions", [])]
        assert as_list(r["hashtags"]) == [h["tag"] for h in ents.get("hashtags", [])]
        assert as_list(r["urls"]) == [u["expanded_url"] for u in ents.get("urls", []) if "media_key" not in u]
        media = {m["media_key"]: m for m in inc.get("media", [])}
        keys = src.get("attachments", {}).get("media_keys", [])
        assert as_list(r["media_urls"]) == [media[k].get("url") or media[k]["preview_image_url"]
                                            for k in keys if k in media]
        checked["media"] += bool(keys)
        for kind, col in (("retweeted", "repost_of_post_id"), ("quoted", "quote_of_post_id"),
                          ("replied_to", "reply_to_post_id")):
            assert r[col] == refs.get(kind), (t["id"], kind)
            checked[kind] += kind in refs
        if "retweeted" in refs and refs["retweeted"] in tweets:
            assert r["repost_of_account_id"] == tweets[refs["retweeted"]]["author_id"]
        assert r["reply_to_account_id"] == t.get("in_reply_to_user_id")
        geo = t.get("geo", {})
        if "coordinates" in geo:
            lon, lat = geo["coordinates"]["coordinates"]
            assert (r["lat"], r["lon"]) == (lat, lon)
            checked["geo"] += 1
        places = {p["id"]: p for p in inc.get("places", [])}
        if geo.get("place_id") in places:
            assert r["place_country_code"] == places[geo["place_id"]]["country_code"]
            assert r["place_name"] == places[geo["place_id"]]["full_name"]
            checked["place"] += 1
        extra = json.loads(r["extra"]) if r["extra"] else {}
        for k in ("edit_history_tweet_ids", "edit_controls", "withheld", "context_annotations", "public_metrics"):
            if k in t:
                assert extra[k] == t[k], (t["id"], k)
    if name == "2sets.jsonl":
        assert checked["retweeted"] > 50 and checked["quoted"] > 0 and checked["replied_to"] > 0
    if name == "geo_tweets.jsonl":
        assert checked["geo"] + checked["place"] >= 2
    if name == "media_tweet.jsonl":
        assert checked["media"] == 1


def test_v2_edits_and_withheld(shared_data, ws):
    (res,) = ws.ingest([shared_data / V2_DIR / "edited.jsonl"])
    page = json.loads((shared_data / V2_DIR / "edited.jsonl").read_text())
    t = page["data"][0]
    r = post_rows(ws, res.dataset_id)[t["id"]]
    extra = json.loads(r["extra"])
    assert extra["edit_history_tweet_ids"] == t["edit_history_tweet_ids"] and len(t["edit_history_tweet_ids"]) > 1
    (res,) = ws.ingest([shared_data / V2_DIR / "withheld.jsonl"])
    withheld = [t for t, _ in _v2_page_tweets(shared_data / V2_DIR / "withheld.jsonl") if "withheld" in t]
    assert withheld
    rows = post_rows(ws, res.dataset_id)
    for t in withheld:
        assert json.loads(rows[t["id"]]["extra"])["withheld"] == t["withheld"]


def test_v2_note_tweet_and_missing_original(shared_data, tmp_path, ws):
    """note_tweet carries the full text of long posts (none in the samples: add one to a real page), and a
    retweet whose original is missing keeps its own text, says so, and names the error."""
    page = json.loads((shared_data / V2_DIR / "two_tweets.jsonl").read_text())
    t = page["data"][0]
    (orig_id,) = [r["id"] for r in t["referenced_tweets"] if r["type"] == "retweeted"]
    (orig,) = [x for x in page["includes"]["tweets"] if x["id"] == orig_id]
    long_text = "نص طويل " * 60 + orig["text"]
    orig["note_tweet"] = {"text": long_text, "entities": {"hashtags": [{"start": 0, "end": 4, "tag": "طويل"}]}}
    rt = dict(t, id="1999999999999999999", text="RT @someone: cut short…",
              referenced_tweets=[{"type": "retweeted", "id": "1888888888888888888"}],
              entities={"mentions": [{"start": 3, "end": 11, "username": "someone", "id": "42"}]})
    page["data"].append(rt)
    page["errors"] = [{"resource_id": "1888888888888888888", "resource_type": "tweet", "title": "Not Found Error",
                       "detail": "Could not find tweet with referenced_tweets.id: [1888888888888888888]."}]
    path = tmp_path / "note.jsonl"
    path.write_text(json.dumps(page, ensure_ascii=False) + "\n", encoding="utf-8")
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    embedded = post_rows(ws, res.dataset_id, embedded=True)
    for r in (rows[t["id"]], embedded[orig_id]):  # the retweet and its original both carry the long text
        assert r["text"] == long_text and as_list(r["hashtags"]) == ["طويل"]
    assert json.loads(embedded[orig_id]["extra"])["note_tweet"] is True
    r = rows["1999999999999999999"]
    extra = json.loads(r["extra"])
    assert r["text"] == "RT @someone: cut short…" and extra["repost_text_truncated"] is True
    assert (r["repost_of_post_id"], r["repost_of_handle"], r["repost_of_account_id"]) == (
        "1888888888888888888", "someone", "42")
    assert extra["errors"][0]["title"] == "Not Found Error"


def test_v2_flattened_and_pages_agree(shared_data):
    flat = {r.posts[0]["post_id"]: r for r in _read("twitter-v2", shared_data / V2_DIR / "flat.jsonl")}
    pages = {r.posts[0]["post_id"]: r for r in _read("twitter-v2", shared_data / V2_DIR / "noflat.jsonl")}
    assert flat.keys() == pages.keys() and len(flat) == 100
    cols = ("account_id", "account_handle", "created_at", "text", "lang", "source", "repost_of_post_id",
            "repost_of_account_id", "repost_of_handle", "quote_of_post_id", "reply_to_post_id",
            "reply_to_account_id", "mentions", "hashtags", "urls", "media_urls", "lat", "lon")
    for pid, f in flat.items():
        p = pages[pid]
        for c in cols:
            assert f.posts[0].get(c) == p.posts[0].get(c), (pid, c)
        assert [e["post_id"] for e in f.posts[1:]] == [e["post_id"] for e in p.posts[1:]]


def test_v2_account_observations_are_dated_by_retrieval(shared_data, ws):
    path = shared_data / V2_DIR / "brexit.jsonl"
    page = json.loads(path.read_text())
    (res,) = ws.ingest([path])
    snaps = ws.df("SELECT * FROM account_snapshots WHERE dataset_id = ?", [res.dataset_id])
    users = {u["id"]: u for u in page["includes"]["users"]}
    assert set(snaps["account_id"]) == set(users)
    retrieved = page["__twarc"]["retrieved_at"][:19]
    for rec in snaps.to_dict("records"):
        u = users[rec["account_id"]]
        assert rec["handle"] == u["username"] and rec["display_name"] == u["name"]
        assert rec["followers"] == u["public_metrics"]["followers_count"]
        assert rec["following"] == u["public_metrics"]["following_count"]
        assert rec["statuses"] == u["public_metrics"]["tweet_count"]
        assert rec["location"] == u.get("location") and rec["description"] == u.get("description")
        assert rec["verified"] == u.get("verified") and rec["avatar_url"] == u.get("profile_image_url")
        assert rec["first_observed"].strftime("%Y-%m-%dT%H:%M:%S") == retrieved
        assert rec["n_observations"] == 1  # each user once per page


def test_glued_stream_line_recovers_the_second_record(shared_data, tmp_path, ws):
    line = (shared_data / V2_DIR / "streaming_output_with_error.jsonl").read_bytes().split(b"\n")[1]
    tweet_id = json.loads(line)["data"]["id"]
    path = tmp_path / "glued.jsonl"
    path.write_bytes(line[:60] + line + b"\n")  # an interrupted write followed by a full one
    (res,) = ws.ingest([path], format="twitter-v2")
    _reconciles(res)
    assert res.n_quarantined == 1 and res.n_loaded == 1
    assert list(post_rows(ws, res.dataset_id)) == [tweet_id]


@pytest.mark.parametrize("name", ["kpop.jsonl", "2sets.jsonl", "noflat.jsonl", "entities_test.jsonl"])
def test_v2_page_errors_are_noted_not_records(shared_data, ws, name):
    path = shared_data / V2_DIR / name
    (res,) = ws.ingest([path])
    rows = post_rows(ws, res.dataset_id)
    n_errors = 0
    for _, page in raw_lines(path):
        errors = {e.get("resource_id"): e for e in page.get("errors", [])}
        n_errors += len(errors)
        for t in page["data"]:
            refs = {r["id"] for r in t.get("referenced_tweets", [])}
            users = {m["username"] for m in t.get("entities", {}).get("mentions", [])} | {t["author_id"]}
            expected = sorted(k for k in errors if k in refs | users)
            extra = json.loads(rows[t["id"]]["extra"] or "{}")
            assert sorted(e["resource_id"] for e in extra.get("errors", [])) == expected, t["id"]
    assert n_errors > 0
    assert res.n_read == sum(len(p["data"]) for _, p in raw_lines(path))  # errors are not records
