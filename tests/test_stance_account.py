"""Account verdicts with shrinkage, and the stance signal on a real workspace."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from marsad.signals.stance.account import account_evidence, verdicts
from marsad.signals.stance.features import CUE_NAMES


def test_few_posts_are_undetermined_not_non_supporter():
    v = verdicts(np.array([0, 1, 2, 3, 5]), np.array([0, 0, 0, 0, 0]))
    assert v["label"].tolist() == ["undetermined"] * 5
    # the interval narrows with more evidence
    assert (np.diff(v["ci_high"] - v["ci_low"]) < 0).all()


def test_clear_cases():
    v = verdicts(np.array([20, 20, 20, 200]), np.array([18.0, 1.0, 6.0, 60.0]))
    assert v["label"].tolist() == ["supporter", "non-supporter", "undetermined", "undetermined"]
    assert v["score"].between(0, 1).all()
    assert ((v["ci_low"] <= v["score"]) & (v["score"] <= v["ci_high"])).all()
    # P(share > threshold) is high for the first, low for the second
    assert v["p_supporter"][0] > 0.99 and v["p_supporter"][1] < 0.01


def test_threshold_and_min_posts_are_parameters():
    n, k = np.array([4]), np.array([4.0])
    assert verdicts(n, k)["label"][0] == "supporter"
    assert verdicts(n, k, min_posts=5)["label"][0] == "undetermined"
    assert verdicts(np.array([30]), np.array([12.0]), threshold=0.6)["label"][0] == "non-supporter"


def _scored(rows):
    df = pd.DataFrame(rows, columns=["account_id", "post_id", "p_support", "norm"])
    df["platform"] = "twitter"
    df["lang"] = "ar"
    for c in CUE_NAMES:
        df[c] = [n.count("داعش") if c == "ar_naming_anti" else n.count("الدوله الاسلاميه") if c == "ar_naming_pro"
                 else 0 for n in df["norm"]]
    return df


def test_account_evidence_rows_and_refs():
    rows = [("a", f"a{i}", p, "الدوله الاسلاميه باقيه" if p > 0.5 else "خبر") for i, p in
            enumerate([0.95, 0.9, 0.97, 0.2, 0.99, 0.92])]
    rows += [("b", f"b{i}", 0.05, "داعش ارهاب") for i in range(15)]
    rows += [("c", "c0", np.nan, ""), ("c", "c1", 0.9, "x")]  # one unscored post: too little text
    ev = account_evidence(_scored(rows), model_version="t")
    ev = ev.set_index("subject_id")
    assert ev.loc["a", "label"] == "supporter"
    assert ev.loc["b", "label"] == "non-supporter"
    assert ev.loc["c", "label"] == "undetermined"
    refs = ev.loc["a", "refs"]
    assert [r["id"] for r in refs if r["note"].startswith("for")][:3] == ["a4", "a2", "a0"]
    assert [r["id"] for r in refs if r["note"].startswith("against")] == ["a3"]
    assert "ar_naming_pro" in refs[0]["note"]
    d = ev.loc["a", "details"]
    assert d["n_scored"] == 6 and d["n_supportive"] == 5 and d["cues"]["ar_naming_pro"] == 5
    assert ev.loc["b", "details"]["cues"] == {"ar_naming_anti": 15}
    c = ev.loc["c", "details"]
    assert c["n_posts"] == 2 and c["n_scored"] == 1
    assert (ev["subject_type"] == "account").all()


@pytest.fixture(scope="module")
def kaggle_ws(tmp_path_factory, shared_data):
    """A workspace with six real Kaggle accounts (two of them self-described news accounts)."""
    from marsad import Workspace

    src = pd.read_csv(shared_data / "isis-fanboy-tweets-kaggle/tweets.csv.gz", keep_default_na=False, dtype=str)
    keep = ["RamiAlLolah", "WarReporter1", "Nidalgazaui", "__alfresco__", "MaghrabiArabi", "AsimAbuMerjem"]
    sub = src[src["username"].isin(keep)].groupby("username").head(150)
    d = tmp_path_factory.mktemp("kag")
    path = d / "kaggle_subset.csv"
    sub.rename(columns={"tweets": "text"})[["username", "time", "text"]].to_csv(path, index=False)
    ws = Workspace(d / "ws.duckdb")
    ws.ingest([path], format="generic-csv")
    yield ws
    ws.close()


def test_signal_on_real_accounts(kaggle_ws):
    from marsad.signals.stance.signal import StanceSignal

    sig = StanceSignal()
    run_id, rows = sig.run_and_write(kaggle_ws)
    n_posts, n_scored = kaggle_ws.con.execute("SELECT count(*), count(p_support) FROM stance_posts").fetchone()
    assert n_posts == kaggle_ws.con.execute("SELECT count(*) FROM posts WHERE NOT embedded").fetchone()[0]
    assert n_scored > 0.8 * n_posts
    ev = kaggle_ws.evidence("stance").set_index("subject_id")
    assert len(ev) == 6
    labels = ev["label"].to_dict()
    # the four fanboy accounts are found; the news accounts are never called supporters
    assert sum(labels[f"@{h.lower()}"] == "supporter" for h in ["Nidalgazaui", "__alfresco__", "MaghrabiArabi",
                                                                "AsimAbuMerjem"]) >= 3
    # the self-described news accounts get a verdict too (see test_news_accounts_are_not_supporters)
    assert labels["@ramiallolah"] in ("supporter", "undetermined", "non-supporter")
    # every verdict has evidence posts that exist in the workspace
    for _, r in ev.iterrows():
        assert 0 <= r["ci_low"] <= r["score"] <= r["ci_high"] <= 1
        ids = [x["id"] for x in r["refs"]]
        assert ids
        found = kaggle_ws.con.execute(f"SELECT count(*) FROM posts WHERE post_id IN ({','.join('?' * len(ids))})",
                                      ids).fetchone()[0]
        assert found == len(ids)
        assert json.loads(r["details"])["model_version"]


@pytest.mark.xfail(strict=True, reason="known gap: the English model scores war reporting about the organisation as "
                                       "support, so self-described news accounts in the Kaggle collection are "
                                       "called supporters (see the model card)")
def test_news_accounts_are_not_supporters(kaggle_ws):
    from marsad.signals.stance.signal import StanceSignal

    rows = StanceSignal().run(kaggle_ws).set_index("subject_id")
    assert rows.loc["@ramiallolah", "label"] != "supporter"
    assert rows.loc["@warreporter1", "label"] != "supporter"
