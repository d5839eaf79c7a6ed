"""Country shares, devices and reach on a synthetic workspace with known truth (marsad.census.synthetic)."""
from __future__ import annotations

import numpy as np
import pytest

from marsad import Workspace
from marsad.census import run_census
from marsad.census.common import UNLOCATED, Population
from marsad.census.devices import device_shares, top_clients
from marsad.census.quantify import ErrorModel
from marsad.census.reach import hyperactive_core, languages, reach_stats
from marsad.census.shares import country_account_shares, country_post_shares, find_error_model
from marsad.census.synthetic import build_world, validation_set
from marsad.errors import MarsadError


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("census") / "w.duckdb")
    build_world(ws, n_accounts=3000, mean_posts=20, seed=3)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def em():
    return ErrorModel.from_validation(*validation_set(600))


def truth_by_country(ws, lang="ar"):
    return ws.df(f"""SELECT t.country, avg(t.supportive::INT) AS truth FROM synthetic_truth_posts t
                     JOIN stance_posts s USING (platform, post_id) WHERE s.lang = '{lang}' GROUP BY 1""")


@pytest.mark.parametrize("method", ["pacc", "acc", "sld"])
def test_country_shares_cover_truth_and_beat_classify_and_count(world, em, method):
    t = country_post_shares(world, Population.make(lang="ar"), error_model=em, method=method, b=300)
    d = t.df[t.df["status"] == "ok"].merge(truth_by_country(world), on="country")
    assert len(d) >= 15
    cover = ((d["truth"] >= d["ci_low"]) & (d["truth"] <= d["ci_high"])).mean()
    assert cover >= 0.9, d[["country", "share", "ci_low", "ci_high", "truth"]]
    err, err_cc = (d["share"] - d["truth"]).abs().mean(), (d["cc"] - d["truth"]).abs().mean()
    assert err < 0.8 * err_cc, (err, err_cc)


def test_insufficient_data_and_ranks(world, em):
    t = country_post_shares(world, Population.make(lang="ar"), error_model=em, min_posts=1500, min_accounts=50,
                            b=200)
    df = t.df
    thin = df[df["status"] == "insufficient data"]
    assert len(thin) and thin["share"].isna().all() and thin["rank"].isna().all()
    assert ((thin["posts"] < 1500) | (thin["accounts"] < 50)).all()
    ok = df[df["status"] == "ok"]
    assert sorted(ok["rank"].tolist()) == list(range(1, len(ok) + 1))
    assert (ok["rank_low"] <= ok["rank"]).all() and (ok["rank"] <= ok["rank_high"]).all()
    assert ok["share"].is_monotonic_decreasing
    assert (df["country"] == UNLOCATED).sum() == 1 and df.iloc[-1]["country"] == UNLOCATED
    # the counts reconcile with the posts table
    assert df["posts"].sum() == world.con.execute(
        "SELECT count(*) FROM posts p JOIN stance_posts s USING (platform, post_id) WHERE s.lang = 'ar'").fetchone()[0]


def test_filters(world, em):
    all_ = country_post_shares(world, error_model=em, b=100)
    ar = country_post_shares(world, Population.make(lang="ar"), error_model=em, b=100)
    early = country_post_shares(world, Population.make(since="2014-07-01", until="2014-08-01"), error_model=em, b=100)
    assert all_.df["posts"].sum() > ar.df["posts"].sum() > 0
    n_july = world.con.execute("SELECT count(*) FROM posts WHERE created_at < TIMESTAMPTZ '2014-08-01'").fetchone()[0]
    assert early.df["posts"].sum() == n_july
    none = country_post_shares(world, Population.make(platform="telegram"), error_model=em, b=100)
    assert none.df.empty
    with pytest.raises(MarsadError, match="not a date"):
        Population.make(since="last tuesday")
    with pytest.raises(MarsadError, match="empty date range"):
        Population.make(since="2014-09-01", until="2014-08-01")
    with pytest.raises(MarsadError, match="not a valid"):
        Population.make(lang="ar'; DROP TABLE posts; --")


def test_account_shares(world):
    t = country_account_shares(world, b=200)
    ok = t.df[t.df["status"] == "ok"]
    assert len(ok) >= 10
    truth = world.df("""SELECT country, avg(is_supporter::INT) AS truth FROM synthetic_truth_accounts
                        WHERE located GROUP BY 1""")
    d = ok.merge(truth, on="country")
    # uncorrected account verdicts: close to the truth, errors in both directions
    assert (d["share"] - d["truth"]).abs().mean() < 0.08
    assert any("NOT corrected" in c for c in t.caveats)


def test_missing_inputs_are_explained(ws):
    with pytest.raises(MarsadError, match="no posts"):
        country_post_shares(ws)
    ws.con.execute("INSERT INTO posts (platform, post_id, account_id, embedded) VALUES ('twitter', '1', 'a', false)")
    with pytest.raises(MarsadError, match="stance"):
        country_post_shares(ws)
    res = run_census(ws)
    assert "country_posts" in res.missing and "devices" in res.missing
    assert "reach" in res.tables


def test_method_follows_the_error_model(world):
    # without error rates the share cannot be corrected: plain classify-and-count, said so in the caveats
    t = country_post_shares(world, b=100)
    assert t.meta["method"] == "cc" and t.caveats
    # the stance model ships its held-out error rates; with them the share is corrected (PACC)
    em = find_error_model()
    assert em is not None and em.has_probabilistic
    t = country_post_shares(world, error_model=em, b=100)
    assert t.meta["method"] == "pacc"


def test_device_shares_reconcile_and_recover_truth(world):
    t = device_shares(world)
    df = t.df
    raw = world.df("SELECT family, count(*) AS n FROM device_posts GROUP BY 1")
    assert df.groupby("family")["posts"].sum().sort_index().tolist() == raw.set_index("family")["n"].sort_index().tolist()
    for _, g in df.groupby("group"):
        assert g["post_share"].sum() == pytest.approx(1.0)
        assert g["account_share"].sum() == pytest.approx(1.0)
    assert ((df["post_low"] <= df["post_share"]) & (df["post_share"] <= df["post_high"])).all()
    sup = df[(df["group"] == "supporters") & (df["family"] == "android")].iloc[0]
    # synthetic supporters: 69% Android as primary client
    assert sup["account_low"] <= 0.69 <= sup["account_high"] + 0.03
    clients = top_clients(world)
    assert set(clients.df["family"]) <= {"android", "iphone", "blackberry", "web", "automation"}


def test_reach_and_activity(world):
    r = reach_stats(world).df
    f = r[(r["group"] == "supporters") & (r["metric"] == "followers")].iloc[0]
    x = world.df("""SELECT a.followers FROM accounts a JOIN evidence e ON e.subject_id = a.account_id
                    AND e.signal = 'stance' AND e.label = 'supporter'""")["followers"]
    assert f["accounts"] == len(x) and f["median"] == pytest.approx(np.median(x))
    assert f["median_low"] <= f["median"] <= f["median_high"]
    assert f["share_ge_1000"] == pytest.approx((x >= 1000).mean())
    h = hyperactive_core(world).df
    assert h["accounts"].sum() == world.con.execute("SELECT count(DISTINCT account_id) FROM posts").fetchone()[0]
    top = h[h["tier"] == "top 1%"].iloc[0]
    assert top["share_of_posts"] > 0.1  # the synthetic 2% hyperactive accounts post 15x more
    lg = languages(world).df
    post = lg[lg["kind"] == "post"]
    assert post.groupby("group")["share"].sum().round(6).eq(1).all()


def test_error_model_files(tmp_path):
    s_ar, y_ar = validation_set(200, seed=1)
    s_en, y_en = validation_set(100, seed=2)
    f = tmp_path / "em.json"
    import json

    f.write_text(json.dumps({
        "post": {"ar": {"threshold": 0.5, "validation": {"scores": s_ar.tolist(), "labels": y_ar.tolist()}},
                 "en": {"threshold": 0.5, "validation": {"scores": s_en.tolist(), "labels": y_en.tolist()}}},
        "account": {"tp": 40, "fn": 10, "fp": 5, "tn": 45}}))
    ar = find_error_model(f, "post", ("ar",))
    assert ar.n_pos + ar.n_neg == 200 and "[ar]" in ar.source
    pooled = find_error_model(f, "post", ())
    assert pooled.n_pos + pooled.n_neg == 300 and "pooled" in pooled.source
    acc = find_error_model(f, "account")
    assert acc.rates().tpr == pytest.approx(0.8) and not acc.has_probabilistic
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"tpr": 0.9, "fpr": 0.1, "n_pos": 100, "n_neg": 100}))
    assert find_error_model(flat).rates().fpr == pytest.approx(0.1)
    assert find_error_model(flat, "account") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MarsadError, match="cannot read"):
        find_error_model(bad)


def test_population_steps_equal_the_documented_query(world):
    import os

    from marsad.census.common import PopulationTable, population, population_select

    pop = Population.make(lang="ar", since="2014-08-01")
    cols = "post_id, platform, account_id, akey, created_at, lang, grp, p_support, country, family, client"
    with population(world, pop) as pp:
        t = PopulationTable(world, pop, with_post_id=True)
        t.create()
        try:
            diff = world.con.execute(f"""SELECT count(*) FROM (
                (SELECT {cols} FROM {t.name} EXCEPT ALL SELECT {cols} FROM ({population_select(world, pop, True)}))
                UNION ALL
                (SELECT {cols} FROM ({population_select(world, pop, True)}) EXCEPT ALL SELECT {cols} FROM {t.name}))
            """).fetchone()[0]
            n = world.con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
        finally:
            t.drop()
        assert n > 1000 and diff == 0
        assert pp.exists() and not os.path.exists(t.path)
        path = pp.path
    assert not pp.exists() and not os.path.exists(path)  # scratch detached and deleted


def test_save_error_model_round_trip(tmp_path):
    from marsad.census.shares import save_error_model

    s, y = validation_set(300, seed=4)
    path = save_error_model(tmp_path / "stance_error_model.json", {"ar": (s, y)}, {"ar": (s[::3], y[::3])})
    em = find_error_model(path, "post", ("ar",))
    ref = ErrorModel.from_validation(s, y)
    assert (em.tp, em.fn, em.fp, em.tn) == (ref.tp, ref.fn, ref.fp, ref.tn)
    assert em.scores is not None and len(em.scores) == 300
    assert find_error_model(path, "account", ("ar",)).n_pos + find_error_model(path, "account").n_neg == 100
