"""The post-level stance model: P(a post supports the organisation), one calibrated linear model per language.

Features (see :mod:`.features`): hashed character n-grams inside words and word uni/bigrams of the normalised
text, weighted by ``count * idf / sqrt(sum of idf**2 over the post's n-gram occurrences)``, plus the naming and
lexicon cue counts (``log1p(count)``). A logistic regression gives a score; Platt scaling fitted on out-of-fold
scores turns it into a calibrated probability.

The model file (``marsad/models/stance.npz``) holds only arrays and a JSON header - no pickle - so loading is fast
and safe. Scoring never builds a sparse matrix: a post's score is a weighted sum over its n-gram occurrences,
computed for a whole batch with ``np.bincount``.

Posts are routed by language: Arabic to the Arabic model, English to the English one. Other languages, and posts
with fewer than three letters, get no probability (``NaN``): the model was not trained on them, and a guess
would be dressed up as evidence.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...errors import MarsadError
from ...text.lang import detect_language, script_of
from ...text.normalise import normalise
from .features import CUE_NAMES, CUES, HashSpec, _bucket, _P, _SALT, cue_counts, cues_in, hashed_occurrences

MODEL_DIR = Path(__file__).resolve().parents[2] / "models"
MODEL_PATH = MODEL_DIR / "stance.npz"
FILE_FORMAT = 1
LANGS = ("ar", "en")
NO_LANG = frozenset({"", "und", "zxx", "qme", "qht", "qst", "art", "nan", "none", "null"})  # Twitter's "no language" tags
BATCH = 20_000


def weighted_rows(rows: np.ndarray, cols: np.ndarray, idf: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-occurrence feature weight ``idf / norm`` and the per-document norm (0 for empty documents)."""
    w = idf[cols]
    norm = np.sqrt(np.bincount(rows, weights=w * w, minlength=n_docs))
    safe = np.where(norm > 0, norm, 1.0)
    return w / safe[rows], norm


def design_matrix(norm_texts: list[str], idf: np.ndarray, spec: HashSpec, cue_scale: float) -> sp.csr_matrix:
    """The training design matrix: weighted hashed n-grams followed by the cue columns."""
    n = len(norm_texts)
    rows, cols = hashed_occurrences(norm_texts, spec)
    data, _ = weighted_rows(rows, cols, idf, n)
    X = sp.csr_matrix((data.astype(np.float32), (rows, cols)), shape=(n, spec.n_features))
    X.sum_duplicates()
    C = sp.csr_matrix(np.log1p(cue_counts(norm_texts)) * cue_scale)
    return sp.hstack([X, C], format="csr")


@dataclass
class LanguageModel:
    """The fitted parameters for one language. Arrays are stored sparsely (only buckets seen in training)."""

    lang: str
    feat_idx: np.ndarray  # int32, feature buckets seen in training
    idf: np.ndarray  # float32, their idf
    coef: np.ndarray  # float32, their weight
    cue_coef: np.ndarray  # float32, one weight per cue group
    intercept: float
    platt_a: float
    platt_b: float
    default_idf: float  # idf of a bucket never seen in training
    cue_scale: float = 1.0
    n_features: int = HashSpec().n_features
    info: dict = field(default_factory=dict)

    @cached_property
    def dense(self) -> tuple[np.ndarray, np.ndarray]:
        idf = np.full(self.n_features, self.default_idf, dtype=np.float64)
        idf[self.feat_idx] = self.idf
        coef = np.zeros(self.n_features, dtype=np.float64)
        coef[self.feat_idx] = self.coef
        return idf, coef

    def decision(self, norm_texts: list[str], spec: HashSpec) -> np.ndarray:
        """Raw linear scores of normalised texts."""
        n = len(norm_texts)
        rows, cols = hashed_occurrences(norm_texts, spec)
        idf, coef = self.dense
        w, _ = weighted_rows(rows, cols, idf, n)
        s = np.bincount(rows, weights=w * coef[cols], minlength=n)
        cues = np.log1p(cue_counts(norm_texts)) * self.cue_scale
        return s + cues @ self.cue_coef.astype(np.float64) + self.intercept

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.platt_a * scores + self.platt_b)))


class StanceModel:
    """Per-language calibrated stance models plus the hashing spec and training metadata."""

    def __init__(self, models: dict[str, LanguageModel], spec: HashSpec, meta: dict):
        self.models = models
        self.spec = spec
        self.meta = meta

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "unknown"))

    # --- persistence ----------------------------------------------------------------------------------------------
    def save(self, path: str | Path = MODEL_PATH) -> Path:
        path = Path(path)
        arrays: dict[str, np.ndarray] = {}
        header = {"format": FILE_FORMAT, "meta": self.meta, "spec": self.spec.__dict__, "langs": {}}
        for lang, m in self.models.items():
            arrays[f"{lang}_feat_idx"] = m.feat_idx.astype(np.int32)
            arrays[f"{lang}_idf"] = m.idf.astype(np.float32)
            arrays[f"{lang}_coef"] = m.coef.astype(np.float32)
            arrays[f"{lang}_cue_coef"] = m.cue_coef.astype(np.float32)
            header["langs"][lang] = {
                "intercept": m.intercept, "platt_a": m.platt_a, "platt_b": m.platt_b,
                "default_idf": m.default_idf, "cue_scale": m.cue_scale, "info": m.info,
            }
        header["cue_names"] = list(CUE_NAMES)
        arrays["header"] = np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), dtype=np.uint8)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> "StanceModel":
        path = Path(path) if path else MODEL_PATH
        if not path.exists():
            raise MarsadError(f"no stance model at {path}", hint="run `marsad stance train` to build it")
        try:
            z = np.load(path, allow_pickle=False)
            header = json.loads(bytes(z["header"]).decode())
        except Exception as e:  # noqa: BLE001 - any unreadable file is the same user-facing problem
            raise MarsadError(f"{path} is not a marsad stance model ({type(e).__name__})") from None
        if header.get("format") != FILE_FORMAT:
            raise MarsadError(f"{path} has model format {header.get('format')}; this marsad reads {FILE_FORMAT}")
        if header.get("cue_names") != list(CUE_NAMES):
            raise MarsadError(f"{path} was trained with other cue groups", hint="run `marsad stance train`")
        spec = HashSpec(**header["spec"])
        models = {}
        for lang, h in header["langs"].items():
            models[lang] = LanguageModel(
                lang=lang, feat_idx=z[f"{lang}_feat_idx"], idf=z[f"{lang}_idf"], coef=z[f"{lang}_coef"],
                cue_coef=z[f"{lang}_cue_coef"], intercept=h["intercept"], platt_a=h["platt_a"],
                platt_b=h["platt_b"], default_idf=h["default_idf"], cue_scale=h["cue_scale"],
                n_features=spec.n_features, info=h.get("info", {}),
            )
        return cls(models, spec, header["meta"])

    # --- scoring --------------------------------------------------------------------------------------------------
    def route(self, texts: Sequence[str | None], langs: Sequence[str | None] | None = None) -> list[str | None]:
        """The language of each post: the platform's tag when there is one (``und``/``zxx``/empty: none),
        else identified offline."""
        out: list[str | None] = []
        cache: dict[str | None, str | None] = {}
        for i, t in enumerate(texts):
            given = langs[i] if langs is not None else None
            if isinstance(given, str) and t and given.strip().lower() not in NO_LANG:
                tag = given.strip().lower().split("-")[0].split("_")[0]
                # trust the tag unless the script contradicts it (an "en" tag on Arabic text, or the reverse)
                if (tag == "ar") == (script_of(t) == "arabic"):
                    out.append(tag)
                    continue
            if t not in cache:
                cache[t] = detect_language(t)
            out.append(cache[t])
        return out

    def predict(
        self,
        texts: Sequence[str | None],
        langs: Sequence[str | None] | None = None,
        *,
        on_batch=None,
    ) -> pd.DataFrame:
        """Columns ``p_support`` (NaN when not scored), ``lang`` (identified), ``model`` (which model scored it)."""
        texts = list(texts)
        lang = self.route(texts, langs)
        p = np.full(len(texts), np.nan)
        model = np.array([lg if lg in self.models else None for lg in lang], dtype=object)
        norm_cache: dict[str, str] = {}
        for lg, m in self.models.items():
            idx = np.flatnonzero(model == lg)
            for start in range(0, len(idx), BATCH):
                chunk = idx[start: start + BATCH]
                norm = []
                for i in chunk:
                    t = texts[i]
                    if t not in norm_cache:
                        norm_cache[t] = normalise(t)
                    norm.append(norm_cache[t])
                p[chunk] = m.calibrate(m.decision(norm, self.spec))
                if on_batch:
                    on_batch(len(chunk))
        return pd.DataFrame({"p_support": p, "lang": lang, "model": model})

    def predict_proba(self, texts: Iterable[str | None], lang: str | None = None) -> np.ndarray:
        texts = list(texts)
        return self.predict(texts, [lang] * len(texts) if lang else None)["p_support"].to_numpy()

    # --- explanation ----------------------------------------------------------------------------------------------
    def explain(self, text: str, lang: str | None = None, top: int = 5) -> dict:
        """The probability of one post, its cues and the n-grams that weigh most for and against support."""
        lg = self.route([text], [lang])[0]
        norm = normalise(text)
        out = {"lang": lg, "p_support": math.nan, "cues": cues_in(norm), "for": [], "against": []}
        m = self.models.get(lg)
        if m is None or not norm:
            return out
        out["p_support"] = float(m.calibrate(m.decision([norm], self.spec))[0])
        idf, coef = m.dense
        grams = _grams(norm, self.spec)
        cols = np.array([c for _, c in grams], dtype=np.int64)
        w = idf[cols]
        contrib = w * coef[cols] / max(float(np.sqrt((w * w).sum())), 1e-12)
        agg: dict[str, float] = {}
        for (g, _), c in zip(grams, contrib):
            agg[g] = agg.get(g, 0.0) + float(c)
        cue_w = np.log1p(cue_counts([norm])[0]) * m.cue_scale * m.cue_coef
        for name, cw in zip(CUE_NAMES, cue_w):
            if cw:
                agg[f"[{name}]"] = float(cw)
        ranked = sorted(agg.items(), key=lambda kv: kv[1])
        out["for"] = [(g, round(v, 3)) for g, v in reversed(ranked[-top:]) if v > 0]
        out["against"] = [(g, round(v, 3)) for g, v in ranked[:top] if v < 0]
        return out


def _hash_text(s: str, salt: str, bits: int) -> int:
    h = 0
    mod = 1 << 64
    pj = 1
    for ch in s:
        h = (h + ord(ch) * pj) % mod
        pj = (pj * int(_P)) % mod
    h = (h + int(_SALT[salt])) % mod
    return int(_bucket(np.array([h], dtype=np.uint64), bits)[0])


def _grams(norm: str, spec: HashSpec) -> list[tuple[str, int]]:
    """The n-grams of one normalised text with their feature index (the slow, readable twin of the hashing)."""
    out = []
    words = norm.split()
    for w in words:
        padded = f" {w} "
        for n in range(spec.char_min, spec.char_max + 1):
            for i in range(len(padded) - n + 1):
                g = padded[i: i + n]
                if g.strip() == "" or (n >= 3 and " " in g[1:-1]) or (n == 1 and g == " "):
                    continue
                if n == 2 and g == "  ":
                    continue
                out.append((g, _hash_text(g, f"c{n}", spec.char_bits)))
    if spec.space_unigram and spec.char_min == 1:
        out.extend([(" ", _hash_text(" ", "c1", spec.char_bits))] * (len(words) + 1))
    off = 1 << spec.char_bits
    for n in range(1, spec.word_max + 1):
        for i in range(len(words) - n + 1):
            g = " ".join(words[i: i + n])
            out.append((g, _hash_text(g, f"w{n}", spec.word_bits) + off))
    return out


def cue_leaning(name: str) -> str:
    """``support`` or ``oppose`` for a cue group name."""
    return CUES[name][1]
