"""Quantification with the real stance model on real held-out Arabic tweets (arabic-isis-eval-2000).

For each of 30 random stratified halvings of the held-out split, one half plays the model card's validation data
(the error model) and the other half is resampled into groups with known shares of supportive tweets (2% to 60%).
Averaged over the halvings (the error model is shared by all groups of one halving, so one halving alone says
little), intervals must cover the known shares at least 90% of the time and the adjusted estimates must be closer
to the truth than classify-and-count."""
from __future__ import annotations

import numpy as np
import pytest

from marsad.census.quantify import ErrorModel, GroupStats, estimate_groups

METHODS = ("cc", "acc", "pacc", "sld")


@pytest.fixture(scope="module")
def heldout(shared_data):
    model_mod = pytest.importorskip("marsad.signals.stance.model")
    data_mod = pytest.importorskip("marsad.signals.stance.data")
    if not model_mod.MODEL_PATH.exists():
        pytest.skip("the stance model is not trained yet (marsad stance train)")
    model = model_mod.StanceModel.load()
    df = data_mod.load_arabic(shared_data)
    test = df[df["split"] == "test"].reset_index(drop=True)
    p = np.asarray(model.predict_proba(test["text"].tolist(), lang="ar"), float)
    return p, test["y"].to_numpy().astype(bool)


@pytest.fixture(scope="module")
def results(heldout):
    p, y = heldout
    cover = {m: [] for m in METHODS}
    err = {m: [] for m in METHODS}
    for split in range(30):
        rng = np.random.default_rng(split)
        cal = np.zeros(len(y), bool)
        for cls in (True, False):
            idx = np.flatnonzero(y == cls)
            cal[rng.choice(idx, size=len(idx) // 2, replace=False)] = True
        em = ErrorModel.from_validation(p[cal], y[cal], source="half of the Arabic held-out split")
        pos, neg = p[~cal & y], p[~cal & ~y]
        scores, groups, truth = [], [], []
        for g, share in enumerate((0.02, 0.1, 0.3, 0.6)):
            k = rng.binomial(300, share)
            scores.append(np.concatenate([rng.choice(pos, k), rng.choice(neg, 300 - k)]))
            groups.append(np.full(300, g))
            truth.append(k / 300)
        est = estimate_groups(GroupStats.from_scores(np.concatenate(scores), np.concatenate(groups)), em, METHODS,
                              b=300, seed=split)
        t = est.table.sort_values("key")
        truth = np.array(truth)
        for m in METHODS:
            cover[m].extend((truth >= t[f"{m}_low"].to_numpy()) & (truth <= t[f"{m}_high"].to_numpy()))
            err[m].extend(np.abs(t[m].to_numpy() - truth))
    return {m: float(np.mean(v)) for m, v in cover.items()}, {m: float(np.mean(v)) for m, v in err.items()}


def test_real_arabic_intervals_cover_known_shares(results):
    cover, err = results
    for m in ("acc", "pacc", "sld"):
        assert cover[m] >= 0.9, (m, cover, err)


def test_real_arabic_quantification_beats_counting(results):
    cover, err = results
    assert err["pacc"] < err["cc"] and err["sld"] < err["cc"], err
