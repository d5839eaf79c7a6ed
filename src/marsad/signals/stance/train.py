"""Rebuild the stance model from the shared data, deterministically, and rewrite its model card.

For each language: the regularisation strength C is chosen by grouped 5-fold cross-validation on the training
split only (idf recomputed inside every fold); Platt scaling is fitted on the out-of-fold scores of the chosen C;
the final model is fitted on the whole training split. The held-out split is touched only by
:mod:`.evaluate`, after the model is saved.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from .data import SEED, load_arabic, load_english
from .features import CUE_NAMES, HashSpec, hashed_counts
from .model import MODEL_PATH, LanguageModel, StanceModel, design_matrix

VERSION = "1.0"
C_GRID = (16.0, 64.0)
CUE_GRID = (0.1, 0.3)  # weight of the cue columns relative to the (unit-length) n-gram part
N_FOLDS = 5


def fit_idf(norm_texts: list[str], spec: HashSpec) -> tuple[np.ndarray, np.ndarray, float]:
    """Seen feature buckets, their smoothed idf ``ln((1+n)/(1+df)) + 1``, and the idf of an unseen bucket (0: an
    n-gram never seen in training is ignored, as a fixed vocabulary would)."""
    counts = hashed_counts(norm_texts, spec)
    df = np.bincount(counts.indices, minlength=spec.n_features)
    n = len(norm_texts)
    seen = np.flatnonzero(df)
    idf = np.log((1 + n) / (1 + df[seen])) + 1.0
    return seen, idf, 0.0


def _dense_idf(seen: np.ndarray, idf: np.ndarray, default: float, spec: HashSpec) -> np.ndarray:
    out = np.full(spec.n_features, default)
    out[seen] = idf
    return out


def _columns(seen: np.ndarray, spec: HashSpec) -> np.ndarray:
    """The design-matrix columns a model uses: the buckets seen in training, then the cue columns."""
    return np.concatenate([seen, spec.n_features + np.arange(len(CUE_NAMES))])


def _fit(norm: list[str], y: np.ndarray, C: float, spec: HashSpec, cue_scale: float):
    seen, idf, default = fit_idf(norm, spec)
    X = design_matrix(norm, _dense_idf(seen, idf, default, spec), spec, cue_scale)
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=1000)
    clf.fit(X[:, _columns(seen, spec)], y)
    return clf, (seen, idf, default)


def _decision(clf, idf_parts, norm: list[str], spec: HashSpec, cue_scale: float) -> np.ndarray:
    X = design_matrix(norm, _dense_idf(*idf_parts, spec), spec, cue_scale)
    return clf.decision_function(X[:, _columns(idf_parts[0], spec)])


def out_of_fold(df: pd.DataFrame, C: float, spec: HashSpec, cue_scale: float) -> np.ndarray:
    """Out-of-fold decision scores on ``df`` with grouped, stratified folds."""
    oof = np.zeros(len(df))
    norm = df["norm"].tolist()
    y = df["y"].to_numpy()
    folds = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    for tr, te in folds.split(np.zeros(len(df)), y, df["group"].to_numpy()):
        clf, idf_parts = _fit([norm[i] for i in tr], y[tr], C, spec, cue_scale)
        oof[te] = _decision(clf, idf_parts, [norm[i] for i in te], spec, cue_scale)
    return oof


def platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling (a, b) with the usual target smoothing."""
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    t = np.where(y == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    lr = LogisticRegression(C=1e6, max_iter=1000)
    # fit on the smoothed targets by duplicating each row with weights t and 1-t
    Xs = np.concatenate([scores, scores]).reshape(-1, 1)
    ys = np.concatenate([np.ones(len(y)), np.zeros(len(y))])
    lr.fit(Xs, ys, sample_weight=np.concatenate([t, 1 - t]))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def train_language(
    df: pd.DataFrame, lang: str, spec: HashSpec, *, log: Callable[[str], None] = print
) -> tuple[LanguageModel, dict]:
    """Fit one language on its training split; returns the model and the cross-validation report."""
    from .evaluate import point_metrics

    train = df[df["split"] == "train"].reset_index(drop=True)
    y = train["y"].to_numpy()
    key = "f1" if lang == "en" else "accuracy"
    cv: dict[str, dict] = {}
    best = None
    for cue_scale in CUE_GRID:
        for C in C_GRID:
            oof = out_of_fold(train, C, spec, cue_scale)
            a, b = platt(oof, y)
            m = point_metrics(y, 1 / (1 + np.exp(-(a * oof + b))))
            name = f"C={C:g},cues={cue_scale:g}"
            cv[name] = m
            log(f"  {lang} {name}: cv {key} {m[key]:.4f}, brier {m['brier']:.4f}")
            if best is None or m[key] > cv[best[0]][key] + 1e-9:
                best = (name, C, cue_scale, a, b)
    name, C, cue_scale, a, b = best
    clf, (seen, idf, default) = _fit(train["norm"].tolist(), y, C, spec, cue_scale)
    w = clf.coef_[0]
    n_hash = len(seen)
    info = {"C": C, "cue_scale": cue_scale, "n_train": int(len(train)), "n_train_pos": int(y.sum()),
            "n_train_groups": int(train["group"].nunique()), "cv_folds": N_FOLDS, "cv": cv[name], "cv_grid": cv}
    model = LanguageModel(
        lang=lang, feat_idx=seen.astype(np.int32), idf=idf.astype(np.float32), coef=w[:n_hash].astype(np.float32),
        cue_coef=w[n_hash:].astype(np.float32), intercept=float(clf.intercept_[0]), platt_a=a, platt_b=b,
        default_idf=default, cue_scale=cue_scale, n_features=spec.n_features, info=info,
    )
    return model, info


ERROR_MODEL_NAME = "stance_error_model.json"


# Languages whose held-out labels are per post. The English labels are per account (every post of a fanboy account
# counts as supportive), so its held-out "true positive rate" is far too low for post-level correction and would
# inflate corrected shares; English posts are corrected with the pooled per-post rates instead.
POST_LABELLED = ("ar",)


def write_error_model(model: StanceModel, data: dict[str, pd.DataFrame], path: Path) -> Path:
    """The held-out error rates the census uses to correct country shares (see marsad.census.shares)."""
    from ...census.shares import save_error_model

    heldout = {}
    for lang, df in data.items():
        if lang not in POST_LABELLED:
            continue
        test = df[df["split"] == "test"]
        heldout[lang] = (model.predict_proba(test["text"].tolist(), lang=lang), test["y"].to_numpy())
    return save_error_model(path, heldout)


def build(
    root: Path | None = None, out: Path | None = MODEL_PATH, *, log: Callable[[str], None] = print,
    write_card: bool = True,
) -> tuple[StanceModel, dict]:
    """Train both languages, save the model (unless ``out`` is None), evaluate on held-out data, write the card."""
    from .evaluate import heldout_report, kaggle_account_check, write_model_card

    spec = HashSpec()
    data_report: dict = {}
    data = {"ar": load_arabic(root), "en": load_english(root, report=data_report)}
    models, infos = {}, {}
    for lang, df in data.items():
        log(f"training {lang}: {int((df['split'] == 'train').sum())} train / {int((df['split'] == 'test').sum())} "
            "held-out posts")
        models[lang], infos[lang] = train_language(df, lang, spec, log=log)
    meta = {"version": VERSION, "trained_at": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "seed": SEED, "english_data": data_report}
    model = StanceModel(models, spec, meta)
    if out is not None:
        model.save(out)
    report = heldout_report(model, data)
    if out is not None:
        write_error_model(model, data, Path(out).parent / ERROR_MODEL_NAME)
    if write_card and out is not None:
        accounts = kaggle_account_check(model, root, data["en"])
        report["accounts"] = accounts["table"].to_dict()
        write_model_card(model, data, report, Path(out).parent / "STANCE_MODEL_CARD.md", accounts)
    return model, report
