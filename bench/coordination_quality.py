"""Quality figures for coordination clusters.

1. Real data: the IRA subset (../shared/data/ira-troll-tweets-538-subset). What do the clusters correspond to in
   Linvill & Warren's account categories (HashtagGamer, Fearmonger, NonEnglish, Unknown...)? Prints the
   composition of the largest clusters, the purity (share of clustered accounts in their cluster's majority
   category), its baseline (every account in one cluster), and the NMI between cluster and category.
2. Simulated worlds (``marsad simulate``): precision/recall of planted coordinated accounts and of same-group
   pairs, per seed.

    nice .venv/bin/python bench/coordination_quality.py --ira --sims 2000x30:1,2000x30:2
"""
from __future__ import annotations

import argparse
import itertools
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
IRA = REPO.parent / "shared" / "data" / "ira-troll-tweets-538-subset" / "ira_tweets_selected.csv.gz"


def purity_nmi(labels: pd.Series, clusters: pd.Series) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    tab = pd.crosstab(clusters, labels)
    purity = tab.max(axis=1).sum() / tab.values.sum()
    baseline = labels.value_counts().iloc[0] / len(labels)
    return {"accounts": int(len(labels)), "clusters": int(clusters.nunique()), "purity": round(float(purity), 3),
            "purity_baseline_one_cluster": round(float(baseline), 3),
            "nmi": round(float(normalized_mutual_info_score(labels, clusters)), 3),
            "ari": round(float(adjusted_rand_score(labels, clusters)), 3)}


def ira(workdir: Path) -> dict:
    from marsad import Workspace
    from marsad.coordination import build
    from marsad.coordination.clusters import compute

    path = workdir / "ira.duckdb"
    with Workspace(path) as ws:
        if not ws.con.execute("SELECT count(*) FROM posts").fetchone()[0]:
            ws.ingest([IRA])
        t0 = time.perf_counter()
        res = build(ws)
        members, clusters = compute(ws)
        seconds = time.perf_counter() - t0
        cats = ws.df("""SELECT account_id, any_value(json_extract_string(extra, '$.account_category')) AS category
                        FROM posts WHERE NOT embedded GROUP BY account_id""").set_index("account_id").category
    members["category"] = members.account_id.map(cats).fillna("?")
    all_cats = cats.value_counts()
    out = {"build": res.table().to_dict("records"), "seconds": round(seconds, 1),
           "population": all_cats.to_dict(), **purity_nmi(members.category, members.cluster)}
    big = members.groupby("cluster").filter(lambda g: len(g) >= 3)
    if big.cluster.nunique() > 1:
        out["clusters_of_3_plus"] = purity_nmi(big.category, big.cluster)
    comp = pd.crosstab(members.cluster, members.category)
    comp["size"] = comp.sum(axis=1)
    comp = comp.sort_values("size", ascending=False)
    beh = clusters.set_index("cluster").behaviours
    print("IRA clusters by account_category (largest first):")
    print(comp.head(15).assign(behaviours=beh.reindex(comp.head(15).index).str.slice(0, 60)).to_string())
    print(f"population of the subset: {all_cats.to_dict()}")
    return out


def sims(spec: str, workdir: Path) -> list[dict]:
    from marsad import Workspace
    from marsad.coordination import build
    from marsad.coordination.clusters import compute
    from marsad.simulate import SimParams, simulate

    rows = []
    for item in spec.split(","):
        size, seed = item.split(":")
        accounts, days = (int(x) for x in size.split("x"))
        out = workdir / f"sim_{accounts}x{days}_{seed}"
        res = simulate(SimParams(accounts=accounts, days=days, seed=int(seed)), out / "sim", force=True)
        ws_path = out / "w.duckdb"
        ws_path.unlink(missing_ok=True)
        with Workspace(ws_path) as ws:
            ws.ingest(res.files)
            n_posts = ws.con.execute("SELECT count(*) FROM posts WHERE NOT embedded").fetchone()[0]
            t0 = time.perf_counter()
            build(ws)
            members, _ = compute(ws)
            seconds = time.perf_counter() - t0
        truth = pd.read_csv(res.truth_dir / "accounts.csv", dtype=str, keep_default_na=False)
        truth = truth[truth.n_posts.astype(int) > 0].set_index("account_id")
        planted = set(truth.index[truth.coord_group != ""])
        flagged = set(members.account_id)
        tp = len(planted & flagged)
        pairs_true = {p for _, g in truth[truth.coord_group != ""].groupby("coord_group")
                      for p in itertools.combinations(sorted(g.index), 2)}
        pairs_pred = {p for _, g in members.groupby("cluster") for p in itertools.combinations(sorted(g.account_id), 2)}
        row = {"world": item, "posts": int(n_posts), "planted_accounts": len(planted), "flagged": len(flagged),
               "precision": round(tp / max(len(flagged), 1), 3), "recall": round(tp / max(len(planted), 1), 3),
               "pair_precision": round(len(pairs_true & pairs_pred) / max(len(pairs_pred), 1), 3),
               "pair_recall": round(len(pairs_true & pairs_pred) / max(len(pairs_true), 1), 3),
               "seconds": round(seconds, 1)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description="coordination quality: IRA categories and simulated worlds")
    ap.add_argument("--ira", action="store_true")
    ap.add_argument("--sims", default="", help="comma list of ACCOUNTSxDAYS:SEED, e.g. 2000x30:1")
    ap.add_argument("--workdir", default=tempfile.gettempdir() + "/marsad-coord-quality")
    a = ap.parse_args()
    workdir = Path(a.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    out = REPO / "bench" / "out" / "coordination_quality.json"
    result = json.loads(out.read_text()) if out.exists() else {}  # keep the parts not rerun
    if a.ira:
        result["ira"] = ira(workdir)
        print(json.dumps({k: v for k, v in result["ira"].items() if k != "build"}, indent=1))
    if a.sims:
        result["sims"] = sims(a.sims, workdir)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
