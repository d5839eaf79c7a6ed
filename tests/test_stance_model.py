"""The stance model: feature hashing, the packaged model file, and held-out quality on real data."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from marsad.errors import MarsadError
from marsad.signals.stance.features import HashSpec, cue_counts, cues_in, hashed_counts, hashed_occurrences
from marsad.signals.stance.model import MODEL_PATH, StanceModel, _grams
from marsad.text import normalise

PINNED = [5784, 135142, 136816]  # smallest buckets of "داعش"; the packaged model was trained with these


# --- hashing ----------------------------------------------------------------------------------------------------

def test_hashing_is_independent_of_batch_and_position():
    a = hashed_counts(["ab cd", "x"])
    b = hashed_counts(["zz yy ww qq rr", "ab cd", ""])
    assert (a[0] != b[1]).nnz == 0
    assert b[2].nnz == 0  # empty text, no features


def test_hashing_counts_char_ngrams_inside_words():
    spec = HashSpec(char_min=1, char_max=5, word_max=0, space_unigram=False)
    m = hashed_counts(["ab cd"], spec)
    # 1-grams a b c d; 2-grams " a" ab "b " " c" cd "d "; 3-grams " ab" "ab " " cd" "cd "; 4-grams " ab " " cd "
    assert m.sum() == 4 + 6 + 4 + 2
    spec_w = HashSpec(char_min=1, char_max=5, word_max=2, space_unigram=False)
    assert hashed_counts(["ab cd"], spec_w).sum() == 16 + 2 + 1  # + words ab, cd and the pair


def test_vectorised_hashing_matches_readable_twin():
    spec = HashSpec(word_max=2)
    for text in ["الدولة الإسلامية باقية", "the islamic state و of", "a", "#caliphate news 2015 ؟"]:
        norm = normalise(text)
        _, cols = hashed_occurrences([norm], spec)
        assert sorted(cols.tolist()) == sorted(c for _, c in _grams(norm, spec))


def test_hash_values_are_pinned():
    """The packaged model depends on these exact buckets: changing the hash silently breaks it."""
    _, cols = hashed_occurrences(["داعش"], HashSpec())
    assert len(cols) == 4 + 5 + 4 + 3 + 2 + 2  # 1-5-grams of " داعش " and the two boundary spaces
    assert cols.min() >= 0 and cols.max() < (1 << 19)
    rows, again = hashed_occurrences(["x y", "داعش"], HashSpec())
    assert sorted(again[rows == 1].tolist()) == sorted(cols.tolist())
    assert sorted(set(cols.tolist()))[:3] == PINNED


def test_cues_are_found_after_normalisation():
    found = cues_in(normalise("#الدولة_الإسلامية تدك أوكار الرافضة"))
    assert found["ar_naming_pro"] == ["الدوله الاسلاميه"]
    assert "ar_lexicon_pro" in found
    assert cues_in(normalise("ISIS terrorists condemned"))["en_naming_anti"] == ["isis"]
    assert "en_naming_anti" not in cues_in(normalise("crisis in the region"))  # whole words only in English
    assert cue_counts(["", "داعش داعش"])[1].sum() == 2


# --- the packaged model -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model():
    return StanceModel.load()


def test_model_file_is_small_versioned_and_loads_fast(model):
    assert MODEL_PATH.stat().st_size < 8_000_000
    assert model.version and model.version != "unknown"
    assert set(model.models) == {"ar", "en"}
    t0 = time.perf_counter()
    StanceModel.load()
    assert time.perf_counter() - t0 < 1.0


def test_model_roundtrip(model, tmp_path):
    path = model.save(tmp_path / "m.npz")
    again = StanceModel.load(path)
    texts = ["الدولة الإسلامية باقية وتتمدد", "ISIS terrorists killed civilians, a barbaric attack", "x"]
    np.testing.assert_allclose(again.predict(texts)["p_support"], model.predict(texts)["p_support"], rtol=1e-6)


def test_bad_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a model")
    with pytest.raises(MarsadError, match="not a marsad stance model"):
        StanceModel.load(bad)
    with pytest.raises(MarsadError, match="no stance model"):
        StanceModel.load(tmp_path / "missing.npz")


def test_predict_routes_languages(model):
    out = model.predict(["الدولة الإسلامية باقية وتتمدد", "Daech et Pogba, même délire, annoncés dangereux", "", None,
                         "The soldiers of the Khilafah advanced on the apostates"])
    assert out["model"].tolist() == ["ar", None, None, None, "en"]
    assert np.isnan(out["p_support"][1:4]).all()
    assert ((out["p_support"][[0, 4]] > 0) & (out["p_support"][[0, 4]] < 1)).all()
    # a platform language tag is used when given
    tagged = model.predict(["ok ok ok", "bonjour à tous", "x", "شاهدوا هذا المقطع الرائع"], ["en", "fr", "und", "en"])
    assert tagged["model"].tolist() == ["en", None, None, "ar"]  # a tag the script contradicts is re-checked
    assert tagged["lang"].tolist()[:2] == ["en", "fr"]
    assert not np.isnan(tagged["p_support"][0])


def test_everyday_english_is_not_support(model):
    """Off-topic posts must not score as support just because they are not news about the organisation."""
    p = model.predict_proba(["Good morning everyone, what a match tonight", "Can't wait for the weekend with friends",
                             "This movie made my day, the ending was amazing"], lang="en")
    assert (p < 0.5).all()


def test_stance_not_topic_english(model):
    """Talking about the organisation is not supporting it: condemnation scores low, propaganda high."""
    p = model.predict_proba([
        "The Islamic State remains and expands. Soldiers of the Khilafah took the town from the apostates",
        "ISIS terrorists killed dozens of civilians today. Horrific attack, we condemn this barbaric violence",
    ], lang="en")
    assert p[0] > 0.5 > p[1]


def test_arabic_propaganda_scores_high(model):
    p = model.predict_proba(["الدولة الإسلامية باقية وتتمدد بإذن الله، جنود الخلافة يدكون أوكار الرافضة المرتدين"],
                            lang="ar")
    assert p[0] > 0.9


@pytest.mark.xfail(strict=True, reason="known gap: the Arabic training negatives are off-topic tweets (about 10 of 750 "
                                       "mention the organisation), so the Arabic model scores condemnation of it as "
                                       "support. Needs Arabic hard negatives (news/condemnation) to fix; the sentence "
                                       "encoders tried (model card, 'Encoders tried') make it worse, not better.")
def test_stance_not_topic_arabic(model):
    p = model.predict_proba(["داعش تنظيم إرهابي يقتل الأبرياء ويشوه صورة الإسلام، اللهم اكفنا شرهم"], lang="ar")
    assert p[0] < 0.5


def test_explain_gives_cues_and_weights(model):
    ex = model.explain("#الدولة_الإسلامية تدك أوكار الرافضة")
    assert ex["lang"] == "ar" and 0 < ex["p_support"] < 1
    assert "ar_naming_pro" in ex["cues"]
    assert ex["for"] and all(w > 0 for _, w in ex["for"])


# --- held-out quality on real data ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def heldout(model, shared_data):
    from marsad.signals.stance.data import load_arabic, load_english
    from marsad.signals.stance.evaluate import heldout_report

    data = {"ar": load_arabic(shared_data), "en": load_english(shared_data)}
    return data, heldout_report(model, data, n_boot=200)


def test_splits_are_honest(heldout):
    data, _ = heldout
    for lang, df in data.items():
        train, test = df[df.split == "train"], df[df.split == "test"]
        assert not set(train.group) & set(test.group), f"{lang}: a group is on both sides"
        assert not set(train.norm) & set(test.norm), f"{lang}: a text is on both sides"
        assert 0.2 < len(test) / len(df) < 0.3
    en = data["en"]
    from marsad.signals.stance.data import NON_SUPPORTER_ACCOUNTS

    assert not set(en.author.dropna()) & NON_SUPPORTER_ACCOUNTS
    assert not set(en[en.split == "train"].author.dropna()) & set(en[en.split == "test"].author.dropna())


def test_arabic_heldout_accuracy(heldout):
    _, report = heldout
    m = report["ar"]["metrics"]
    assert report["ar"]["n_test"] == 375
    # issue 4 asks for >= 0.97; the honest held-out figure of this linear model is lower (see the model card)
    assert m["accuracy"]["value"] >= 0.94
    assert m["roc_auc"]["value"] >= 0.98
    assert m["brier"]["value"] <= 0.06
    assert m["accuracy"]["low"] <= m["accuracy"]["value"] <= m["accuracy"]["high"]


def test_english_heldout_f1(heldout):
    _, report = heldout
    # fanboy labels are per account: a supporter's everyday post is a "positive" the model scores low (see the card)
    m = report["en"]["metrics"]
    assert m["f1"]["value"] >= 0.75
    assert m["roc_auc"]["value"] >= 0.93
    assert m["brier"]["value"] <= 0.11
    on = report["en-ontopic"]["metrics"]
    assert on["roc_auc"]["value"] >= 0.93 and on["f1"]["value"] >= 0.75


@pytest.mark.xfail(strict=True, reason="issue 4 floors (ar accuracy 0.97, en F1 0.95) are not reached with honest "
                                       "splits; see STANCE_MODEL_CARD.md (the sentence encoders tried do not "
                                       "reach them at the required speed: 'Encoders tried'). Remove this mark when "
                                       "they are.")
def test_issue_floors(heldout):
    _, report = heldout
    assert report["ar"]["metrics"]["accuracy"]["value"] >= 0.97
    assert report["en"]["metrics"]["f1"]["value"] >= 0.95


def test_training_is_deterministic_and_learns(shared_data):
    """`marsad stance train` runs the same code on all the data; here on a small real subset, twice."""
    from marsad.signals.stance.data import load_arabic
    from marsad.signals.stance.train import train_language

    df = load_arabic(shared_data)
    small = pd.concat([df[df.split == "train"].groupby("y").head(120), df[df.split == "test"]])
    m1, info = train_language(small, "ar", HashSpec(), log=lambda s: None)
    m2, _ = train_language(small, "ar", HashSpec(), log=lambda s: None)
    np.testing.assert_array_equal(m1.coef, m2.coef)
    assert (m1.platt_a, m1.platt_b) == (m2.platt_a, m2.platt_b)
    assert info["n_train"] == 240 and info["cv"]["accuracy"] > 0.75
    model = StanceModel({"ar": m1}, HashSpec(), {"version": "test"})
    test = df[df.split == "test"]
    acc = ((model.predict_proba(test.text, lang="ar") >= 0.5) == test.y).mean()
    assert acc > 0.8
