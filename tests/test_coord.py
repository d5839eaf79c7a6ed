"""Coordination networks: definitions (window, weights, items), evidence, clusters and quality on planted groups."""
from __future__ import annotations

import pytest

from coord_world import Posts, planted_world
from marsad.coordination import BuildParams, build, evidence_between, parse_behaviours
from marsad.coordination.clusters import compute
from marsad.errors import MarsadError


def edges(ws, behaviour=None):
    q = "SELECT * FROM coord_edges" + (f" WHERE behaviour = '{behaviour}'" if behaviour else "")
    return ws.df(q + " ORDER BY behaviour, account_a, account_b")


def test_corepost_window_is_inclusive_and_weights_are_directed(ws):
    P = Posts()
    for i in range(3):  # A and B repost o_i 30 s apart; C 61 s after A (outside A's window, inside B's)
        P.add(f"a{i}", "A", 1000 * i, repost_of_post_id=f"o{i}")
        P.add(f"b{i}", "B", 1000 * i + 30, repost_of_post_id=f"o{i}")
        P.add(f"c{i}", "C", 1000 * i + 61, repost_of_post_id=f"o{i}")
    P.add("a9", "A", 5000, repost_of_post_id="o9")  # A reposts o9 twice near one repost of D: weight A->D 2, D->A 1
    P.add("a10", "A", 5010, repost_of_post_id="o9")
    P.add("d9", "D", 5020, repost_of_post_id="o9")
    P.add("b11", "B", 9000, repost_of_post_id="o11")  # exactly 60 s apart: inside (inclusive window)
    P.add("e11", "E", 9060, repost_of_post_id="o11")
    P.add("b12", "B", 9500, repost_of_post_id="o12")
    P.add("e12", "E", 9560, repost_of_post_id="o12")
    P.insert(ws)
    build(ws, BuildParams(window=60, min_weight=2, behaviours=("corepost",)))
    e = edges(ws).set_index(["account_a", "account_b"])
    assert set(e.index) == {("A", "B"), ("B", "C"), ("A", "D"), ("B", "E")}
    assert e.loc[("A", "B"), "weight"] == 3 and e.loc[("A", "B"), "n_items"] == 3
    assert (e.loc[("A", "D"), "weight_ab"], e.loc[("A", "D"), "weight_ba"], e.loc[("A", "D"), "weight"]) == (2, 1, 2)
    build(ws, BuildParams(window=59, min_weight=2, behaviours=("corepost",)))
    assert ("B", "E") not in set(zip(edges(ws).account_a, edges(ws).account_b))


def test_same_account_is_never_paired_and_min_weight_filters(ws):
    P = Posts()
    for i in range(4):
        P.add(f"a{i}", "A", 100 * i, repost_of_post_id="same")
        P.add(f"x{i}", "A", 100 * i + 1, repost_of_post_id="same")
    P.add("b0", "B", 0, repost_of_post_id="same")
    P.insert(ws)
    build(ws, BuildParams(min_weight=2, behaviours=("corepost",)))
    e = edges(ws)
    assert list(zip(e.account_a, e.account_b)) == [("A", "B")]
    assert (e.weight_ab[0], e.weight_ba[0]) == (2, 1)  # a0 and x0 pair with b0; b0 pairs with A once
    build(ws, BuildParams(min_weight=3, behaviours=("corepost",)))
    assert edges(ws).empty


def test_colink_normalises_urls_and_ignores_reposts(ws):
    P = Posts()
    variants = ["http://www.Example.com/story/?utm_source=tw&id=7#top", "https://example.com/story?id=7",
                "https://example.com/story/?id=7&fbclid=abc"]
    for i, u in enumerate(variants):
        P.add(f"a{i}", "A", 500 * i, urls=[u])
        P.add(f"b{i}", "B", 500 * i + 5, urls=["https://EXAMPLE.com/story?id=7"])
        P.add(f"r{i}", "R", 500 * i + 6, urls=[u], repost_of_post_id=f"x{i}")  # a repost's link is not a co-link
    P.insert(ws)
    build(ws, BuildParams(behaviours=("colink",)))
    e = edges(ws)
    assert list(zip(e.account_a, e.account_b)) == [("A", "B")]
    assert ws.df("SELECT DISTINCT item FROM coord_evidence").item.tolist() == ["example.com/story?id=7"]


def test_cohashtag_folds_case_and_arabic_variants(ws):
    P = Posts()
    for i in range(2):
        P.add(f"a{i}", "A", 300 * i, hashtags=["الدولة_الإسلامية", "News"])
        P.add(f"b{i}", "B", 300 * i + 2, hashtags=["الدوله_الاسلاميه", "news"])
    P.insert(ws)
    build(ws, BuildParams(behaviours=("cohashtag",)))
    items = set(ws.df("SELECT item FROM coord_evidence").item)
    assert items == {"#الدوله_الاسلاميه", "#news", "#seq:الدوله_الاسلاميه news"}
    assert edges(ws).weight.tolist() == [2]


def test_coreply_by_target_post_then_account(ws):
    P = Posts()
    for i in range(2):
        P.add(f"a{i}", "A", 400 * i, reply_to_post_id=f"t{i}", reply_to_account_id="T")
        P.add(f"b{i}", "B", 400 * i + 9, reply_to_post_id=f"t{i}", reply_to_account_id="T")
        P.add(f"c{i}", "C", 400 * i + 9, reply_to_post_id=f"other{i}", reply_to_account_id="T")
        P.add(f"d{i}", "D", 400 * i + 200, reply_to_handle="Someone")
        P.add(f"e{i}", "E", 400 * i + 210, reply_to_handle="someone")
    P.insert(ws)
    build(ws, BuildParams(behaviours=("coreply",)))
    assert list(zip(edges(ws).account_a, edges(ws).account_b)) == [("A", "B"), ("D", "E")]


def test_cotext_matches_arabic_near_duplicates_not_short_or_different_texts(ws):
    P = Posts()
    base = "العَرَبيّة كلمة ثانية ثالثة رابعة خامسة سادسة"
    for i in range(3):
        P.add(f"a{i}", "A", 600 * i, f"{base} {i} @foo http://t.co/abc{i}")
        P.add(f"b{i}", "B", 600 * i + 20, f"RT: العربيه كلمه ثانيه ثالثه رابعه خامسه سادسه {i} @bar !!")
        P.add(f"c{i}", "C", 600 * i + 25, f"completely different words about football and weather today {i}")
        P.add(f"s{i}", "S", 600 * i + 1, "short one")
        P.add(f"t{i}", "T", 600 * i + 2, "short one")
        P.add(f"m{i}", "M", 600 * i + 3, f"RT @bar: {base} {i}")  # a manual retweet is a repost, not co-text
    P.insert(ws)
    build(ws, BuildParams(behaviours=("cotext",)))
    e = edges(ws)
    assert list(zip(e.account_a, e.account_b)) == [("A", "B")]
    ev = ws.df("SELECT similarity FROM coord_evidence")
    assert len(ev) == 3 and (ev.similarity == 1.0).all()


def test_large_buckets_are_capped_and_reported(ws):
    P = Posts()
    for i in range(30):  # 30 accounts repost one post in the same minute, twice
        P.add(f"v{i}", f"u{i}", i, repost_of_post_id="viral")
        P.add(f"w{i}", f"u{i}", 7200 + i, repost_of_post_id="viral2")
    P.insert(ws)
    res = build(ws, BuildParams(behaviours=("corepost",), cap=20, min_weight=1))
    assert res.per_behaviour[0]["capped_buckets"] == 2
    capped = ws.df("SELECT * FROM coord_capped ORDER BY item")
    assert capped.n_posts.tolist() == [30, 30] and capped.item.tolist() == ["twitter:viral", "twitter:viral2"]
    assert edges(ws).empty
    build(ws, BuildParams(behaviours=("corepost",), cap=100, min_weight=1))
    assert len(edges(ws)) == 30 * 29 // 2


def test_evidence_between_gives_the_post_pairs(ws):
    P = Posts()
    for i in range(3):
        P.add(f"a{i}", "A", 100 * i, f"text {i}", repost_of_post_id=f"o{i}")
        P.add(f"b{i}", "B", 100 * i + 3, f"text {i}", repost_of_post_id=f"o{i}")
    P.insert(ws)
    build(ws, BuildParams(behaviours=("corepost",)))
    ev = evidence_between(ws, "B", "A")
    assert sorted(zip(ev.post_a, ev.post_b)) == [("a0", "b0"), ("a1", "b1"), ("a2", "b2")]
    assert (ev.seconds_apart == 3).all() and ev.text_a.tolist() == ["text 0", "text 1", "text 2"]


def test_bad_parameters_and_missing_build_are_clear_errors(ws):
    with pytest.raises(MarsadError, match="unknown behaviour"):
        parse_behaviours("corepost,cofoo")
    assert parse_behaviours("co-link, corepost") == ("colink", "corepost")
    with pytest.raises(MarsadError, match="no posts"):
        build(ws)
    P = Posts()
    P.add("a", "A", 0)
    P.insert(ws)
    with pytest.raises(MarsadError, match="window"):
        build(ws, BuildParams(window=-5))
    with pytest.raises(MarsadError, match="no coordination network"):
        compute(ws)


def test_planted_groups_recovered_and_popular_link_sharers_not_flagged(ws):
    P, truth = planted_world(seed=3, days=3)
    P.insert(ws)
    build(ws)
    # busy ordinary accounts do co-share the popular link / hashtags / viral posts within a minute...
    ordinary = edges(ws).query("account_a.str.startswith('o') and account_b.str.startswith('o')")
    assert len(ordinary) >= 10
    members, clusters = compute(ws)
    flagged = set(members.account_id)
    tp = len(flagged & set(truth))
    assert tp / len(flagged) >= 0.9 and tp / len(truth) >= 0.9
    # ...but none of them is flagged: chance explains their co-actions
    assert not any(a.startswith("o") for a in flagged)
    # each planted group is one cluster
    got = members.assign(group=members.account_id.map(truth)).groupby("group").cluster.nunique()
    assert (got == 1).all() and len(got) == 3
    assert set(clusters.columns) >= {"cluster", "size", "behaviours", "first_at", "last_at", "top_items"}


def test_coord_signal_writes_account_evidence(ws):
    from marsad.signals import all_signals

    P, truth = planted_world(seed=5, n_ordinary=50, days=3)
    P.insert(ws)
    sig = all_signals()["coord"]()
    run_id, rows = sig.run_and_write(ws)
    ev = ws.evidence("coord")
    assert len(ev) == len(rows) > 0 and set(ev.subject_id) <= set(truth) | {f"o{i}" for i in range(50)}
    row = ev.iloc[0]
    assert row.label.startswith("c") and 0 < row.score <= 1
    kinds = {r["kind"] for r in row.refs}
    assert kinds == {"account", "post"}
