"""Score the network analyses against simulated ground truth: roles (macro-F1), discovery from 10% of supporters
as seeds (recall of the rest, precision), account-family links (pairwise precision/recall).

    .venv/bin/python bench/network_eval.py --accounts 2000 --seed 1 [--seed 2 ...] [--workdir /tmp/neteval]

Each (size, seed) world is simulated, ingested and analysed in WORKDIR/a{N}-s{S}/ (reused when present).
Prints one block of figures per world and a summary line.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import classification_report, f1_score

from marsad import Workspace
from marsad.network.discover import DiscoverSignal
from marsad.network.families import FamilySignal
from marsad.network.graph import build_edges
from marsad.network.roles import ROLES, RoleSignal


def world(workdir: Path, accounts: int, seed: int, days: int) -> tuple[Workspace, Path]:
    from marsad.simulate import SimParams, simulate

    d = workdir / f"a{accounts}-s{seed}-d{days}"
    wsp = d / "ws.duckdb"
    if not (d / "truth" / "accounts.csv").exists() or not wsp.exists():
        simulate(SimParams(accounts=accounts, days=days, seed=seed), d, force=True)
        wsp.unlink(missing_ok=True)
        ws = Workspace(wsp)
        ws.ingest(sorted(d.glob("tweets-r*.jsonl")))
        for f in d.glob("tweets-r*.jsonl"):
            f.unlink()  # keep the disk small; the workspace holds everything
        return ws, d
    return Workspace(wsp), d


def truth(d: Path) -> pd.DataFrame:
    t = pd.read_csv(d / "truth" / "accounts.csv", dtype={"account_id": str, "prev_account_id": str})
    return t


def eval_roles(ws: Workspace, t: pd.DataFrame) -> dict:
    rows = RoleSignal(population="all").run(ws)
    m = rows.merge(t, left_on="subject_id", right_on="account_id")
    sup = m[m["is_supporter"]]
    f1 = f1_score(sup["role"], sup["label"], labels=list(ROLES), average="macro", zero_division=0)
    rep = classification_report(sup["role"], sup["label"], labels=list(ROLES), zero_division=0, output_dict=True)
    conf = pd.crosstab(sup["role"], sup["label"])
    return {"role_macro_f1_supporters": round(f1, 4), "per_role_f1": {r: round(rep[r]["f1-score"], 3) for r in ROLES},
            "confusion": conf}


def eval_discover(ws: Workspace, t: pd.DataFrame, seed: int, frac: float = 0.1) -> dict:
    present = set(ws.df("SELECT DISTINCT account_id FROM posts WHERE NOT embedded")["account_id"])
    sup = t[t["is_supporter"] & t["account_id"].isin(present)]
    rng = random.Random(seed)
    seeds = sup.sample(n=max(1, int(round(frac * len(sup)))), random_state=rng.randrange(10**6))
    sig = DiscoverSignal().with_seed_frame(pd.DataFrame({"platform": "twitter", "account_id": seeds["account_id"]}))
    t0 = time.perf_counter()
    _, rows = sig.run_and_write(ws)
    secs = time.perf_counter() - t0
    cand = set(rows.loc[rows["label"] == "candidate", "subject_id"])
    rest = set(sup["account_id"]) - set(seeds["account_id"])
    tp = len(cand & rest)
    hn = set(t.loc[t["is_hard_negative"], "account_id"])
    return {"seeds": len(seeds), "supporters_to_find": len(rest), "candidates": len(cand),
            "discover_recall": round(tp / max(1, len(rest)), 4), "discover_precision": round(tp / max(1, len(cand)), 4),
            "hard_negatives_in_candidates": len(cand & hn), "flagged": int((rows["label"] == "flagged").sum()),
            "rounds": sig.rounds, "coverage": round(sig.coverage, 3), "seconds": round(secs, 2)}


def pairs_of(groups: pd.Series) -> set:
    out = set()
    for _, ids in groups.items():
        ids = sorted(ids)
        out |= set(itertools.combinations(ids, 2))
    return out


def eval_families(ws: Workspace, t: pd.DataFrame) -> dict:
    sig = FamilySignal()
    t0 = time.perf_counter()
    sig.run_and_write(ws)
    secs = time.perf_counter() - t0
    present = set(ws.df("SELECT account_id FROM accounts UNION SELECT account_id FROM posts")["account_id"])
    tt = t[t["account_id"].isin(present)]
    true_pairs = pairs_of(tt.groupby("family_id")["account_id"].apply(list))
    mem = ws.df("SELECT family, account_id FROM family_members")
    pred_pairs = pairs_of(mem.groupby("family")["account_id"].apply(list))
    tp = len(true_pairs & pred_pairs)
    fp = sorted(pred_pairs - true_pairs)[:5]
    fn = sorted(true_pairs - pred_pairs)[:5]
    h = dict(zip(t["account_id"], t["handle"]))
    return {"family_true_pairs": len(true_pairs), "family_pred_pairs": len(pred_pairs),
            "family_precision": round(tp / max(1, len(pred_pairs)), 4),
            "family_recall": round(tp / max(1, len(true_pairs)), 4), "candidate_pairs": sig.stats["candidate_pairs"],
            "fp_examples": [(h.get(a), h.get(b)) for a, b in fp], "fn_examples": [(h.get(a), h.get(b)) for a, b in fn],
            "seconds": round(secs, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, action="append")
    ap.add_argument("--seed", type=int, action="append")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--workdir", default="/tmp/neteval")
    ap.add_argument("--only", choices=["roles", "discover", "families"], action="append")
    a = ap.parse_args()
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    summary = []
    for n in a.accounts or [2000]:
        for s in a.seed or [1]:
            ws, d = world(workdir, n, s, a.days)
            t = truth(d)
            build_edges(ws)
            res = {"accounts": n, "seed": s}
            if not a.only or "roles" in a.only:
                r = eval_roles(ws, t)
                print(r.pop("confusion"))
                res.update(r)
            if not a.only or "discover" in a.only:
                res.update(eval_discover(ws, t, s))
            if not a.only or "discover" in a.only:
                # end to end: roles over every account, the supporter network taken from the discovery above
                rows = RoleSignal(population="discover").run(ws)
                m = rows.merge(t, left_on="subject_id", right_on="account_id")
                res["role_macro_f1_all_after_discovery"] = round(f1_score(
                    m["role"], m["label"], labels=list(ROLES), average="macro", zero_division=0), 4)
            if not a.only or "families" in a.only:
                res.update(eval_families(ws, t))
            print(json.dumps(res, ensure_ascii=False, indent=1, default=str), flush=True)
            summary.append(res)
            ws.close()
    keys = ["role_macro_f1_supporters", "role_macro_f1_all_after_discovery", "discover_recall", "discover_precision", "family_precision", "family_recall"]
    df = pd.DataFrame(summary)
    print(df[["accounts", "seed"] + [k for k in keys if k in df]].to_string(index=False))


if __name__ == "__main__":
    main()
