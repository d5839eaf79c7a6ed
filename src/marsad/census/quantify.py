"""Quantification: estimating the *share* of supportive items in a group, correcting for classifier error.

Counting the items a classifier labels positive (classify-and-count, CC) is biased whenever the classifier errs:
with a true positive rate ``tpr`` and a false positive rate ``fpr`` the expected CC is
``tpr * pi + fpr * (1 - pi)``, so a group with few supporters looks more supportive than it is and vice versa.
The estimators here undo that (Forman 2008; Bella et al. 2010; Saerens, Latinne & Decaestecker 2002):

- ``cc``   share with score >= threshold (biased; shown for comparison)
- ``pcc``  mean probability (biased unless probabilities are calibrated for this group's prevalence)
- ``acc``  adjusted CC: ``(cc - fpr) / (tpr - fpr)``
- ``pacc`` probabilistic ACC: ``(pcc - E[p|neg]) / (E[p|pos] - E[p|neg])``
- ``sld``  EM prior adjustment of calibrated posteriors (needs the training prevalence)

Uncertainty: each bootstrap replicate resamples *both* the group's data and the validation data behind the error
rates (a stratified resample of the held-out scores, or Beta draws when only counts are known), so intervals include
the uncertainty of the classifier's error rates. Items are resampled by *cluster* (the account that wrote them), so
a few hyperactive accounts cannot make an interval look tighter than the data allow.

Everything works on compact sufficient statistics: per cluster, counts and probability sums in ``2 * N_BINS`` score
slots (slot = ``2 * floor(p * N_BINS) + (p >= threshold)``), so a census of millions of posts is aggregated in SQL
and the statistics here run on small arrays.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from threadpoolctl import threadpool_limits

from ..errors import MarsadError

N_BINS = 20
N_SLOTS = 2 * N_BINS
METHODS = ("cc", "pcc", "acc", "pacc", "sld")
#: below this many clusters a group is resampled exactly (Poisson bootstrap); above, the bootstrap distribution
#: of its slot totals is drawn from the normal law with the exact bootstrap mean and covariance.
EXACT_MAX_CLUSTERS = 400
#: an adjustment whose denominator (tpr - fpr) is below this is meaningless: the classifier cannot separate
MIN_SEPARATION = 0.05
EPS = 1e-6


def slot_of(p: np.ndarray, threshold: float) -> np.ndarray:
    """The score slot of each probability (the same formula as :func:`slot_sql`)."""
    p = np.asarray(p, dtype=float)
    return 2 * np.minimum(np.floor(p * N_BINS), N_BINS - 1).astype(int) + (p >= threshold).astype(int)


def slot_sql(col: str, threshold: float) -> str:
    """SQL for the score slot of column ``col`` (must match :func:`slot_of`)."""
    return f"(2 * least(CAST(floor({col} * {N_BINS}) AS INTEGER), {N_BINS - 1}) + CAST({col} >= {float(threshold)!r} AS INTEGER))"


def positive_slots() -> np.ndarray:
    return (np.arange(N_SLOTS) % 2) == 1


# --- the classifier's error model ------------------------------------------------------------------------------


@dataclass
class Rates:
    """Error rates, one value per bootstrap replicate (arrays of shape (B,)) or scalars."""

    tpr: Any
    fpr: Any
    ptpr: Any  # E[p | positive]
    pfpr: Any  # E[p | negative]
    prior: Any  # training prevalence the probabilities are calibrated to


@dataclass
class ErrorModel:
    """What is known about the classifier's errors on held-out data.

    Best: the held-out ``scores`` and true ``labels`` themselves (:meth:`from_validation`). Otherwise the confusion
    counts at the threshold and, for PACC, the mean probability on each class (:meth:`from_counts`).
    """

    threshold: float = 0.5
    scores: np.ndarray | None = None
    labels: np.ndarray | None = None
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    mean_p_pos: float | None = None
    mean_p_neg: float | None = None
    prior: float | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_validation(cls, scores: Sequence[float], labels: Sequence[Any], threshold: float = 0.5,
                        prior: float | None = None, source: str = "held-out validation scores") -> "ErrorModel":
        s = np.asarray(scores, dtype=float)
        y = np.asarray(labels).astype(bool)
        if s.shape != y.shape or s.ndim != 1:
            raise MarsadError("validation scores and labels must be 1-d arrays of the same length")
        ok = np.isfinite(s)
        s, y = np.clip(s[ok], 0, 1), y[ok]
        if y.sum() < 5 or (~y).sum() < 5:
            raise MarsadError("the validation data need at least 5 positive and 5 negative items to estimate error rates")
        pred = s >= threshold
        return cls(
            threshold=threshold, scores=s, labels=y,
            tp=int((pred & y).sum()), fn=int((~pred & y).sum()), fp=int((pred & ~y).sum()), tn=int((~pred & ~y).sum()),
            mean_p_pos=float(s[y].mean()), mean_p_neg=float(s[~y].mean()),
            prior=float(y.mean()) if prior is None else float(prior), source=source,
        )

    @classmethod
    def from_counts(cls, tp: int, fn: int, fp: int, tn: int, threshold: float = 0.5,
                    mean_p_pos: float | None = None, mean_p_neg: float | None = None,
                    prior: float | None = None, source: str = "confusion counts") -> "ErrorModel":
        if min(tp, fn, fp, tn) < 0 or tp + fn < 5 or fp + tn < 5:
            raise MarsadError("error-rate counts need at least 5 positives and 5 negatives, none negative")
        return cls(threshold=threshold, tp=int(tp), fn=int(fn), fp=int(fp), tn=int(tn), mean_p_pos=mean_p_pos,
                   mean_p_neg=mean_p_neg, prior=(tp + fn) / (tp + fn + fp + tn) if prior is None else prior,
                   source=source)

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str = "") -> "ErrorModel":
        """From a model card's JSON: either ``{"validation": {"scores": [...], "labels": [...]}, "threshold"}`` or
        ``{"tp", "fn", "fp", "tn"}`` (or ``{"tpr", "fpr", "n_pos", "n_neg"}``), optionally ``mean_p_pos``,
        ``mean_p_neg``, ``prior``."""
        thr = float(d.get("threshold", 0.5))
        val = d.get("validation")
        if isinstance(val, dict) and val.get("scores") is not None:
            labels = val.get("labels", val.get("y"))
            return cls.from_validation(val["scores"], labels, thr, d.get("prior"), source or "model card validation")
        if all(k in d for k in ("tp", "fn", "fp", "tn")):
            return cls.from_counts(d["tp"], d["fn"], d["fp"], d["tn"], thr, d.get("mean_p_pos"),
                                   d.get("mean_p_neg"), d.get("prior"), source or "model card counts")
        if all(k in d for k in ("tpr", "fpr", "n_pos", "n_neg")):
            npos, nneg = int(d["n_pos"]), int(d["n_neg"])
            tp, fp = round(float(d["tpr"]) * npos), round(float(d["fpr"]) * nneg)
            return cls.from_counts(tp, npos - tp, fp, nneg - fp, thr, d.get("mean_p_pos"), d.get("mean_p_neg"),
                                   d.get("prior"), source or "model card rates")
        raise MarsadError("error model: expected validation scores/labels, tp/fn/fp/tn, or tpr/fpr/n_pos/n_neg")

    @classmethod
    def from_json(cls, path: str | Path) -> "ErrorModel":
        try:
            d = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise MarsadError(f"cannot read error model {path}: {e}") from None
        return cls.from_dict(d, source=str(path))

    @property
    def n_pos(self) -> int:
        return self.tp + self.fn

    @property
    def n_neg(self) -> int:
        return self.fp + self.tn

    @property
    def has_probabilistic(self) -> bool:
        return self.mean_p_pos is not None and self.mean_p_neg is not None

    def rates(self) -> Rates:
        return Rates(self.tp / self.n_pos, self.fp / self.n_neg, self.mean_p_pos, self.mean_p_neg, self.prior)

    def draw(self, rng: np.random.Generator, b: int) -> Rates:
        """``b`` bootstrap draws of the error rates."""
        if self.scores is not None:
            pos, neg = self.scores[self.labels], self.scores[~self.labels]
            rp = pos[rng.integers(0, len(pos), size=(b, len(pos)))]
            rn = neg[rng.integers(0, len(neg), size=(b, len(neg)))]
            return Rates((rp >= self.threshold).mean(1), (rn >= self.threshold).mean(1), rp.mean(1), rn.mean(1),
                         np.full(b, self.prior))
        # Jeffreys posteriors of the rates; mean probabilities get the same relative precision
        tpr = rng.beta(self.tp + 0.5, self.fn + 0.5, size=b)
        fpr = rng.beta(self.fp + 0.5, self.tn + 0.5, size=b)
        ptpr = pfpr = None
        if self.has_probabilistic:
            mp, mn = np.clip(self.mean_p_pos, EPS, 1 - EPS), np.clip(self.mean_p_neg, EPS, 1 - EPS)
            ptpr = rng.beta(mp * self.n_pos + 0.5, (1 - mp) * self.n_pos + 0.5, size=b)
            pfpr = rng.beta(mn * self.n_neg + 0.5, (1 - mn) * self.n_neg + 0.5, size=b)
        return Rates(tpr, fpr, ptpr, pfpr, np.full(b, self.prior))

    def summary(self) -> dict[str, Any]:
        r = self.rates()
        return {"source": self.source, "threshold": self.threshold, "n_pos": self.n_pos, "n_neg": self.n_neg,
                "tpr": r.tpr, "fpr": r.fpr, "mean_p_pos": r.ptpr, "mean_p_neg": r.pfpr, "prior": r.prior}


def available_methods(em: ErrorModel | None) -> list[str]:
    if em is None:
        return ["cc", "pcc"]
    out = ["cc", "pcc", "acc"]
    if em.has_probabilistic:
        out.append("pacc")
    if em.prior is not None:
        out.append("sld")
    return out


# --- estimators on slot totals ---------------------------------------------------------------------------------


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _adjust(raw: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    sep = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        est = (raw - lo) / np.where(sep >= MIN_SEPARATION, sep, np.nan)
    return np.clip(est, 0.0, 1.0)


def sld(counts: np.ndarray, means: np.ndarray, prior: Any, iters: int = 500, tol: float = 1e-7) -> np.ndarray:
    """Saerens-Latinne-Decaestecker EM on binned posteriors. ``counts`` (B, S), ``means`` (S,) or (B, S),
    ``prior`` scalar or (B,): returns the adjusted prevalence per row."""
    c = np.atleast_2d(np.asarray(counts, float))
    m = np.clip(np.broadcast_to(np.asarray(means, float), c.shape), EPS, 1 - EPS)
    n = c.sum(1)
    tr = np.clip(np.broadcast_to(np.asarray(prior, float), n.shape), EPS, 1 - EPS)
    pi = _ratio((c * m).sum(1), n)
    pi = np.where(np.isfinite(pi), pi, tr)
    for _ in range(iters):
        a = (pi / tr)[:, None] * m
        b = ((1 - pi) / (1 - tr))[:, None] * (1 - m)
        new = _ratio((c * (a / (a + b))).sum(1), n)
        new = np.where(np.isfinite(new), new, pi)
        if np.nanmax(np.abs(new - pi), initial=0.0) < tol:
            pi = new
            break
        pi = new
    return np.where(n > 0, np.clip(pi, 0, 1), np.nan)


def estimate(counts: np.ndarray, sums: np.ndarray, method: str, rates: Rates) -> np.ndarray:
    """Prevalence by ``method`` from slot ``counts`` and probability ``sums`` (each (B, S) or (S,))."""
    c = np.atleast_2d(np.asarray(counts, float))
    s = np.atleast_2d(np.asarray(sums, float))
    n = c.sum(1)
    cc = _ratio(c[:, positive_slots()].sum(1), n)
    if method == "cc":
        return cc
    pcc = _ratio(s.sum(1), n)
    if method == "pcc":
        return pcc
    if method == "acc":
        return _adjust(cc, rates.fpr, rates.tpr)
    if method == "pacc":
        if rates.ptpr is None:
            raise MarsadError("PACC needs the mean probability on each class of the validation data")
        return _adjust(pcc, rates.pfpr, rates.ptpr)
    if method == "sld":
        if rates.prior is None:
            raise MarsadError("SLD needs the training prevalence of the classifier")
        means = _ratio(s, c)
        mids = (np.arange(N_SLOTS) // 2 + 0.5) / N_BINS
        means = np.where(np.isfinite(means), means, mids)
        return sld(c, means, rates.prior)
    raise MarsadError(f"unknown quantification method {method!r}; choose one of {', '.join(METHODS)}")


# --- grouped estimates with cluster bootstrap -------------------------------------------------------------------


@dataclass
class GroupStats:
    """Per-cluster slot counts and probability sums for several groups.

    ``counts``/``sums``: sparse (n_clusters, N_SLOTS); ``group``: the group index of each cluster row;
    ``keys``: the group names."""

    keys: list
    group: np.ndarray
    counts: sparse.csr_matrix
    sums: sparse.csr_matrix

    @classmethod
    def from_frame(cls, df: pd.DataFrame, group_col: str, cluster_col: str,
                   slot_col: str = "slot", n_col: str = "n", s_col: str = "s") -> "GroupStats":
        """From long rows (group, cluster, slot, n, s), e.g. the result of a GROUP BY in SQL. Integer cluster keys
        (e.g. ``hash(platform, account_id)`` computed in SQL) are much faster than strings at scale."""
        if df.empty:
            return cls([], np.zeros(0, int), sparse.csr_matrix((0, N_SLOTS)), sparse.csr_matrix((0, N_SLOTS)))
        g = df[group_col]
        gcodes, guniq = pd.factorize(g.astype(object).where(g.notna(), None), use_na_sentinel=False)
        c = df[cluster_col]
        ccodes, cuniq = pd.factorize(c if pd.api.types.is_integer_dtype(c) else c.astype(str))
        rows, _ = pd.factorize(gcodes.astype(np.int64) * (len(cuniq) + 1) + ccodes)
        n_rows = int(rows.max()) + 1
        slots = df[slot_col].to_numpy(dtype=int)
        counts = sparse.csr_matrix((df[n_col].to_numpy(float), (rows, slots)), shape=(n_rows, N_SLOTS))
        sums = sparse.csr_matrix((df[s_col].to_numpy(float), (rows, slots)), shape=(n_rows, N_SLOTS))
        group = np.zeros(n_rows, dtype=int)
        group[rows] = gcodes
        return cls(list(guniq), group, counts, sums)

    @classmethod
    def from_scores(cls, scores: Sequence[float], groups: Sequence[Any] | None = None,
                    clusters: Sequence[Any] | None = None, threshold: float = 0.5) -> "GroupStats":
        p = np.clip(np.asarray(scores, float), 0, 1)
        df = pd.DataFrame({
            "g": np.zeros(len(p), int) if groups is None else np.asarray(groups, object),
            "c": np.arange(len(p)) if clusters is None else np.asarray(clusters, object),
            "slot": slot_of(p, threshold), "n": 1.0, "s": p,
        })
        df = df.groupby(["g", "c", "slot"], as_index=False, sort=False).agg(n=("n", "sum"), s=("s", "sum"))
        return cls.from_frame(df, "g", "c")


def _replicate_totals(c: sparse.csr_matrix, s: sparse.csr_matrix, b: int, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``b`` cluster-bootstrap replicates of the slot totals of one group: (b, S) counts and sums."""
    m = c.shape[0]
    if m <= EXACT_MAX_CLUSTERS:
        w = rng.poisson(1.0, size=(b, m)).astype(float)
        return w @ c.toarray(), w @ s.toarray()
    # Poisson bootstrap totals have mean X'1 and covariance X'X exactly; with many clusters they are normal
    x = sparse.hstack([c, s]).tocsc()
    mu = np.asarray(x.sum(0)).ravel()
    used = np.flatnonzero(mu > 0)
    xu = x[:, used]
    cov = np.asarray((xu.T @ xu).todense())
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    draws = np.zeros((b, len(mu)))
    draws[:, used] = mu[used] + rng.standard_normal((b, len(used))) @ root.T
    k = c.shape[1]
    cnt = np.clip(draws[:, :k], 0, None)
    sm = np.minimum(np.clip(draws[:, k:], 0, None), cnt)  # a probability sum never exceeds its count
    return cnt, sm


@dataclass
class Estimates:
    table: pd.DataFrame  # one row per group
    replicates: dict[str, np.ndarray]  # method -> (B, G)


def estimate_groups(stats: GroupStats, error_model: ErrorModel | None, methods: Iterable[str] | None = None,
                    b: int = 500, seed: int = 0, level: float = 0.95, progress=None) -> Estimates:
    """Point estimates and percentile bootstrap intervals per group for each method.

    The error-rate draw of replicate ``i`` is shared by all groups (it is one classifier), the data resamples are
    independent per group. Returns the table and the replicate matrices (for ranks)."""
    methods = list(methods or available_methods(error_model))
    for mth in methods:
        if mth not in METHODS:
            raise MarsadError(f"unknown quantification method {mth!r}; choose one of {', '.join(METHODS)}")
        if mth not in available_methods(error_model):
            raise MarsadError(f"method {mth!r} needs validated classifier error rates, which are not available",
                              hint="run `marsad stance train` (its model card holds them) or use --method cc/pcc")
    if b < 50:
        raise MarsadError("use at least 50 bootstrap replicates")
    rng = np.random.default_rng(seed)
    point_rates = error_model.rates() if error_model else Rates(None, None, None, None, None)
    draw_rates = error_model.draw(rng, b) if error_model else point_rates
    g_n = len(stats.keys)
    reps = {mth: np.full((b, g_n), np.nan) for mth in methods}
    with threadpool_limits(1):  # small matrices: BLAS threads only contend on a shared machine
        rows = _estimate_each(stats, methods, b, rng, point_rates, draw_rates, reps, level, progress)
    return Estimates(pd.DataFrame(rows), reps)


def _estimate_each(stats, methods, b, rng, point_rates, draw_rates, reps, level, progress) -> list[dict]:
    rows = []
    alpha = (1 - level) / 2
    order = np.argsort(stats.group, kind="stable")
    bounds = np.searchsorted(stats.group[order], np.arange(len(stats.keys) + 1))
    for gi, key in enumerate(stats.keys):
        idx = order[bounds[gi]:bounds[gi + 1]]
        c, s = stats.counts[idx], stats.sums[idx]
        tot_c, tot_s = np.asarray(c.sum(0)).ravel(), np.asarray(s.sum(0)).ravel()
        rc, rs = _replicate_totals(c, s, b, rng)
        row = {"key": key, "n_items": float(tot_c.sum()), "n_clusters": len(idx)}
        for mth in methods:
            row[mth] = float(estimate(tot_c, tot_s, mth, point_rates)[0])
            reps[mth][:, gi] = estimate(rc, rs, mth, draw_rates)
            with np.errstate(invalid="ignore"):
                lo, hi = np.nanquantile(reps[mth][:, gi], [alpha, 1 - alpha]) if np.isfinite(reps[mth][:, gi]).any() \
                    else (np.nan, np.nan)
            row[f"{mth}_low"], row[f"{mth}_high"] = float(lo), float(hi)
        rows.append(row)
        if progress:
            progress(gi + 1)
    return rows


def quantify(scores: Sequence[float], error_model: ErrorModel | None, method: str = "pacc", b: int = 500,
             seed: int = 0, clusters: Sequence[Any] | None = None, level: float = 0.95) -> dict[str, float]:
    """The prevalence of positives among ``scores`` with a bootstrap interval (one group)."""
    thr = error_model.threshold if error_model else 0.5
    est = estimate_groups(GroupStats.from_scores(scores, clusters=clusters, threshold=thr), error_model, [method],
                          b=b, seed=seed, level=level)
    if est.table.empty:
        raise MarsadError("no scores to quantify")
    r = est.table.iloc[0]
    return {"estimate": r[method], "ci_low": r[f"{method}_low"], "ci_high": r[f"{method}_high"],
            "n": int(r["n_items"]), "method": method}


def rank_intervals(reps: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank 1 = highest share. ``reps`` (B, G): returns (median rank, low, high) per group from replicate ranks."""
    if reps.size == 0:
        z = np.zeros(reps.shape[1] if reps.ndim == 2 else 0)
        return z, z, z
    filled = np.where(np.isfinite(reps), reps, -np.inf)
    ranks = (-filled).argsort(1, kind="stable").argsort(1) + 1
    alpha = (1 - level) / 2
    lo = np.floor(np.quantile(ranks, alpha, axis=0, method="lower"))
    hi = np.ceil(np.quantile(ranks, 1 - alpha, axis=0, method="higher"))
    return np.median(ranks, axis=0), lo.astype(int), hi.astype(int)
