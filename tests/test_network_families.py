"""Re-created account families, name normalisation and the timeline across snapshots."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from marsad.errors import MarsadError
from marsad.network.families import FamilySignal
from marsad.network.graph import build_edges
from marsad.network.names import avatar_file, avatar_keys, avatar_match, clean_name, handle_stem, skeleton
from marsad.network.timeline import TimelineSignal
from network_world import load_world, make_world


@pytest.mark.parametrize("a,b", [
    ("abu_muhammad", "abumohammed"), ("abu_muhammad", "أبو محمد"), ("Abu_Hamza_Shami", "أبو حمزة الشامي"),
    ("umm_layth", "أم الليث"), ("abu__talha3", "abu_talha"), ("abu_sufyan", "abu_sofian"),
])
def test_skeleton_matches_variants_and_scripts(a, b):
    assert skeleton(a) == skeleton(b)


def test_skeleton_separates_different_names():
    assert skeleton("abu_hamza") != skeleton("abu_talha")
    assert handle_stem("Abu_Hamza_22") == "abuhamza"


def test_clean_name_drops_decorations():
    assert clean_name("أبو محمد الشامي (2) 🏴") == clean_name("أبو محمد الشامي الجديد")
    assert clean_name("Abu Hamza new 2") == "abu hamza"


def test_avatar_identity_from_file_name():
    a = "http://pbs.twimg.com/profile_images/123/IMG_3910_normal.jpg"
    b = "http://pbs.twimg.com/profile_images/987/IMG_3910_normal.jpg"
    c = "http://pbs.twimg.com/profile_images/555/IMG_3910__normal.jpg"
    assert avatar_file(a) == avatar_file(b) == "img_3910"
    assert avatar_match(avatar_file(a), avatar_file(b)) == 1.0
    assert avatar_match(avatar_file(a), avatar_file(c)) == 0.7
    assert avatar_match("img_3910", "img_4410") == 0.0
    assert set(avatar_keys(c)) & set(avatar_keys(a))
    assert avatar_file("http://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png") == ""


@pytest.fixture
def world(ws):
    posts, accounts, truth = make_world(seed=7)
    load_world(ws, posts, accounts, split_day=20)
    build_edges(ws)
    return ws, truth


def _pairs(groups):
    out = set()
    for ids in groups:
        ids = sorted(ids)
        out |= {(a, b) for k, a in enumerate(ids) for b in ids[k + 1:]}
    return out


def test_families_recover_recreated_accounts(world):
    ws, truth = world
    sig = FamilySignal()
    _, rows = sig.run_and_write(ws)
    true = _pairs(truth.dropna(subset=["family_id"]).groupby("family_id").account_id.apply(list))
    pred = _pairs(rows.groupby("label").subject_id.apply(list))
    assert true and pred == true, (sorted(pred - true), sorted(true - pred))
    # candidate generation is blocked, not all pairs
    n = len(ws.df("SELECT * FROM accounts"))
    assert sig.stats["candidate_pairs"] < n * (n - 1) / 2 / 4
    links = ws.evidence("family-link")
    assert len(links) == len(true) and (links.subject_type == "pair").all()
    d = json.loads(links.details.iloc[0])
    assert {"handle_sim", "bio_sim", "avatar", "gap_days", "partner_jaccard", "shoutout"} <= set(d)
    assert d["gap_days"] is not None and d["gap_days"] >= 0
    older, newer = links.subject_id.iloc[0].split("|")
    assert newer.startswith("5") and not older.startswith("5")  # older first
    assert rows.score.between(0.5, 1).all()


def test_side_by_side_accounts_are_not_a_family(ws):
    from network_world import T0

    posts = []
    accs = []
    for k, (aid, h) in enumerate((("1", "abu_hamza"), ("2", "abu_hamza2"))):
        accs.append({"platform": "twitter", "account_id": aid, "handle": h, "display_name": "أبو حمزة",
                     "description": "باقية", "first_observed": T0, "last_observed": T0 + pd.Timedelta(days=30),
                     "created_at": T0 - pd.Timedelta(days=400), "dataset_id": "dworld", "n_observations": 2})
        for d in range(30):
            posts.append({"platform": "twitter", "post_id": f"{aid}-{d}", "account_id": aid, "account_handle": h,
                          "created_at": T0 + pd.Timedelta(days=d), "text": "x", "embedded": False,
                          "mentions": [], "hashtags": [], "urls": [], "media_urls": []})
    load_world(ws, posts, accs)
    _, rows = FamilySignal().run_and_write(ws)
    assert rows.empty


def test_shoutout_naming_old_account_links_dissimilar_handles(ws):
    from network_world import T0

    accs = [
        {"platform": "twitter", "account_id": "1", "handle": "lion_of_tawheed", "created_at": T0,
         "first_observed": T0, "last_observed": T0 + pd.Timedelta(days=5), "dataset_id": "dworld"},
        {"platform": "twitter", "account_id": "2", "handle": "green_bird_77", "created_at": T0 + pd.Timedelta(days=6),
         "first_observed": T0 + pd.Timedelta(days=6), "last_observed": T0 + pd.Timedelta(days=9),
         "dataset_id": "dworld"},
        {"platform": "twitter", "account_id": "3", "handle": "baqiya_shout", "created_at": T0,
         "first_observed": T0, "last_observed": T0 + pd.Timedelta(days=9), "dataset_id": "dworld"},
    ]
    posts = [{"platform": "twitter", "post_id": "p1", "account_id": "3", "account_handle": "baqiya_shout",
              "created_at": T0 + pd.Timedelta(days=6, hours=3), "embedded": False, "hashtags": [], "urls": [],
              "media_urls": [], "text": "Shoutout: @green_bird_77 is back (was @lion_of_tawheed), please follow",
              "mentions": ["green_bird_77", "lion_of_tawheed"]}]
    load_world(ws, posts, accs)
    _, rows = FamilySignal().run_and_write(ws)
    assert set(rows.subject_id) == {"1", "2"}
    link = ws.evidence("family-link").iloc[0]
    assert json.loads(link.details)["shoutout"] == "strong"
    assert any(r["kind"] == "post" and r["id"] == "p1" for r in link.refs)


def test_timeline_needs_two_snapshots(ws):
    posts, accounts, _ = make_world(seed=1)
    load_world(ws, posts, accounts)
    with pytest.raises(MarsadError, match="at least two snapshots"):
        TimelineSignal().run(ws)


def test_timeline_appeared_disappeared_renamed_returned(world):
    ws, truth = world
    ws.con.execute("UPDATE account_snapshots SET handle = 'user_0_renamed' WHERE account_id = '9000' "
                   "AND dataset_id = 'd2'")
    FamilySignal().run_and_write(ws)
    sig = TimelineSignal()
    _, rows = sig.run_and_write(ws)
    ev = rows.set_index("subject_id")["label"]
    suspended = truth[truth.family_id.notna() & ~truth.account_id.str.startswith("5")].account_id
    returned = truth[truth.account_id.str.startswith("5")].account_id
    assert all("disappeared" in ev[a] for a in suspended)
    assert all("appeared" in ev[a] and "returned" in ev[a] for a in returned)
    assert "renamed" in ev["9000"]
    snaps = sig.snapshots
    assert snaps.appeared.tolist() == [0, len(returned)]
    assert snaps.renamed.tolist() == [0, 1]
    r = sig.returns
    assert len(r) == len(returned) and (r.kept_share < 1).all()  # each return costs followers
    assert ws.df("SELECT count(*) AS n FROM timeline_returns")["n"][0] == len(returned)
