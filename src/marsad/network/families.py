"""Re-created accounts ("account families"): accounts that are likely the same user coming back after a
suspension, with serial variants of the same handle (Vidino & Hughes; Berger & Perez).

Candidates (never all pairs): accounts sharing a *blocking key* - handle stem (digits and underscores removed),
consonant skeleton of the handle (so ``abu_muhammad`` / ``abumohammed`` / ``أبو محمد`` meet), cleaned display
name, avatar (URL without re-upload decorations) - in blocks of at most ``max_block`` accounts, plus pairs that a
shout-out names as old and new account. Each candidate pair is scored on:

- ``handle_sim``: similarity of handle stems (rapidfuzz ratio, 1 when the skeletons are equal)
- ``name_sim``, ``bio_sim``: token-set similarity of cleaned display names / bios. They enter the score as
  ``c = 2*sim-1``: similar texts (c > 0) count for a link with weight ``name_sim``/``bio_sim``, different ones
  (c < 0) against it with the smaller ``name_differs``/``bio_differs`` (people do rewrite their bio when they
  return); missing texts count neither way
- ``avatar``: 1 same image file name (re-uploads get a new URL folder but keep the name), 0.7 near-identical
  (name plus a small decoration), 0 otherwise; names held by more than ``rare_avatar`` accounts ("photo", a stock
  flag) do not count. With image files, a perceptual hash could replace the name - not implemented.
- ``partner_jaccard``: overlap of the two accounts' interaction partners
- ``succession``: the newer account appears after the older one goes silent (gap in days); accounts active side by
  side for more than ``overlap_days`` count against the link
- ``shoutout``: a shout-out says the new account replaces the old one ("is back (was @old)", "حسابه السابق @old")
  (strong), or names exactly both (weak; weight 0 by default: list shout-outs name unrelated pairs)

Score = logistic(sum of documented weights x features) (``WEIGHTS``); pairs at or above ``threshold`` are link
candidates; re-creation is serial, so each account keeps at most one predecessor and one successor (greedy by
score). Families are the chains of links. Evidence: ``family-link`` (subject_type pair, "A|B", score, features,
refs = the shout-out posts and both accounts), ``family`` (per account: family id, confidence = mean link score).
Tables ``family_links`` and ``family_members``.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ..signals.base import Signal, ref
from . import shoutouts
from .base import table_exists
from .names import avatar_file, avatar_keys, avatar_match, clean_name, handle_stem, skeleton

if TYPE_CHECKING:
    from ..workspace import Workspace

#: log-odds weights of the pair features (see module doc); ``bias`` is the prior against a link
WEIGHTS = {"bias": -7.0, "handle_sim": 4.0, "skeleton_equal": 1.0, "avatar": 3.0, "name_sim": 1.0, "bio_sim": 3.0,
           "name_differs": 1.0, "bio_differs": 1.0, "partner_jaccard": 2.0, "succession": 2.5, "overlap": -6.0,
           "shoutout_strong": 4.0, "shoutout_weak": 0.0}

_OLD_CUE = r"(?:was|formerly|previously|old account|ex|السابق|القديم|سابقا|المعلق)\s*:?\s*\(?\s*@([a-z0-9_]+)"


def account_frame(ws: "Workspace") -> pd.DataFrame:
    """One row per account: latest profile, first/last seen (profile creation, posts, observations)."""
    return ws.df(
        """WITH s AS (SELECT platform, account_id, min(first_observed) AS fo, max(last_observed) AS lo,
                             min(created_at) AS created FROM account_snapshots GROUP BY ALL),
        p AS (SELECT platform, account_id, min(created_at) AS fp, max(created_at) AS lp, count(*) AS posts,
                     arg_max(account_handle, created_at) AS post_handle
              FROM posts WHERE NOT embedded AND account_id IS NOT NULL GROUP BY ALL),
        k AS (SELECT platform, account_id FROM s UNION SELECT platform, account_id FROM p)
        SELECT k.platform, k.account_id, coalesce(a.handle, p.post_handle) AS handle, a.display_name,
               a.description, a.avatar_url, a.followers, coalesce(p.posts, 0) AS posts,
               coalesce(s.created, least(p.fp, s.fo), p.fp, s.fo) AS first_seen,
               greatest(p.lp, s.lo) AS last_seen, p.lp AS last_post
        FROM k LEFT JOIN s USING (platform, account_id) LEFT JOIN p USING (platform, account_id)
               LEFT JOIN accounts a USING (platform, account_id)
        ORDER BY k.platform, k.account_id"""
    )


class FamilySignal(Signal):
    name: ClassVar[str] = "family"
    version: ClassVar[str] = "1"
    subject_type: ClassVar[str] = "account"

    def __init__(self, threshold: float = 0.5, max_block: int = 40, overlap_days: float = 1.0,
                 max_gap_days: float = 14.0, rare_avatar: int = 3, weights: dict[str, float] | None = None):
        self.threshold, self.max_block, self.overlap_days = threshold, max_block, overlap_days
        self.max_gap_days, self.rare_avatar = max_gap_days, rare_avatar
        self.weights = {**WEIGHTS, **(weights or {})}
        self.stats: dict[str, Any] = {}

    # --- candidates -----------------------------------------------------------------------------------------------
    def candidates(self, ws: "Workspace", acc: pd.DataFrame) -> pd.DataFrame:
        keys = []
        stems, skels, names, avs = [], [], [], []
        for i, (h, n, av) in enumerate(zip(acc["handle"].fillna(""), acc["display_name"].fillna(""),
                                           acc["avatar_url"].fillna(""))):
            st, sk, cn = handle_stem(h), skeleton(h), clean_name(n)
            stems.append(st)
            skels.append(sk)
            names.append(cn)
            avs.append(avatar_file(av))
            if len(st) >= 3:
                keys.append((i, "stem", st))
            if len(sk) >= 3:
                keys.append((i, "skel", sk))
            if len(cn) >= 4:
                keys.append((i, "name", cn.replace(" ", "")))
            for ak in avatar_keys(av):
                keys.append((i, "avatar", ak))
        self._acc_feats = {"stems": stems, "skels": skels, "names": names, "avs": avs}
        kdf = pd.DataFrame(keys, columns=["i", "kt", "k"])
        kdf["platform"] = acc["platform"].to_numpy()[kdf["i"].to_numpy()] if len(kdf) else []
        ws.con.register("_fk", kdf)
        pairs = ws.df(
            f"""WITH b AS (SELECT platform, kt, k, count(*) AS n FROM _fk GROUP BY ALL),
            ok AS (SELECT x.* FROM _fk x JOIN b USING (platform, kt, k) WHERE b.n BETWEEN 2 AND {int(self.max_block)})
            SELECT DISTINCT a.i AS i, c.i AS j FROM ok a JOIN ok c
              ON a.platform = c.platform AND a.kt = c.kt AND a.k = c.k AND a.i < c.i"""
        )
        self.stats["oversized_blocks"] = int(ws.con.execute(
            f"SELECT count(*) FROM (SELECT platform, kt, k FROM _fk GROUP BY ALL HAVING count(*) > {int(self.max_block)})"
        ).fetchone()[0])
        ws.con.unregister("_fk")
        files = pd.Series(avs)
        self.stats["avatar_counts"] = files[files != ""].value_counts().to_dict()
        return pairs

    # --- features -------------------------------------------------------------------------------------------------
    def _shoutout_pairs(self, ws: "Workspace", idx: pd.Series) -> pd.DataFrame:
        """(platform, a, b, post_id, strength): a shout-out naming b as the old account of a (strong) or naming
        exactly both (weak)."""
        shoutouts.ensure(ws)
        df = ws.df(
            f"""WITH s AS (SELECT * FROM shoutout_posts),
            old AS (
              SELECT p.platform, p.post_id, lower(o.h) AS old_h FROM posts p
              JOIN (SELECT DISTINCT platform, post_id FROM s) USING (platform, post_id),
                   unnest(regexp_extract_all(lower(p.text), '{_OLD_CUE}', 1)) AS o(h)),
            strong AS (
              SELECT s.platform, s.promoted_account_id AS a, x.promoted_account_id AS b, s.post_id, 'strong' AS kind
              FROM s JOIN old o ON o.platform = s.platform AND o.post_id = s.post_id AND s.promoted_handle <> o.old_h
              JOIN s x ON x.platform = s.platform AND x.post_id = s.post_id AND x.promoted_handle = o.old_h),
            weak AS (
              SELECT s.platform, s.promoted_account_id AS a, x.promoted_account_id AS b, s.post_id, 'weak'
              FROM s JOIN s x ON x.platform = s.platform AND x.post_id = s.post_id
                   AND s.promoted_account_id < x.promoted_account_id
              WHERE s.n_promoted = 2)
            SELECT * FROM strong UNION ALL SELECT * FROM weak"""
        )
        df["i"] = idx.reindex(pd.MultiIndex.from_frame(df[["platform", "a"]])).to_numpy() if len(df) else []
        df["j"] = idx.reindex(pd.MultiIndex.from_frame(df[["platform", "b"]])).to_numpy() if len(df) else []
        return df.dropna(subset=["i", "j"]).astype({"i": int, "j": int})

    def _partner_overlap(self, ws: "Workspace", acc: pd.DataFrame, pairs: pd.DataFrame) -> np.ndarray:
        if not table_exists(ws, "network_edges") or pairs.empty:
            return np.zeros(len(pairs))
        q = pd.DataFrame({"k": np.arange(len(pairs)), "platform": acc["platform"].to_numpy()[pairs["i"]],
                          "a": acc["account_id"].to_numpy()[pairs["i"]], "b": acc["account_id"].to_numpy()[pairs["j"]]})
        ws.con.register("_fp", q)
        out = ws.df(
            """WITH nb AS (SELECT DISTINCT platform, src AS x, dst AS y FROM network_edges
                           UNION SELECT DISTINCT platform, dst, src FROM network_edges),
            acc AS (SELECT platform, a AS x FROM _fp UNION SELECT platform, b FROM _fp),
            nbs AS (SELECT nb.* FROM nb SEMI JOIN acc USING (platform, x)),
            deg AS (SELECT platform, x, count(*) AS d FROM nbs GROUP BY ALL),
            inter AS (SELECT q.k, count(*) AS n FROM _fp q
                      JOIN nbs u ON u.platform = q.platform AND u.x = q.a
                      JOIN nbs v ON v.platform = q.platform AND v.x = q.b AND v.y = u.y
                      WHERE u.y <> q.b GROUP BY q.k)
            SELECT q.k, coalesce(inter.n, 0) AS inter, coalesce(da.d, 0) AS da, coalesce(db.d, 0) AS db FROM _fp q
            LEFT JOIN inter USING (k)
            LEFT JOIN deg da ON da.platform = q.platform AND da.x = q.a
            LEFT JOIN deg db ON db.platform = q.platform AND db.x = q.b ORDER BY q.k"""
        )
        ws.con.unregister("_fp")
        union = out["da"] + out["db"] - out["inter"]
        return np.where(union > 0, out["inter"] / union.where(union > 0, 1), 0.0)

    def score_pairs(self, ws: "Workspace", acc: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
        """Features and link score of every candidate pair (vectorised: rapidfuzz ``cpdist`` and numpy)."""
        idx = pd.Series(np.arange(len(acc)), index=pd.MultiIndex.from_frame(acc[["platform", "account_id"]]))
        so = self._shoutout_pairs(ws, idx)
        if len(so):
            extra = pd.DataFrame({"i": np.minimum(so["i"], so["j"]), "j": np.maximum(so["i"], so["j"])})
            pairs = pd.concat([pairs, extra[extra["i"] != extra["j"]]]).drop_duplicates(ignore_index=True)
        if pairs.empty:
            return pairs.assign(score=[])
        W = self.weights
        if not hasattr(self, "_acc_feats"):
            self.candidates(ws, acc)
        stems, skels, names, avs = (np.asarray(self._acc_feats[k], dtype=object)
                                    for k in ("stems", "skels", "names", "avs"))
        day = 86400.0
        epoch = pd.Timestamp("1970-01-01", tz="UTC")
        first = ((pd.to_datetime(acc["first_seen"], utc=True) - epoch).dt.total_seconds() / day).to_numpy()
        last = ((pd.to_datetime(acc["last_seen"], utc=True) - epoch).dt.total_seconds() / day).to_numpy()
        i0, j0 = pairs["i"].to_numpy(np.int64), pairs["j"].to_numpy(np.int64)
        swap = np.nan_to_num(first[j0], nan=np.inf) < np.nan_to_num(first[i0], nan=np.inf)  # older first
        i, j = np.where(swap, j0, i0), np.where(swap, i0, j0)
        jac = self._partner_overlap(ws, acc, pd.DataFrame({"i": i, "j": j}))

        def sim(a, b, scorer):
            out = process.cpdist(list(a), list(b), scorer=scorer, workers=1) / 100.0
            return np.where((a != "") & (b != ""), out, 0.0)

        skel_eq = (skels[i] == skels[j]) & (skels[i] != "")
        hs = np.where(skel_eq, 1.0, process.cpdist(list(stems[i]), list(stems[j]), scorer=fuzz.ratio,
                                                    workers=1) / 100.0)
        name_sim = sim(names[i], names[j], fuzz.token_set_ratio)
        involved = np.unique(np.r_[i, j])
        bios = np.full(len(acc), "", dtype=object)
        desc = acc["description"].fillna("").to_numpy()
        bios[involved] = [clean_name(desc[x]) for x in involved]
        bio_sim = sim(bios[i], bios[j], fuzz.token_set_ratio)
        av_n = self.stats.get("avatar_counts", {})
        avatar = np.array([
            0.0 if not a or not b or max(av_n.get(a, 1), av_n.get(b, 1)) > self.rare_avatar else avatar_match(a, b)
            for a, b in zip(avs[i], avs[j])])
        d = first[j] - last[i]
        gap = np.where(d >= 0, d, np.nan)
        overlap = np.where(d < 0, -d, np.nan)
        succ = np.nan_to_num(gap, nan=np.inf) <= self.max_gap_days
        ov = np.nan_to_num(overlap, nan=0.0)
        over = np.where(ov <= 0.1, 0.0, np.minimum(1.0, ov / self.overlap_days))
        kinds = np.full(len(i), None, dtype=object)
        posts: list = [[] for _ in range(len(i))]
        if len(so):
            so_map: dict[tuple[int, int], tuple[str, list]] = {}
            for r in so.itertuples(index=False):
                k = (min(r.i, r.j), max(r.i, r.j))
                kind, ps = so_map.get(k, ("weak", []))
                so_map[k] = ("strong" if r.kind == "strong" or kind == "strong" else "weak", ps + [r.post_id])
            for n, (x, y) in enumerate(zip(np.minimum(i, j).tolist(), np.maximum(i, j).tolist())):
                if (x, y) in so_map:
                    kinds[n], ps = so_map[(x, y)]
                    posts[n] = ps[:3]

        def centred(a, b, v, w_same, w_diff):
            c = np.where((a != "") & (b != ""), 2 * v - 1, 0.0)
            return np.where(c > 0, w_same * c, w_diff * c)

        z = (W["bias"] + W["handle_sim"] * hs + W["skeleton_equal"] * skel_eq + W["avatar"] * avatar
             + centred(names[i], names[j], name_sim, W["name_sim"], W["name_differs"])
             + centred(bios[i], bios[j], bio_sim, W["bio_sim"], W["bio_differs"]) + W["partner_jaccard"] * jac
             + W["succession"] * succ + W["overlap"] * over + W["shoutout_strong"] * (kinds == "strong")
             + W["shoutout_weak"] * (kinds == "weak"))
        return pd.DataFrame({
            "i": i, "j": j, "score": np.round(1 / (1 + np.exp(-z)), 4), "posts": posts,
            "handle_sim": np.round(hs, 3), "skeleton_equal": skel_eq, "name_sim": np.round(name_sim, 3),
            "bio_sim": np.round(bio_sim, 3), "avatar": avatar, "partner_jaccard": np.round(jac, 3),
            "gap_days": np.round(gap, 2), "overlap_days": np.round(overlap, 2), "shoutout": kinds})

    # --- families -------------------------------------------------------------------------------------------------
    @staticmethod
    def one_to_one(links: pd.DataFrame) -> pd.DataFrame:
        """Serial re-creation: each account has at most one predecessor and one successor. Greedy by score: a link
        is kept when its newer account has no predecessor yet and its older account no successor."""
        has_pred, has_succ, keep = set(), set(), [False] * len(links)
        order = np.argsort(-links["score"].to_numpy(), kind="stable")
        ii, jj = links["i"].to_numpy(), links["j"].to_numpy()
        for k in order:
            if jj[k] not in has_pred and ii[k] not in has_succ:
                has_pred.add(jj[k])
                has_succ.add(ii[k])
                keep[k] = True
        return links[np.asarray(keep, bool)].reset_index(drop=True)

    def run(self, ws: "Workspace") -> pd.DataFrame:
        ws.require_posts()
        acc = account_frame(ws)
        pairs = self.candidates(ws, acc)
        self.stats["candidate_pairs"] = int(len(pairs))
        scored = self.score_pairs(ws, acc, pairs)
        links = self.one_to_one(scored[scored["score"] >= self.threshold]) if len(scored) else scored
        self.stats["links"] = int(len(links))
        parent = list(range(len(acc)))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for r in links.itertuples(index=False):
            a, b = find(r.i), find(r.j)
            if a != b:
                parent[max(a, b)] = min(a, b)
        members: dict[int, list[int]] = {}
        for r in links.itertuples(index=False):
            for x in (r.i, r.j):
                members.setdefault(find(x), [])
        for x in range(len(acc)):
            if find(x) in members:
                members[find(x)].append(x)
        first = pd.to_datetime(acc["first_seen"], utc=True)
        fams = sorted(members.values(), key=lambda m: (-len(m), str(acc["account_id"].iat[min(m)])))
        fam_of = {}
        for n, m in enumerate(fams):
            for x in m:
                fam_of[x] = f"fam{n}"
        conf: dict[str, list[float]] = {}
        for r in links.itertuples(index=False):
            conf.setdefault(fam_of[r.i], []).append(r.score)
        ids, plat, hnd = acc["account_id"].to_numpy(), acc["platform"].to_numpy(), acc["handle"].to_numpy()
        mem_rows = []
        for x, f in fam_of.items():
            order = sorted(members[find(x)], key=lambda y: (first.iat[y] if pd.notna(first.iat[y]) else pd.Timestamp.max.tz_localize("UTC"), ids[y]))
            mem_rows.append({"platform": plat[x], "account_id": ids[x], "handle": hnd[x], "family": f,
                             "position": order.index(x) + 1, "size": len(order),
                             "confidence": round(float(np.mean(conf[f])), 4)})
        mem = pd.DataFrame(mem_rows, columns=["platform", "account_id", "handle", "family", "position", "size",
                                              "confidence"])
        link_tab = pd.DataFrame({
            "platform": plat[links["i"]] if len(links) else [], "older": ids[links["i"]] if len(links) else [],
            "newer": ids[links["j"]] if len(links) else [], "older_handle": hnd[links["i"]] if len(links) else [],
            "newer_handle": hnd[links["j"]] if len(links) else [],
            "family": [fam_of[i] for i in links["i"]] if len(links) else [],
            "score": links["score"] if len(links) else []})
        for name, df in (("family_members", mem), ("family_links", link_tab)):
            ws.con.register("_t", df)
            ws.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _t")
            ws.con.unregister("_t")
        # evidence: links (pairs) first, written under their own signal name
        feats = ["handle_sim", "skeleton_equal", "name_sim", "bio_sim", "avatar", "partner_jaccard", "gap_days",
                 "overlap_days", "shoutout"]
        link_ev = pd.DataFrame({
            "subject_type": "pair", "platform": link_tab["platform"],
            "subject_id": [f"{a}|{b}" for a, b in zip(link_tab["older"], link_tab["newer"])],
            "label": link_tab["family"], "score": link_tab["score"],
            "refs": [[ref("account", ids[r.i], note="older"), ref("account", ids[r.j], note="newer")]
                     + [ref("post", p, note="shout-out linking them") for p in r.posts]
                     for r in links.itertuples(index=False)],
            "details": [json.dumps({**{k: _py(getattr(r, k)) for k in feats}, "older_handle": hnd[r.i],
                                    "newer_handle": hnd[r.j]}, ensure_ascii=False)
                        for r in links.itertuples(index=False)]})
        ws.write_evidence("family-link", self.version, link_ev, params=self.get_params())
        self.links = link_tab
        by_fam = {f: g for f, g in mem.groupby("family")} if len(mem) else {}
        return pd.DataFrame({
            "subject_type": "account", "platform": mem["platform"], "subject_id": mem["account_id"],
            "label": mem["family"], "score": mem["confidence"],
            "refs": [[ref("account", a, note="same family") for a in by_fam[f]["account_id"] if a != me]
                     for f, me in zip(mem["family"], mem["account_id"])],
            "details": [json.dumps({"handle": h, "position": int(p), "size": int(s)}, ensure_ascii=False)
                        for h, p, s in zip(mem["handle"], mem["position"], mem["size"])]})


def _py(v: Any) -> Any:
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if v != v else float(v)
    if isinstance(v, float) and v != v:
        return None
    return v
