"""The simulator: structural statistics match the parameters, determinism, bad parameters, and generated files
ingest with the real readers with zero quarantined records."""
from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from marsad.cli import main
from marsad.simulate import SimParams, simulate
from marsad.simulate.params import ROLES


def _read(d: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(d / "truth" / name, dtype=str, keep_default_na=False)


def _within(observed: float, expected: float, n: int, k: float = 4.5) -> bool:
    """|observed - expected| within k binomial standard errors (plus a small floor)."""
    se = math.sqrt(max(expected * (1 - expected), 1e-9) / max(n, 1))
    return abs(observed - expected) <= k * se + 0.005


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    p = SimParams(accounts=3000, days=22, seed=5, geotag_account_share=0.05)
    out = tmp_path_factory.mktemp("sim") / "w"
    res = simulate(p, out)
    acc = _read(out, "accounts.csv")
    posts = _read(out, "posts.csv")
    return p, out, res, acc, posts


def test_population_shares_match_parameters(world):
    p, out, res, acc, posts = world
    first = acc[acc.family_seq == "0"]
    assert len(first) == p.accounts == res.n_people
    assert res.n_accounts == len(acc)
    sup = first[first.is_supporter == "true"]
    # roles of supporters
    for r in ROLES:
        assert _within((sup.role == r).mean(), p.supporter_roles[r], len(sup)), r
    assert set(first[first.is_supporter == "false"].role) == {"other"}
    # hard negatives among the controls
    ctrl = first[first.is_supporter == "false"]
    assert _within((ctrl.is_hard_negative == "true").mean(), p.hard_negative_share, len(ctrl))
    # devices (accounts of automated coordinated groups post through automation apps, so leave them out)
    groups = _read(out, "groups.csv")
    auto = set("|".join(groups[groups.automated == "true"].account_ids).split("|"))
    for side, shares in ((sup, p.devices_supporter), (ctrl, p.devices_control)):
        s = side[~side.account_id.isin(auto)]
        for fam, share in shares.items():
            assert _within((s.device_family == fam).mean(), share, len(s)), fam
    # geotagging accounts
    assert _within((first.geotagger == "true").mean(), p.geotag_account_share, len(first))


def test_followers_are_heavy_tailed_and_capped(world):
    p, out, res, acc, posts = world
    first = acc[acc.family_seq == "0"]
    f = first[first.is_supporter == "true"].followers_initial.astype(float)
    assert f.max() <= p.followers_cap_supporter
    # log-normal: median and the 90% quantile (median * exp(1.2816 sigma)) within 20%
    assert abs(f.median() / p.followers_median_supporter - 1) < 0.2
    q90 = p.followers_median_supporter * math.exp(1.2816 * p.followers_sigma_supporter)
    assert abs(f.quantile(0.9) / q90 - 1) < 0.25
    assert f.mean() > 2 * f.median()  # heavy tail
    # returning accounts lose most of their followers
    back = acc[acc.family_seq != "0"]
    prev = acc.set_index("account_id").loc[back.prev_account_id]
    ratio = back.followers_initial.astype(float).values / np.maximum(1, prev.followers.astype(float).values)
    assert np.all(ratio <= p.follower_regain[1] + 0.02)


def test_geotag_share_of_posts(world):
    p, out, res, acc, posts = world
    geo_accounts = set(acc[acc.geotagger == "true"].account_id)
    own = posts[posts.account_id.isin(geo_accounts) & (posts.kind != "repost")]
    assert _within((own.is_geotagged == "true").mean(), p.geotag_post_share, len(own))
    assert set(posts[posts.is_geotagged == "true"].account_id) <= geo_accounts
    assert (posts[posts.is_geotagged == "true"].geo_country == posts[posts.is_geotagged == "true"].country).all()


def test_suspension_waves_match_parameters(world):
    p, out, res, acc, posts = world
    start = datetime.fromisoformat(p.start).replace(tzinfo=timezone.utc)
    ts = lambda s: pd.to_datetime(s, utc=True)  # noqa: E731
    sup = acc[acc.is_supporter == "true"].copy()
    sup["susp"] = ts(sup.suspended_at.replace("", None))
    sup["from"] = ts(sup.active_from)
    mult = {r: p.suspension_by_role[r] for r in ROLES}
    week = pd.Timedelta(days=p.suspension_wave_every_days)
    n_waves = (p.days - 1) // p.suspension_wave_every_days
    assert n_waves >= 2
    for k in range(1, n_waves + 1):
        wave = pd.Timestamp(start) + k * week
        alive = sup[(sup["from"] <= wave) & (sup.susp.isna() | (sup.susp >= wave))]
        expected = sum(min(1.0, p.suspension_wave_share * mult[r]) for r in alive.role)
        got = ((sup.susp >= wave) & (sup.susp < wave + pd.Timedelta(hours=18))).sum()
        assert abs(got - expected) <= 4.5 * math.sqrt(expected) + 2, (k, got, expected)
    # control suspensions: exactly the share, never re-created
    ctrl = acc[(acc.is_supporter == "false")]
    assert (ctrl.suspended_at != "").sum() == round(p.control_suspension_share * len(ctrl))
    assert (ctrl.family_seq == "0").all()


def test_recreated_accounts_and_shoutouts(world):
    p, out, res, acc, posts = world
    by_id = acc.set_index("account_id")
    back = acc[acc.family_seq != "0"]
    assert len(back) >= 20
    # share of suspended supporters who came back (those whose return fits in the period are censored, so >=)
    sus = acc[(acc.is_supporter == "true") & (acc.suspended_at != "")]
    came_back = sus.account_id.isin(set(back.prev_account_id)).mean()
    assert came_back <= p.recreate_share + 0.1 and came_back >= p.recreate_share * 0.6
    for _, r in back.iterrows():
        old = by_id.loc[r.prev_account_id]
        assert old.suspended_at and old.suspended_at <= r.created_at  # appears after the old one was suspended
        assert old.family_id == r.family_id and old.person_id == r.person_id and old.role == r.role
        h_old = old.handles.split("|")[-1].lower()
        h_new = r.handle.lower()
        assert h_new != h_old
        if r.handle_variant == "suffix":
            assert re.sub(r"\d+$", "", h_new)[:8] == re.sub(r"\d+$", "", h_old)[:8]
        elif r.handle_variant == "underscore":
            assert h_new.replace("_", "")[:10] == h_old.replace("_", "")[:10]
    fam = _read(out, "families.csv")
    sizes = fam.n_accounts.astype(int)
    assert (sizes >= 2).all() and sizes.sum() == len(back) + len(fam)
    # every return is announced by a shout-out account within the delay (when a shout-out account was active)
    sh = posts[posts.is_shoutout == "true"]
    promoted = set("|".join(sh.promoted_account_ids).split("|")) - {""}
    assert back.account_id.isin(promoted).mean() >= 0.9
    authors = by_id.loc[sh.account_id]
    assert (authors.role == "shoutout").all()


def test_coordinated_groups(world):
    p, out, res, acc, posts = world
    groups = _read(out, "groups.csv")
    lo, hi = p.coord_group_size
    sup_groups = groups[groups.side == "supporter"]
    assert len(sup_groups) >= 3
    assert sup_groups.n_members.astype(int).between(lo, hi).all()
    n_sup = (acc[acc.family_seq == "0"].is_supporter == "true").sum()
    in_groups = sup_groups.n_members.astype(int).sum()
    assert abs(in_groups - p.coord_supporter_share * n_sup) <= hi
    cp = posts[posts.coord_group != ""].copy()
    cp["t"] = pd.to_datetime(cp.created_at, utc=True)
    beh = groups.set_index("coord_group").behaviour
    for gid, g in cp.groupby("coord_group"):
        members = set(groups.set_index("coord_group").loc[gid].account_ids.split("|"))
        assert set(g.account_id) <= members
        for _, ev in g.groupby("coord_event"):
            assert ev.account_id.is_unique
            if beh[gid] == "repost":  # the same post reposted by members within 15 minutes
                assert ev.target_post_id.nunique() == 1 and ev.kind.eq("repost").all()
                assert (ev.t.max() - ev.t.min()) <= pd.Timedelta(minutes=15)
            elif beh[gid] == "copypaste":
                assert ev.kind.eq("coord-copy").all() and (ev.t.max() - ev.t.min()) <= pd.Timedelta(minutes=15)
            else:
                assert ev.kind.eq("coord-hashtag").all() and (ev.t.max() - ev.t.min()) <= pd.Timedelta(minutes=60)


def test_languages_and_text(world):
    p, out, res, acc, posts = world
    assert (posts.lang == "ar").mean() > 0.6
    assert {"ar", "en", "fr"} <= set(posts.lang)
    sup_posts = posts[posts.account_id.isin(set(acc[acc.is_supporter == "true"].account_id))]
    assert sup_posts.supportive.eq("true").mean() > 0.6
    hn = posts[posts.account_id.isin(set(acc[acc.is_hard_negative == "true"].account_id))]
    assert hn[hn.kind != "repost"].supportive.eq("true").mean() == 0


def test_v1_ingests_with_zero_quarantine_and_joins_truth(tmp_path):
    from marsad import Workspace

    res = simulate(SimParams(accounts=600, days=9, seed=8, rename_share=0.1, geotag_account_share=0.1), tmp_path / "v1")
    acc, posts = _read(res.out, "accounts.csv"), _read(res.out, "posts.csv")
    ws = Workspace(tmp_path / "w.duckdb")
    results = ws.ingest(res.files)
    assert sum(r.n_quarantined for r in results) == 0
    assert sum(r.n_read for r in results) == len(posts)
    ws.con.register("truth_posts", posts)
    row = ws.con.execute(
        """SELECT count(*), count(p.post_id), count(*) FILTER (WHERE p.account_id = t.account_id),
                  count(*) FILTER (WHERE t.kind = 'repost' AND p.repost_of_post_id = t.target_post_id),
                  count(*) FILTER (WHERE t.kind = 'repost'),
                  count(*) FILTER (WHERE t.kind = 'reply' AND p.reply_to_post_id = t.target_post_id),
                  count(*) FILTER (WHERE t.kind = 'reply'),
                  count(*) FILTER (WHERE t.is_geotagged = 'true' AND p.place_country_code = t.geo_country
                                   AND p.lat IS NOT NULL),
                  count(*) FILTER (WHERE t.is_geotagged = 'true')
           FROM truth_posts t LEFT JOIN posts p ON p.post_id = t.post_id AND NOT p.embedded"""
    ).fetchone()
    assert row[0] == row[1] == row[2]
    assert row[3] == row[4] and row[5] == row[6] and row[7] == row[8] > 0
    # long texts come through whole (extended_tweet), entities included
    long_ = ws.con.execute("SELECT count(*), count(*) FILTER (WHERE len(hashtags) > 0) FROM posts "
                           "WHERE length(text) > 140 AND repost_of_post_id IS NULL").fetchone()
    assert long_[0] > 0 and long_[0] == long_[1]
    # snapshots change between rounds: renamed accounts show both handles, followers move
    renamed = acc[acc.handles.str.contains("|", regex=False) & (acc.n_posts.astype(int) > 0)]
    assert len(renamed) >= 10
    snap = ws.df("SELECT account_id, count(DISTINCT handle) AS n, count(DISTINCT followers) AS f "
                 "FROM account_snapshots GROUP BY 1").set_index("account_id")
    n = snap.n.reindex(renamed.account_id).fillna(0)
    assert (n >= 2).mean() > 0.6  # seen under both handles (unless it never posted again after the rename)
    assert (snap.f >= 2).mean() > 0.3  # follower counts move between observations
    ws.close()


def test_v2_ingests_with_zero_quarantine(tmp_path):
    from marsad import Workspace

    res = simulate(SimParams(accounts=300, days=6, seed=3, format="v2"), tmp_path / "v2")
    ws = Workspace(tmp_path / "v2.duckdb")
    results = ws.ingest(res.files)
    assert {r.format for r in results} == {"twitter-v2"}
    assert sum(r.n_quarantined for r in results) == 0
    posts = _read(tmp_path / "v2", "posts.csv")
    assert ws.con.execute("SELECT count(*) FROM posts WHERE NOT embedded").fetchone()[0] == len(posts)
    n_rt = ws.con.execute("SELECT count(*) FROM posts WHERE repost_of_post_id IS NOT NULL AND NOT embedded").fetchone()[0]
    assert n_rt == (posts.kind == "repost").sum()
    ws.close()


def test_telegram_export_is_valid_json(tmp_path):
    res = simulate(SimParams(accounts=200, days=4, seed=3, format="telegram"), tmp_path / "tg")
    (f,) = res.files
    doc = json.loads(f.read_text(encoding="utf-8"))
    posts = _read(tmp_path / "tg", "posts.csv")
    assert len(doc["messages"]) == len(posts) == res.n_posts
    assert [f'{doc["id"]}:{m["id"]}' for m in doc["messages"]] == list(posts.post_id)
    assert all(m["from_id"].startswith("user") for m in doc["messages"])
    assert sum("forwarded_from" in m for m in doc["messages"]) == (posts.kind == "repost").sum()


def test_telegram_ingests_with_zero_quarantine(tmp_path):
    pytest.importorskip("marsad.readers.telegram")
    from marsad import Workspace

    res = simulate(SimParams(accounts=200, days=4, seed=3, format="telegram"), tmp_path / "tg")
    ws = Workspace(tmp_path / "tg.duckdb")
    (r,) = ws.ingest(res.files)
    assert r.format == "telegram" and r.n_quarantined == 0 and r.n_read == res.n_posts
    posts = _read(tmp_path / "tg", "posts.csv")
    ws.con.register("truth_posts", posts)
    ok = ws.con.execute(
        """SELECT count(*) FILTER (WHERE p.account_id = t.account_id),
                  count(*) FILTER (WHERE t.kind = 'repost' AND p.repost_of_account_id IS NOT NULL),
                  count(*) FILTER (WHERE t.kind = 'repost'),
                  count(*) FILTER (WHERE t.kind = 'reply' AND p.reply_to_post_id = t.target_post_id),
                  count(*) FILTER (WHERE t.kind = 'reply')
           FROM truth_posts t JOIN posts p ON p.post_id = t.post_id""").fetchone()
    assert ok[0] == len(posts) and ok[1] == ok[2] and ok[3] == ok[4]
    ws.close()


def _digest(d: Path) -> dict[str, str]:
    return {str(f.relative_to(d)): hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(d.rglob("*"))
            if f.is_file()}


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    p = dict(accounts=150, days=8)
    a = simulate(SimParams(seed=11, **p), tmp_path / "a")
    b = simulate(SimParams(seed=11, **p), tmp_path / "b")
    c = simulate(SimParams(seed=12, **p), tmp_path / "c")
    par = simulate(SimParams(seed=11, **p), tmp_path / "par", workers=2)  # rounds written by two processes
    da, db, dc = _digest(a.out), _digest(b.out), _digest(c.out)
    assert da == db == _digest(par.out)
    assert par.files == [par.out / f"tweets-r{i}.jsonl" for i in (1, 2, 3)]
    assert len(da) >= 8
    differ = [k for k in da if da[k] != dc.get(k)]
    assert "tweets-r1.jsonl" in differ and "truth/accounts.csv" in differ


@pytest.mark.parametrize("args, message", [
    (["--accounts", "-5"], "accounts must be a positive"),
    (["--days", "0"], "days must be a positive"),
    (["--set", 'supporter_roles={"node": 0.5, "amplifier": 0.6, "shoutout": 0, "other": 0}'], "sum to 1.1"),
    (["--set", "supporter_share=1.5"], "supporter_share must be a share"),
    (["--set", "no_such_thing=1"], "unknown simulation parameter"),
    (["--format", "csv"], "format must be one of"),
    (["--set", 'country_weights={"XX": 1}'], "not one the simulator knows"),
    (["--start", "2099-01-01"], "ends in the future"),
    (["--set", "coord_group_size=[5, 2]"], "coord_group_size must be a (min, max) pair"),
])
def test_impossible_parameters_exit_2_with_one_line(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--out", str(tmp_path / "o"), *args])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.strip()]) <= 2  # the error line (and a hint)
    assert not (tmp_path / "o").exists()


def test_non_empty_output_folder_needs_force(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit) as e:
        main(["simulate", "--out", str(out), "--accounts", "50", "--days", "2"])
    assert e.value.code == 2
    assert "not empty" in capsys.readouterr().err
    try:
        main(["simulate", "--out", str(out), "--accounts", "50", "--days", "2", "--force"])
    except SystemExit as e:
        assert e.code in (0, None)
    assert (out / "notes.txt").read_text() == "mine"  # --force only replaces what a simulation wrote
    assert (out / "truth" / "accounts.csv").exists() and (out / "tweets-r1.jsonl").exists()


def test_params_file_round_trip_reproduces_the_world(tmp_path):
    a = tmp_path / "a"
    main_ok = ["simulate", "--out", str(a), "--accounts", "80", "--days", "4", "--seed", "9",
               "--set", "supporter_share=0.5", "--set", "coord_group_size=[3, 6]"]
    try:
        main(main_ok)
    except SystemExit as e:
        assert e.code in (0, None)
    saved = json.loads((a / "truth" / "params.json").read_text())
    assert saved["supporter_share"] == 0.5 and saved["coord_group_size"] == [3, 6] and saved["accounts"] == 80
    b = tmp_path / "b"
    try:
        main(["simulate", "--out", str(b), "--params", str(a / "truth" / "params.json")])
    except SystemExit as e:
        assert e.code in (0, None)
    assert _digest(a) == _digest(b)


def _check_entities(text: str, ent: dict) -> None:
    for h in ent.get("hashtags", []):
        s, e = h["indices"]
        assert text[s:e] == "#" + h["text"], (text, h)
    for m in ent.get("user_mentions", []):
        s, e = m["indices"]
        assert text[s:e].lower() == "@" + m["screen_name"].lower(), (text, m)
    for u in ent.get("urls", []):
        s, e = u["indices"]
        assert text[s:e] == u["url"], (text, u)


def test_v1_records_are_what_the_api_wrote(tmp_path):
    """Every line is one tweet; entity offsets point at the right characters (code points) in text and in
    extended_tweet.full_text; retweets embed the original with its author; created_at is the API's format."""
    res = simulate(SimParams(accounts=300, days=5, seed=21), tmp_path / "s")
    n = kinds = 0
    seen_ext = seen_rt = seen_reply = seen_geo = 0
    for f in res.files:
        for line in f.read_bytes().splitlines():
            tw = json.loads(line)
            n += 1
            assert tw["id_str"] == str(tw["id"]) and tw["user"]["id_str"] == str(tw["user"]["id"])
            datetime.strptime(tw["created_at"], "%a %b %d %H:%M:%S %z %Y")
            assert tw["source"].startswith('<a href="http') and tw["source"].endswith("</a>")
            assert len(tw["text"]) <= 140
            _check_entities(tw["text"], tw["entities"])
            if "extended_tweet" in tw:
                seen_ext += 1
                assert tw["truncated"] is True
                _check_entities(tw["extended_tweet"]["full_text"], tw["extended_tweet"]["entities"])
            if "retweeted_status" in tw:
                seen_rt += 1
                rs = tw["retweeted_status"]
                assert tw["text"].startswith("RT @" + rs["user"]["screen_name"] + ":")
                assert tw["entities"]["user_mentions"][0]["id_str"] == rs["user"]["id_str"]
                _check_entities(rs["text"], rs["entities"])
            if tw["in_reply_to_status_id"]:
                seen_reply += 1
                assert tw["text"].startswith("@" + tw["in_reply_to_screen_name"])
            if tw["coordinates"]:
                seen_geo += 1
                lon, lat = tw["coordinates"]["coordinates"]
                assert tw["geo"]["coordinates"] == [lat, lon] and len(tw["place"]["country_code"]) == 2
    assert n == res.n_posts
    assert seen_ext and seen_rt and seen_reply and seen_geo


def test_unique_handles_never_loop_when_a_stem_is_crowded():
    import random

    from marsad.simulate.world import _unique

    taken: set = set()
    rng = random.Random(1)
    handles = [_unique("abu_muhammad_shami", taken, rng) for _ in range(5000)]
    assert len({h.lower() for h in handles}) == 5000
    assert all(len(h) <= 15 and re.fullmatch(r"[A-Za-z0-9_]+", h) for h in handles)
    assert all(h.startswith("abu_muham") for h in handles)


def test_v1_lines_are_canonical_and_embed_what_was_posted(tmp_path):
    """The v1 writer assembles most lines from pre-serialised pieces: every line must be exactly what a JSON
    serialiser writes for the parsed object (no stray bytes), a user object must be the same wherever it appears on
    one day, and a retweeted or quoted original must be the original as posted (with its author's profile of the
    day it is embedded)."""
    import orjson

    res = simulate(SimParams(accounts=400, days=6, seed=4, rename_share=0.2, geotag_account_share=0.2),
                   tmp_path / "s")
    seen: dict = {}  # id -> original tweet as written
    users: dict = {}  # (day, user id) -> user object
    n_rt = n_same_day = n_quote = 0

    def check_user(day: str, u: dict) -> None:
        assert users.setdefault((day, u["id_str"]), u) == u

    for f in res.files:
        for line in f.read_bytes().splitlines():
            tw = orjson.loads(line)
            assert orjson.dumps(tw) == line
            day = tw["created_at"][:10]
            check_user(day, tw["user"])
            emb = tw.get("retweeted_status") or tw.get("quoted_status")
            if emb is not None:
                n_rt += "retweeted_status" in tw
                n_quote += "quoted_status" in tw
                check_user(day, emb["user"])
                orig = seen[emb["id_str"]]
                assert {k: v for k, v in emb.items() if k != "user"} == {k: v for k, v in orig.items() if k != "user"}
                assert emb["user"]["id_str"] == orig["user"]["id_str"]
                if orig["created_at"][:10] == day:
                    n_same_day += 1
                    assert emb == orig
            elif not tw["in_reply_to_status_id"]:
                seen[tw["id_str"]] = tw
    assert n_rt > 1000 and n_same_day > 100 and n_quote > 0


def test_v1_bytes_do_not_depend_on_the_chunk_size(tmp_path, monkeypatch):
    import gc

    from marsad.simulate.writers import v1

    p = dict(accounts=150, days=5, seed=2, geotag_account_share=0.2)
    a = simulate(SimParams(**p), tmp_path / "a")
    assert gc.isenabled()  # the simulator pauses the cyclic collector and restores it
    monkeypatch.setattr(v1, "CHUNK", 7)
    b = simulate(SimParams(**p), tmp_path / "b")
    assert _digest(a.out) == _digest(b.out)


def test_vectorised_v1_times_match_one_by_one():
    from marsad.simulate.writers import v1_time, v1_times

    d0 = int(datetime(2014, 10, 1, tzinfo=timezone.utc).timestamp() * 1000)
    rng = np.random.default_rng(3)
    t = np.concatenate([d0 + rng.integers(0, 86_400_000, 500), [d0, d0 + 86_399_999, d0 - 1, d0 + 86_400_000,
                                                               d0 - 40 * 86_400_000]])
    assert v1_times(t, d0) == [v1_time(int(x)).encode() for x in t]
