"""Quantification estimators on synthetic data with known prevalence and a classifier with known error."""
from __future__ import annotations

import numpy as np
import pytest

from marsad.census.quantify import (
    METHODS, ErrorModel, GroupStats, estimate, estimate_groups, positive_slots, quantify, rank_intervals, slot_of,
)
from marsad.errors import MarsadError


def classifier(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Calibrated (at 50% prevalence) scores: Beta(5,2) for positives, Beta(2,5) for negatives."""
    x = np.where(y, rng.beta(5, 2, len(y)), rng.beta(2, 5, len(y)))
    return x**3 / (x**3 + (1 - x) ** 3)


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(7)
    yv = rng.random(500) < 0.5
    em = ErrorModel.from_validation(classifier(yv, rng), yv)
    prev = rng.uniform(0.02, 0.7, 50)
    ys, ss, gs = [], [], []
    for g, p in enumerate(prev):
        n = int(rng.integers(200, 2500))
        y = rng.random(n) < p
        ys.append(y)
        ss.append(classifier(y, rng))
        gs.append(np.full(n, g))
    s, g = np.concatenate(ss), np.concatenate(gs)
    est = estimate_groups(GroupStats.from_scores(s, g), em, b=300, seed=1)
    truth = np.array([ys[k].mean() for k in est.table["key"]])
    return em, est, truth


def test_adjusted_methods_beat_classify_and_count(world):
    em, est, truth = world
    mae = {m: np.abs(est.table[m] - truth).mean() for m in METHODS}
    for m in ("acc", "pacc", "sld"):
        assert mae[m] < mae["cc"], mae
    assert mae["pacc"] < 0.6 * mae["cc"], mae
    assert mae["sld"] < 0.6 * mae["cc"] and mae["sld"] < 0.03, mae  # calibrated scores: EM is nearly unbiased  # calibrated scores: EM is nearly unbiased


@pytest.mark.parametrize("method", ["acc", "pacc", "sld"])
def test_intervals_cover_the_truth(world, method):
    _, est, truth = world
    t = est.table
    cover = ((truth >= t[f"{method}_low"]) & (truth <= t[f"{method}_high"])).mean()
    assert cover >= 0.9, cover


def test_classify_and_count_intervals_do_not_cover(world):
    # the bias is the reason for quantification: CC intervals are narrow around the wrong value
    _, est, truth = world
    t = est.table
    assert ((truth >= t["cc_low"]) & (truth <= t["cc_high"])).mean() < 0.7


def test_error_model_from_counts_and_rates_match_validation(world):
    em, _, _ = world
    em2 = ErrorModel.from_dict({"tp": em.tp, "fn": em.fn, "fp": em.fp, "tn": em.tn,
                                "mean_p_pos": em.mean_p_pos, "mean_p_neg": em.mean_p_neg})
    r1, r2 = em.rates(), em2.rates()
    assert r1.tpr == pytest.approx(r2.tpr) and r1.fpr == pytest.approx(r2.fpr)
    em3 = ErrorModel.from_dict({"tpr": r1.tpr, "fpr": r1.fpr, "n_pos": em.n_pos, "n_neg": em.n_neg})
    assert em3.rates().tpr == pytest.approx(r1.tpr, abs=1e-3)
    # rate draws scatter around the point values
    d = em2.draw(np.random.default_rng(0), 2000)
    assert abs(np.mean(d.tpr) - r1.tpr) < 0.01 and np.std(d.tpr) > 0


def test_wider_intervals_with_fewer_validation_items():
    rng = np.random.default_rng(3)
    y = rng.random(3000) < 0.3
    s = classifier(y, rng)
    widths = []
    for n_val in (40, 2000):
        yv = np.arange(n_val) < n_val // 2
        em = ErrorModel.from_validation(classifier(yv, rng), yv)
        r = quantify(s, em, "acc", b=300)
        widths.append(r["ci_high"] - r["ci_low"])
        assert r["ci_low"] <= y.mean() <= r["ci_high"]
    assert widths[0] > 1.5 * widths[1]


def test_cluster_bootstrap_widens_intervals_for_correlated_posts():
    # 40 accounts with 100 posts each, all of an account's posts alike: the data hold 40 voices, not 4,000
    rng = np.random.default_rng(5)
    acc_sup = rng.random(40) < 0.3
    y = np.repeat(acc_sup, 100)
    s = classifier(y, rng)
    yv = np.arange(1000) < 500
    em = ErrorModel.from_validation(classifier(yv, rng), yv)
    naive = quantify(s, em, "pacc", b=300)
    clustered = quantify(s, em, "pacc", b=300, clusters=np.repeat(np.arange(40), 100))
    assert clustered["ci_high"] - clustered["ci_low"] > 2 * (naive["ci_high"] - naive["ci_low"])


def test_large_groups_use_the_normal_approximation_consistently(monkeypatch):
    from marsad.census import quantify as q

    rng = np.random.default_rng(11)
    y = rng.random(9000) < 0.2
    s = classifier(y, rng)
    yv = np.arange(600) < 300
    em = ErrorModel.from_validation(classifier(yv, rng), yv)
    clusters = np.arange(9000) // 3  # 3,000 clusters: normal draws by default
    approx = quantify(s, em, "pacc", b=400, clusters=clusters)
    monkeypatch.setattr(q, "EXACT_MAX_CLUSTERS", 10**6)
    exact = quantify(s, em, "pacc", b=400, clusters=clusters)
    assert approx["estimate"] == pytest.approx(exact["estimate"])
    assert approx["ci_low"] == pytest.approx(exact["ci_low"], abs=0.01)
    assert approx["ci_high"] == pytest.approx(exact["ci_high"], abs=0.01)
    assert approx["ci_low"] <= y.mean() <= approx["ci_high"]


def test_slots_are_exact_at_the_threshold():
    p = np.array([0.0, 0.2999, 0.3, 0.5, 0.77, 1.0])
    sl = slot_of(p, 0.3)
    pos = positive_slots()
    assert list(pos[sl]) == [False, False, True, True, True, True]
    c = np.bincount(sl, minlength=len(pos)).astype(float)
    s = np.bincount(sl, weights=p, minlength=len(pos))
    assert estimate(c, s, "cc", None)[0] == pytest.approx(4 / 6)
    assert estimate(c, s, "pcc", None)[0] == pytest.approx(p.mean())


def test_bad_inputs_give_clear_errors():
    with pytest.raises(MarsadError, match="at least 5"):
        ErrorModel.from_validation([0.9, 0.1], [1, 0])
    with pytest.raises(MarsadError, match="error model"):
        ErrorModel.from_dict({"foo": 1})
    with pytest.raises(MarsadError, match="needs validated"):
        quantify([0.2, 0.9], None, "acc")
    with pytest.raises(MarsadError, match="unknown"):
        quantify([0.2, 0.9], None, "magic")
    with pytest.raises(MarsadError, match="no scores"):
        quantify([], None, "cc")


def test_useless_classifier_gives_no_adjusted_estimate():
    yv = np.arange(200) < 100
    em = ErrorModel.from_validation(np.full(200, 0.6), yv)  # tpr = fpr = 1: cannot separate
    r = quantify(np.full(50, 0.6), em, "acc", b=100)
    assert np.isnan(r["estimate"])


def test_rank_intervals():
    rng = np.random.default_rng(0)
    reps = np.stack([rng.normal(m, s, 400) for m, s in [(0.5, 0.01), (0.3, 0.01), (0.29, 0.01), (0.1, 0.01)]], 1)
    med, lo, hi = rank_intervals(reps)
    assert lo[0] == hi[0] == 1 and lo[3] == hi[3] == 4
    assert lo[1] == 2 and hi[1] == 3 and lo[2] == 2 and hi[2] == 3
