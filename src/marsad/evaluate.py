"""Score a workspace's results against the ground truth of a simulated world (``DIR/truth``).

>>> from marsad.evaluate import score_truth
>>> score_truth(ws, "out/sim").rows       # one row per analysis and target: precision, recall, F1, support

Only analyses that have evidence in the workspace are scored. Accounts count when they wrote at least one post in
the data (truth ``n_posts > 0``). Definitions (each row's ``note`` repeats the one that applies):

- stance: account label ``supporter`` vs truth ``is_supporter``; ``undetermined`` counts as a miss for recall and
  is reported as coverage. Also the false-positive rate among hard negatives, and post level
  (``stance_posts.p_support >= 0.5`` vs ``supportive``) when that table exists.
- geo: label vs the real country. Precision over accounts given a country; recall over accounts whose profile
  location or geotags name their country (what can be found), and over all accounts.
- device: label vs the primary client family: per family and accuracy.
- role: label vs role (node, amplifier, shoutout) per class, macro-F1 over the three.
- family / family-link: pairs of accounts of the same person (families with more than one account).
- discover: accounts labelled as found (``candidate``, ``supporter``...) vs true supporters, seeds left out of
  both sides; precision@k of the ranking by score with k = number of true non-seed supporters.
- coord: account-level (in a coordination cluster vs in a coordinated group) and pairwise (same cluster vs same
  group).
- community: how pure communities are in supporters (accounts in supporter-majority communities).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np
import pandas as pd

from .errors import MarsadError

if TYPE_CHECKING:
    from .workspace import Workspace

DISCOVERED = ("supporter", "candidate", "member", "in-group", "discovered")
COLUMNS = ["analysis", "target", "precision", "recall", "f1", "support", "predicted", "note"]


@dataclass
class Scores:
    rows: pd.DataFrame
    missing: list[str] = field(default_factory=list)  # analyses with no evidence in the workspace

    def get(self, analysis: str, target: str, metric: str = "f1") -> float | None:
        m = self.rows[(self.rows.analysis == analysis) & (self.rows.target == target)]
        return None if m.empty else m.iloc[0][metric]


def prf(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
    return p, r, f


def _row(analysis: str, target: str, tp: int, fp: int, fn: int, note: str = "") -> dict:
    p, r, f = prf(tp, fp, fn)
    return dict(analysis=analysis, target=target, precision=p, recall=r, f1=f, support=tp + fn, predicted=tp + fp,
                note=note)


def load_truth(truth: str | Path) -> tuple[pd.DataFrame, Path]:
    d = Path(truth)
    if (d / "truth").is_dir():
        d = d / "truth"
    f = d / "accounts.csv"
    if not f.exists():
        raise MarsadError(f"no ground truth at {d}", hint="give the folder `marsad simulate --out` wrote (or its truth/)")
    acc = pd.read_csv(f, dtype=str, keep_default_na=False)
    for c in ("is_supporter", "is_hard_negative", "hyperactive", "geotagger"):
        acc[c] = acc[c] == "true"
    acc["n_posts"] = acc["n_posts"].astype(int)
    return acc, d


def _evidence(ws: "Workspace", signal: str, subject_type: str = "account") -> pd.DataFrame:
    return ws.df("SELECT subject_id, label, score FROM evidence WHERE signal = ? AND subject_type = ?",
                 [signal, subject_type])


def _pairs(groups: Iterable[list[str]]) -> set[tuple[str, str]]:
    out = set()
    for g in groups:
        for a, b in combinations(sorted(set(g)), 2):
            out.add((a, b))
    return out


def _pair_rows(analysis: str, target: str, pred: set, true: set, note: str) -> dict:
    tp = len(pred & true)
    return _row(analysis, target, tp, len(pred - true), len(true - pred), note)


def score_truth(ws: "Workspace", truth: str | Path) -> Scores:
    acc, tdir = load_truth(truth)
    posted = acc[acc.n_posts > 0].set_index("account_id")
    rows: list[dict] = []
    missing: list[str] = []
    present = set(ws.df("SELECT DISTINCT signal FROM evidence")["signal"])

    def need(sig: str) -> bool:
        if sig in present:
            return True
        missing.append(sig)
        return False

    # stance
    if need("stance"):
        ev = _evidence(ws, "stance").set_index("subject_id")
        lab = ev["label"].reindex(posted.index)
        pred = lab == "supporter"
        truth_s = posted["is_supporter"]
        rows.append(_row("stance", "supporter (accounts)", int((pred & truth_s).sum()), int((pred & ~truth_s).sum()),
                         int((~pred & truth_s).sum()),
                         f"coverage {float(lab.isin(['supporter', 'non-supporter']).mean()):.1%} decided"))
        hn = posted["is_hard_negative"]
        if hn.any():
            fpr = float((pred & hn).sum() / hn.sum())
            rows.append(dict(analysis="stance", target="hard negatives labelled supporter", precision=None,
                             recall=None, f1=None, support=int(hn.sum()), predicted=int((pred & hn).sum()),
                             note=f"false-positive rate {fpr:.1%}"))
        if ws.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'stance_posts'").n[0]:
            posts = pd.read_csv(tdir / "posts.csv", dtype=str, usecols=["post_id", "supportive"],
                                keep_default_na=False)
            sp = ws.df("SELECT post_id, p_support FROM stance_posts")
            m = posts.merge(sp, on="post_id")
            if len(m):
                t = m.supportive == "true"
                p = m.p_support >= 0.5
                rows.append(_row("stance", "supportive (posts)", int((p & t).sum()), int((p & ~t).sum()),
                                 int((~p & t).sum()), f"{len(m):,} posts scored"))

    # geo
    if need("geo"):
        ev = _evidence(ws, "geo").set_index("subject_id")
        lab = ev["label"].reindex(posted.index)
        given = lab.notna() & (lab != "")
        correct = given & (lab == posted["country"])
        findable = (posted["location_country"] != "") | posted["geotagger"]
        rows.append(_row("geo", "country (findable)", int(correct.sum()), int((given & ~correct).sum()),
                         int((findable & ~correct).sum()),
                         "recall over accounts whose location string or geotags name their country"))
        rows.append(_row("geo", "country (all accounts)", int(correct.sum()), int((given & ~correct).sum()),
                         int((~correct).sum()), "recall over every account that posted"))

    # device
    if need("device"):
        ev = _evidence(ws, "device").set_index("subject_id")
        lab = ev["label"].reindex(posted.index).fillna("")
        tru = posted["device_family"]
        for fam in sorted(set(tru) | set(lab[lab != ""])):
            p, t = lab == fam, tru == fam
            rows.append(_row("device", fam, int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())))
        rows.append(dict(analysis="device", target="accuracy", precision=None, recall=None,
                         f1=float((lab == tru).mean()), support=len(tru), predicted=int((lab != "").sum()),
                         note="share of accounts whose primary client family is right"))

    # role (truth roles of supporters; non-supporters are "other")
    if need("role"):
        ev = _evidence(ws, "role").set_index("subject_id")
        lab = ev["label"].reindex(posted.index).fillna("")
        tru = posted["role"]
        f1s = []
        for r in ("node", "amplifier", "shoutout"):
            p, t = lab == r, tru == r
            row = _row("role", r, int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum()))
            rows.append(row)
            f1s.append(row["f1"] or 0.0)
        rows.append(dict(analysis="role", target="macro-F1", precision=None, recall=None, f1=float(np.mean(f1s)),
                         support=int(tru.isin(["node", "amplifier", "shoutout"]).sum()),
                         predicted=int(lab.isin(["node", "amplifier", "shoutout"]).sum()),
                         note="mean F1 of node, amplifier, shoutout"))

    # re-created account families
    fam_truth = acc[acc.n_posts > 0].groupby("family_id")["account_id"].apply(list)
    true_pairs = _pairs(g for g in fam_truth if len(g) > 1)
    if "family-link" in present:
        ev = _evidence(ws, "family-link", "pair")
        pred = {tuple(sorted(s.split("|", 1))) for s in ev.subject_id if "|" in s}
        rows.append(_pair_rows("family-link", "same person (pairs)", pred, true_pairs,
                               "linked pairs vs pairs of accounts of one person"))
    else:
        missing.append("family-link")
    if need("family"):
        ev = _evidence(ws, "family")
        ev = ev[ev.label.notna() & (ev.label != "")]
        pred = _pairs(ev.groupby("label")["subject_id"].apply(list))
        rows.append(_pair_rows("family", "same family (pairs)", pred, true_pairs,
                               "pairs sharing a family label vs pairs of accounts of one person"))

    # discovery (seeds excluded from both sides: what matters is finding the rest)
    if need("discover"):
        ev = _evidence(ws, "discover").set_index("subject_id")
        lab = ev["label"].reindex(posted.index).fillna("").str.lower()
        not_seed = lab != "seed"
        truth_s = posted["is_supporter"] & not_seed
        pred = lab.isin(DISCOVERED) & not_seed
        if pred.any():
            rows.append(_row("discover", "supporters found (non-seeds)", int((pred & truth_s).sum()),
                             int((pred & ~truth_s).sum()), int((~pred & truth_s).sum()),
                             f"labels {', '.join(sorted(set(lab[pred])))} vs true supporters; "
                             f"{int((~not_seed).sum())} seeds left out"))
        sc = ev["score"].reindex(posted.index)[not_seed].fillna(-np.inf)
        k = int(truth_s.sum())
        top = set(sc.sort_values(ascending=False, kind="stable").index[:k])
        hit = len(top & set(truth_s[truth_s].index))
        rows.append(dict(analysis="discover", target=f"precision@{k} (non-seeds)", precision=hit / k if k else None,
                         recall=hit / k if k else None, f1=None, support=k, predicted=k,
                         note="top-k by score, k = number of true non-seed supporters (R-precision)"))

    # coordination
    if need("coord"):
        ev = _evidence(ws, "coord").set_index("subject_id")
        lab = ev["label"].reindex(posted.index)
        pred = lab.notna() & (lab != "")
        tru = posted["coord_group"] != ""
        rows.append(_row("coord", "coordinated accounts", int((pred & tru).sum()), int((pred & ~tru).sum()),
                         int((~pred & tru).sum()), "in a coordination cluster vs member of a coordinated group"))
        pp = _pairs(list(g.index) for _, g in lab[pred].groupby(lab[pred]))
        tp_ = _pairs(list(g.index) for _, g in posted[tru].groupby("coord_group"))
        rows.append(_pair_rows("coord", "same group (pairs)", pp, tp_, "pairs in one cluster vs pairs in one group"))

    # communities
    if need("community"):
        ev = _evidence(ws, "community").set_index("subject_id")
        lab = ev["label"].reindex(posted.index)
        m = lab.notna()
        if m.any():
            df = pd.DataFrame({"c": lab[m], "s": posted.loc[m, "is_supporter"]})
            share = df.groupby("c")["s"].transform("mean")
            pred = share > 0.5
            rows.append(_row("community", "supporters in supporter-majority communities",
                             int((pred & df.s).sum()), int((pred & ~df.s).sum()), int((~pred & df.s).sum()),
                             f"{df.c.nunique()} communities"))
    return Scores(pd.DataFrame(rows, columns=COLUMNS), missing)


VALIDATION_SAMPLE = 600


def sample_error_model(ws: "Workspace", truth: str | Path, n: int = VALIDATION_SAMPLE, seed: int = 0):
    """The stance model's error rates on a random labelled sample of *this* population's posts.

    This is what an analyst does on real data: hand-label a few hundred posts drawn at random from the collection
    and give the census their labels (``marsad census --error-model``), because error rates measured elsewhere do
    not transfer. In a simulated world the labels come from the truth files.
    """
    from .census.quantify import ErrorModel

    posts = pd.read_csv(Path(truth) / "truth" / "posts.csv" if (Path(truth) / "truth").is_dir()
                        else Path(truth) / "posts.csv", usecols=["post_id", "supportive"], dtype={"post_id": str})
    try:
        scored = ws.df("SELECT post_id, p_support FROM stance_posts WHERE p_support IS NOT NULL")
    except Exception:  # noqa: BLE001 - no stance run: nothing to correct with
        raise MarsadError("no stance scores in the workspace; run `marsad stance run` first") from None
    both = scored.merge(posts, on="post_id")
    if len(both) < 50:
        raise MarsadError(f"only {len(both)} scored posts have labels; need at least 50 for error rates")
    sample = both.sample(n=min(n, len(both)), random_state=seed)
    return ErrorModel.from_validation(
        sample["p_support"].to_numpy(), sample["supportive"].astype(bool).to_numpy(),
        source=f"a labelled random sample of {len(sample)} of this population's posts (simulated truth)",
    )
