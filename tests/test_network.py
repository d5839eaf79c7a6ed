"""The network package on a small synthetic world (tests/network_world.py): graph, shout-outs, roles,
communities, discovery from seeds, exports."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from marsad.errors import MarsadError
from marsad.network import shoutouts
from marsad.network.communities import CommunitySignal, summaries
from marsad.network.discover import DiscoverSignal
from marsad.network.export import export
from marsad.network.graph import build_edges, load_graph
from marsad.network.roles import RoleSignal
from network_world import load_world, make_world


@pytest.fixture
def world(ws):
    posts, accounts, truth = make_world(seed=3)
    load_world(ws, posts, accounts)
    build_edges(ws)
    return ws, truth


def test_edges_kinds_weights_and_resolution(world):
    ws, truth = world
    kinds = ws.df("SELECT kind, sum(weight) AS w FROM network_edges GROUP BY 1").set_index("kind")["w"]
    assert set(kinds.index) == {"repost", "reply", "mention"}
    # weights count posts: recompute the repost edges of one amplifier by hand
    amp = truth[truth.role == "amplifier"].account_id.iloc[0]
    by_hand = ws.df("SELECT repost_of_account_id AS dst, count(*) AS n FROM posts WHERE account_id = ? AND "
                    "repost_of_account_id IS NOT NULL GROUP BY 1 ORDER BY 1", [amp])
    edges = ws.df("SELECT dst, weight AS n FROM network_edges WHERE src = ? AND kind = 'repost' ORDER BY 1", [amp])
    assert by_hand.equals(edges)
    # mentions are resolved to account ids through handles; the replied-to account is not also a mention
    assert ws.df("SELECT count(*) AS n FROM network_edges WHERE dst LIKE '@%'")["n"][0] == 0
    dup = ws.df("""SELECT count(*) AS n FROM network_edges a JOIN network_edges b USING (src, dst)
                   WHERE a.kind = 'reply' AND b.kind = 'mention'""")["n"][0]
    assert dup == 0
    # evidence: one "network" row per account, score = interactions received
    ev = ws.evidence("network")
    node = truth[truth.role == "node"].account_id.iloc[0]
    got = ev.set_index("subject_id").loc[node, "score"]
    assert got == ws.df("SELECT sum(weight) AS w FROM network_edges WHERE dst = ?", [node])["w"][0]


def test_time_window(world):
    ws, _ = world
    full = ws.df("SELECT sum(weight) AS w FROM network_edges")["w"][0]
    res = build_edges(ws, since="2015-01-10", until="2015-01-20")
    part = ws.df("SELECT sum(weight) AS w, min(first_at) AS a, max(last_at) AS b FROM network_edges")
    assert 0 < part["w"][0] < full
    assert str(part["a"][0]) >= "2015-01-10" and str(part["b"][0]) < "2015-01-20"
    assert res["since"].startswith("2015-01-10")
    with pytest.raises(MarsadError, match="empty time window"):
        build_edges(ws, since="2015-02-01", until="2015-01-01")
    with pytest.raises(MarsadError, match="not a date"):
        build_edges(ws, since="last tuesday")


def test_load_graph_directed_and_undirected(world):
    ws, _ = world
    g, nodes = load_graph(ws)
    u, _ = load_graph(ws, directed=False, kinds=["repost"])
    assert g.is_directed() and not u.is_directed()
    assert g.vcount() == len(nodes) and u.ecount() < g.ecount()
    with pytest.raises(MarsadError, match="unknown edge kind"):
        load_graph(ws, kinds=["follow"])


@pytest.mark.parametrize("text,expected", [
    ("ادعموا الحساب الجديد للأخ @abu_x", ["abu_x"]),
    ("حسابه الجديد بعد الإغلاق تابعوه @abu_y", ["abu_y"]),
    ("Follow and support the brother @new_acc, his account was suspended", ["new_acc"]),
    ("Shoutout: @abu_z2 is back (was @abu_z), please follow and RT", ["abu_z2", "abu_z"]),
    ("@a1 @b2 @c3 haha look at this", []),  # reply addressing, not a list
    ("Support these brothers:\n@a1\n@b2\n@c3", ["a1", "b2", "c3"]),
    ("ISIS supporter @x claims a new attack, analysts doubt it", []),
    ("Finally @twitter suspended this Daeshi @ctstudies", []),
    ("داعش تنظيم إرهابي @someone", []),
])
def test_shoutout_detection(ws, text, expected):
    from network_world import T0

    posts = [{"platform": "twitter", "post_id": "1", "account_id": "9", "account_handle": "author", "created_at": T0,
              "text": text, "embedded": False, "mentions": [m.lower() for m in __import__("re").findall(
                  r"@(\w+)", text)], "hashtags": [], "urls": [], "media_urls": []}]
    load_world(ws, posts, [])
    shoutouts.detect(ws)
    got = ws.df("SELECT promoted_handle FROM shoutout_posts")["promoted_handle"].tolist()
    assert sorted(got) == sorted(h.lower() for h in expected)


def test_arabic_normalisation_matches_variants():
    assert shoutouts.normalise_arabic("الإغلاق") == shoutouts.normalise_arabic("الاغلاق")
    assert shoutouts.normalise_arabic("حسابُه الجديدة") == "حسابه الجديده"


def test_roles_recover_world_roles_with_features(world):
    ws, truth = world
    _, rows = RoleSignal().run_and_write(ws)
    m = rows.merge(truth, left_on="subject_id", right_on="account_id")
    sup = m[m.is_supporter]
    acc = (sup.label == sup.role).mean()
    assert acc >= 0.95, pd.crosstab(sup.role, sup.label)
    d = json.loads(rows.details.iloc[0])
    for k in ("original_ratio", "repost_ratio", "reposts_received", "supporter_in_degree", "shoutout_share",
              "reason", "population"):
        assert k in d
    assert d["population"] == "all"  # no stance/discovery: every collected account, and it says so
    # shout-out role comes with its shout-out posts as refs
    sh = rows[rows.label == "shoutout"].iloc[0]
    assert any(r["kind"] == "post" for r in sh.refs)


def test_roles_respect_supporter_population(world):
    ws, truth = world
    seeds = truth[truth.is_supporter].head(8)
    DiscoverSignal().with_seed_frame(seeds.assign(platform="twitter")).run_and_write(ws)
    rows = RoleSignal().run(ws)
    m = rows.merge(truth, left_on="subject_id", right_on="account_id")
    assert (m[~m.is_supporter].label == "other").all()
    assert json.loads(rows.details.iloc[0])["population"] == "discover"


def test_communities_separate_groups_and_summarise(world):
    ws, truth = world
    sig = CommunitySignal()
    _, rows = sig.run_and_write(ws)
    m = rows.merge(truth, left_on="subject_id", right_on="account_id")
    # supporters, journalists and ordinary users do not share communities
    for _, grp in m.groupby("label"):
        assert grp.is_supporter.nunique() == 1 and grp.is_hard_negative.nunique() == 1
    assert sig.modularity > 0.2
    s = summaries(ws)
    assert s["size"].is_monotonic_decreasing and len(s.top_accounts[0]) > 0
    # deterministic with the same seed
    again = CommunitySignal().run(ws)
    assert again.label.tolist() == rows.label.tolist()


def test_discover_from_seed_file_reports_bad_lines(world, tmp_path):
    ws, truth = world
    sup = truth[truth.is_supporter]
    seeds = sup.sample(n=7, random_state=0)
    f = tmp_path / "seeds.txt"
    f.write_text("# seeds\n" + "\n".join("@" + h for h in seeds.handle) + "\n@nobody_here\nnot a handle!\n@"
                 + seeds.handle.iloc[0].upper() + "\n" + seeds.account_id.iloc[1] + "\n\n", encoding="utf-8")
    sig = DiscoverSignal(seeds=f)
    _, rows = sig.run_and_write(ws)
    reasons = sorted(r.split(":")[0] for _, _, r in sig.report.problems)
    assert reasons == ["duplicate", "duplicate", "malformed", "unknown"]
    assert len(sig.report.seeds) == 7
    cand = set(rows[rows.label == "candidate"].subject_id)
    rest = set(sup.account_id) - set(seeds.account_id)
    assert len(cand & rest) / len(rest) >= 0.9
    assert len(cand & rest) / len(cand) >= 0.9
    # ranks are 1..n, scores in [0, 1], details explain the score
    d = rows.details.map(json.loads)
    assert sorted(d.map(lambda x: x["rank"])) == list(range(1, len(rows) + 1))
    assert rows.score.between(0, 1).all()
    assert {"ingroup_share", "supporter_partners", "community_seeded"} <= set(d.iloc[0])


def test_discover_seed_errors(world, tmp_path):
    ws, _ = world
    f = tmp_path / "s.txt"
    f.write_text("@nobody\n???\n", encoding="utf-8")
    with pytest.raises(MarsadError, match="no usable seed"):
        DiscoverSignal(seeds=f).run(ws)
    with pytest.raises(MarsadError, match="does not exist"):
        DiscoverSignal(seeds=tmp_path / "missing.txt").run(ws)


def test_discover_flags_spam(ws):
    posts, accounts, truth = make_world(seed=5)
    from network_world import T0

    sup = truth[truth.is_supporter].handle.tolist()
    for k in range(30):  # a spam bot hammering supporters with the same mention blast
        hs = sup[k % 10: k % 10 + 6]
        posts.append({"platform": "twitter", "post_id": f"spam{k}", "account_id": "7777", "account_handle": "promo_bot",
                      "created_at": T0, "text": "best deals " + " ".join("@" + h for h in hs), "embedded": False,
                      "mentions": [h.lower() for h in hs], "hashtags": [], "urls": [], "media_urls": []})
    load_world(ws, posts, accounts)
    build_edges(ws)
    rows = DiscoverSignal().with_seed_frame(truth[truth.is_supporter].head(10).assign(platform="twitter")).run(ws)
    bot = rows.set_index("subject_id").loc["7777"]
    assert bot.label == "flagged"
    assert "bot_spam" in json.loads(bot.details)


@pytest.mark.parametrize("pseudo", [True, False])
def test_graphml_opens_in_networkx_and_igraph(world, tmp_path, pseudo):
    import igraph as ig
    import networkx as nx

    ws, truth = world
    RoleSignal().run_and_write(ws)
    CommunitySignal().run_and_write(ws)
    out = tmp_path / "g.graphml"
    res = export(ws, "graphml", out, pseudonymise=pseudo)
    g = nx.read_graphml(out)
    h = ig.Graph.Read_GraphML(str(out))
    assert g.number_of_nodes() == h.vcount() == res["nodes"]
    assert g.number_of_edges() == h.ecount() == res["edges"]
    node = truth[truth.role == "node"].iloc[0]
    key = f"twitter:{node.account_id}"
    if pseudo:
        assert key not in g and node.handle not in {d.get("handle") for _, d in g.nodes(data=True)}
    else:
        attrs = g.nodes[key]
        assert attrs["role"] == "node" and attrs["community"].startswith("c") and attrs["handle"] == node.handle
        assert attrs["interactions_received"] > 0
    for a in ("role", "community", "handle"):
        assert a in h.vs.attributes()
    assert {"weight", "repost", "mention", "first_at"} <= set(h.es.attributes())


def test_gexf_and_parquet(world, tmp_path):
    import networkx as nx

    ws, _ = world
    RoleSignal().run_and_write(ws)
    export(ws, "gexf", tmp_path / "g.gexf")
    g = nx.read_gexf(tmp_path / "g.gexf")
    assert any("role" in d for _, d in g.nodes(data=True))
    res = export(ws, "parquet", tmp_path / "e.parquet", kinds=["repost"])
    e = pd.read_parquet(tmp_path / "e.parquet")
    n = pd.read_parquet(tmp_path / "e_nodes.parquet")
    assert (e["repost"] == e["weight"]).all() and len(n) == res["nodes"]
    with pytest.raises(MarsadError, match="unknown graph format"):
        export(ws, "dot", tmp_path / "g.dot")


def test_roles_per_time_window(world):
    ws, truth = world
    shoutouts.detect(ws)
    n_all = ws.df("SELECT count(*) AS n FROM shoutout_posts")["n"][0]
    rows = RoleSignal(until="2015-01-21").run(ws)
    returned = set(truth[truth.account_id.str.startswith("5")].account_id)
    assert not returned & set(rows.subject_id)  # created after the window
    later = RoleSignal(since="2015-01-22").run(ws)
    assert returned <= set(later.subject_id)
    d = json.loads(later.set_index("subject_id").loc[sorted(returned)[0], "details"])
    assert d["posts"] == ws.df("SELECT count(*) AS n FROM posts WHERE account_id = ? AND created_at >= "
                               "TIMESTAMPTZ '2015-01-22'", [sorted(returned)[0]])["n"][0]
    # the workspace's all-time shout-out table is left as it was
    assert ws.df("SELECT count(*) AS n FROM shoutout_posts")["n"][0] == n_all
