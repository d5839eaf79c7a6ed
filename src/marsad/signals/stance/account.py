"""Account verdicts: aggregate post probabilities with shrinkage into supporter / non-supporter / undetermined.

Model: an account's posts support the organisation with an unknown share theta. With calibrated post
probabilities p_i, the expected number of supportive posts is k = sum(p_i) out of n scored posts; with a uniform
Beta(1, 1) prior the posterior is Beta(1 + k, 1 + n - k). Few posts give a wide interval (shrinkage toward 1/2,
i.e. toward "we do not know", never toward "non-supporter").

An account is a *supporter* when the 95% credible interval of theta lies above ``threshold`` (default 0.3: at
least ~a third of what it posts is supportive - supporters also post news, religion and daily life), a
*non-supporter* when the interval lies below it, and *undetermined* when it straddles it or when fewer than
``min_posts`` posts could be scored. With the uniform prior, an account needs about ten scored posts, all clearly
non-supportive, before it can be called a non-supporter.

Evidence row (signal "stance", subject_type "account"): score = posterior mean of theta, ci_low/ci_high = its
95% interval; refs = the posts weighing most for and against; details = counts, P(theta > threshold), languages
and the naming/lexicon cues found in the account's posts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import beta

from ..base import ref
from .features import CUE_NAMES, cues_in

THRESHOLD = 0.3
MIN_POSTS = 3
PRIOR = (1.0, 1.0)
N_REFS = 3
LEVEL = 0.95


def verdicts(n: np.ndarray, k: np.ndarray, *, threshold: float = THRESHOLD, min_posts: int = MIN_POSTS,
             prior: tuple[float, float] = PRIOR) -> pd.DataFrame:
    """Vectorised verdicts from scored-post counts ``n`` and expected supportive counts ``k``."""
    n = np.asarray(n, dtype=float)
    k = np.clip(np.asarray(k, dtype=float), 0, n)
    a, b = prior[0] + k, prior[1] + n - k
    lo = beta.ppf((1 - LEVEL) / 2, a, b)
    hi = beta.ppf(1 - (1 - LEVEL) / 2, a, b)
    mean = a / (a + b)
    p_sup = beta.sf(threshold, a, b)
    label = np.where(n < min_posts, "undetermined",
                     np.where(lo > threshold, "supporter", np.where(hi < threshold, "non-supporter", "undetermined")))
    return pd.DataFrame({"label": label, "score": mean, "ci_low": lo, "ci_high": hi, "p_supporter": p_sup})


def account_evidence(
    scored: pd.DataFrame,
    *,
    threshold: float = THRESHOLD,
    min_posts: int = MIN_POSTS,
    model_version: str | None = None,
) -> pd.DataFrame:
    """Evidence rows from post scores.

    ``scored`` has columns platform, account_id, post_id, p_support (NaN = not scored), lang, norm (normalised text)
    and one column per cue group in :data:`CUE_NAMES` (counts). Accounts with no scored post still get a row
    (undetermined), so every account in the population is accounted for.
    """
    df = scored.copy()
    df["scored_"] = df["p_support"].notna()
    df["pval_"] = df["p_support"].fillna(0.0)
    keys = ["platform", "account_id"]
    g = df.groupby(keys, sort=False)
    agg = g.agg(n_posts=("post_id", "size"), n_scored=("scored_", "sum"), k=("pval_", "sum"),
                n_supportive=("pval_", lambda s: int((s >= 0.5).sum()))).reset_index()
    # posts scored but below 0.5 are "non-supportive"; unscored posts count in neither
    agg["n_supportive"] = g.apply(lambda x: int(((x["pval_"] >= 0.5) & x["scored_"]).sum()), include_groups=False).values
    v = verdicts(agg["n_scored"].to_numpy(), agg["k"].to_numpy(), threshold=threshold, min_posts=min_posts)
    agg = pd.concat([agg, v], axis=1)
    cue_sums = g[list(CUE_NAMES)].sum().reset_index(drop=True) if set(CUE_NAMES) <= set(df.columns) else None
    langs = g["lang"].agg(lambda s: s.fillna("und").value_counts().to_dict()).reset_index(drop=True)

    # the posts weighing most for (highest p) and against (lowest p), among scored posts
    sc = df[df["scored_"]].sort_values(["platform", "account_id", "pval_"], ascending=[True, True, False])
    top = sc.groupby(keys, sort=False).head(N_REFS)
    bottom = sc.iloc[::-1].groupby(keys, sort=False).head(N_REFS)
    refs_for: dict[tuple, list] = {}
    for r in top.itertuples(index=False):
        if r.pval_ >= 0.5:
            refs_for.setdefault((r.platform, r.account_id), []).append(
                ref("post", r.post_id, r.pval_, _note("for", r.pval_, r.norm)))
    for r in bottom.itertuples(index=False):
        if r.pval_ < 0.5:
            refs_for.setdefault((r.platform, r.account_id), []).append(
                ref("post", r.post_id, r.pval_, _note("against", r.pval_, r.norm)))

    rows = []
    for i, r in enumerate(agg.itertuples(index=False)):
        cues = {}
        if cue_sums is not None:
            cues = {name: int(c) for name, c in zip(CUE_NAMES, cue_sums.iloc[i].to_numpy()) if c}
        details = {
            "n_posts": int(r.n_posts), "n_scored": int(r.n_scored), "n_supportive": int(r.n_supportive),
            "expected_supportive": round(float(r.k), 3), "p_supporter": round(float(r.p_supporter), 4),
            "threshold": threshold, "min_posts": min_posts, "prior": list(PRIOR), "langs": langs.iloc[i],
            "cues": cues, "model_version": model_version,
        }
        rows.append({
            "subject_type": "account", "platform": r.platform, "subject_id": r.account_id, "label": r.label,
            "score": float(r.score), "ci_low": float(r.ci_low), "ci_high": float(r.ci_high),
            "refs": refs_for.get((r.platform, r.account_id), []), "details": details,
        })
    return pd.DataFrame(rows)


def _note(side: str, p: float, norm: str | None) -> str:
    found = cues_in(norm or "")
    cue = "; cues: " + ", ".join(f"{k}={'/'.join(sorted(set(v)))}" for k, v in found.items()) if found else ""
    return f"{side}: p={p:.2f}{cue}"
