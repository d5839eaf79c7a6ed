"""A small synthetic supporter network for the network tests, inserted straight into a workspace.

Supporters are nodes (original content, reposted by others), amplifiers (mostly reposts of nodes) and shout-out
accounts (posts introducing other accounts); some supporters were suspended and came back with a variant handle
(a family). Journalists ("hard negatives") mention and quote supporters; ordinary users talk among themselves.
The returned truth mirrors the simulator's DIR/truth/accounts.csv columns used by the tests.
"""
from __future__ import annotations

import functools
import random
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow as pa

from marsad.records import POST_SCHEMA

T0 = datetime(2015, 1, 1, tzinfo=timezone.utc)
NAMES = ["abu_muhammad", "umm_sumayyah", "jihad_media", "khattab_news", "baqiya_shoutout", "shami_witness",
         "abu_hamza", "muhajirah", "ansar_khilafa", "dawla_news", "abu_bakr_fan", "ghuraba", "nasheed_lover",
         "tawheed_now", "umm_layth", "abu_talha", "wilayat_raqqa", "al_battar", "ibn_taymiyya", "sahwat_killer"]
AR_NAMES = ["أبو محمد", "أم سمية", "إعلام الجهاد", "أخبار خطاب", "باقية", "الشامي", "أبو حمزة", "مهاجرة",
            "أنصار الخلافة", "أخبار الدولة", "محب البغدادي", "الغرباء", "محب الأناشيد", "التوحيد", "أم الليث",
            "أبو طلحة", "ولاية الرقة", "البتار", "ابن تيمية", "قاتل الصحوات"]


def make_world(seed: int = 0, n_supporters: int = 60, n_journalists: int = 10, n_ordinary: int = 40):
    """(posts, accounts, truth) of a world; generated once per parameter set, fresh copies on every call."""
    posts, accounts, truth = _make_world(seed, n_supporters, n_journalists, n_ordinary)
    return [dict(p) for p in posts], [dict(a) for a in accounts], truth.copy()


@functools.lru_cache(maxsize=8)
def _make_world(seed: int, n_supporters: int, n_journalists: int, n_ordinary: int):
    rng = random.Random(seed)
    accounts, posts = [], []
    roles = ["node"] * (n_supporters // 5) + ["shoutout"] * (n_supporters // 10)
    roles += ["amplifier"] * (n_supporters - len(roles))
    sup = []
    for i, role in enumerate(roles):
        base = NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f"_{i // len(NAMES)}x")
        sup.append({"account_id": str(1000 + i), "handle": base, "role": role, "is_supporter": True,
                    "is_hard_negative": False, "family_id": None, "display_name": AR_NAMES[i % len(AR_NAMES)],
                    "description": f"باقية وتتمدد {i % 7}", "avatar_url": f"http://img/{base}.jpg",
                    "created": T0, "gone": None})
    # families: the first few supporters were suspended on day 20 and returned with variants
    ret = []
    for k, s in enumerate(sup[:6]):
        s["family_id"] = f"f{k}"
        s["gone"] = T0 + timedelta(days=20)
        variant = s["handle"].replace("_", "") + str(k + 2) if k % 2 else s["handle"] + "_back" + str(k)
        ret.append({**s, "account_id": str(5000 + k), "handle": variant, "created": T0 + timedelta(days=21),
                    "gone": None, "avatar_url": s["avatar_url"] if k % 3 else None})
    jour = [{"account_id": str(8000 + i), "handle": f"reporter{i}", "role": "other", "is_supporter": False,
             "is_hard_negative": True, "family_id": None, "display_name": f"Reporter {i}",
             "description": "journalist covering the Middle East", "avatar_url": None, "created": T0, "gone": None}
            for i in range(n_journalists)]
    orda = [{"account_id": str(9000 + i), "handle": f"user_{i}", "role": "other", "is_supporter": False,
             "is_hard_negative": False, "family_id": None, "display_name": f"User {i}",
             "description": "football and coffee", "avatar_url": None, "created": T0, "gone": None}
            for i in range(n_ordinary)]
    everyone = sup + ret + jour + orda
    pid = [0]

    def post(a, day, text, **kw):
        if a["gone"] and T0 + timedelta(days=day) >= a["gone"]:
            return None
        if T0 + timedelta(days=day) < a["created"]:
            return None
        pid[0] += 1
        p = {"platform": "twitter", "post_id": str(pid[0]), "account_id": a["account_id"],
             "account_handle": a["handle"], "created_at": T0 + timedelta(days=day, minutes=rng.randrange(1440)),
             "text": text, "embedded": False, "mentions": [], "hashtags": [], "urls": [], "media_urls": []}
        p.update(kw)
        posts.append(p)
        return p

    live = lambda day, group: [a for a in group if a["created"] <= T0 + timedelta(days=day)  # noqa: E731
                               and not (a["gone"] and T0 + timedelta(days=day) >= a["gone"])]
    for day in range(40):
        sups = live(day, sup + ret)
        nodes = [a for a in sups if a["role"] == "node"]
        for a in sups:
            if a["role"] == "node":
                for _ in range(3):
                    post(a, day, rng.choice(["الدولة الإسلامية باقية", "new release from wilayat raqqa",
                                             "بيان من الدولة الإسلامية"]))
                if rng.random() < 0.3:
                    t = rng.choice(nodes)
                    if t is not a:
                        post(a, day, f"@{t['handle']} جزاك الله خيرا", mentions=[t["handle"].lower()],
                             reply_to_account_id=t["account_id"], reply_to_handle=t["handle"])
            elif a["role"] == "amplifier":
                for _ in range(3):
                    t = rng.choice(nodes)
                    post(a, day, "الدولة الإسلامية باقية", repost_of_account_id=t["account_id"],
                         repost_of_handle=t["handle"], repost_of_post_id=f"o{rng.randrange(10**6)}")
                if rng.random() < 0.2:
                    post(a, day, "اللهم انصر المجاهدين")
            else:  # shout-out
                others = rng.sample(sups, 3)
                if day >= 21:
                    others = [r for r in ret if r in sups][:2] + others[:1]
                hs = [o["handle"] for o in others]
                cue = rng.choice(["ادعموا الحساب الجديد للأخ", "Follow and support the new account of our brother",
                                  "حسابه الجديد بعد الإغلاق تابعوه", "#ShoutOut please follow"])
                post(a, day, cue + " " + " ".join("@" + h for h in hs), mentions=[h.lower() for h in hs])
                t = rng.choice(nodes)
                post(a, day, "الدولة الإسلامية باقية", repost_of_account_id=t["account_id"],
                     repost_of_handle=t["handle"], repost_of_post_id=f"o{rng.randrange(10**6)}")
        for j in jour:
            t = rng.choice(sups)
            post(j, day, f"ISIS supporter @{t['handle']} claims a new attack, analysts doubt it",
                 mentions=[t["handle"].lower()])
            o = rng.choice(jour)
            if o is not j:
                post(j, day, f"good piece by @{o['handle']}", mentions=[o["handle"].lower()])
            post(j, day, "Reporting from Erbil today")
        for u in orda:
            o = rng.choice(orda)
            if o is not u and rng.random() < 0.7:
                post(u, day, f"@{o['handle']} what a match", mentions=[o["handle"].lower()],
                     reply_to_account_id=o["account_id"], reply_to_handle=o["handle"])
            if rng.random() < 0.3:
                o = rng.choice(orda)
                if o is not u:
                    post(u, day, "great goal", repost_of_account_id=o["account_id"], repost_of_handle=o["handle"],
                         repost_of_post_id=f"o{rng.randrange(10**6)}")
    for a in everyone:
        last = max((p["created_at"] for p in posts if p["account_id"] == a["account_id"]), default=a["created"])
        accounts.append({"platform": "twitter", "account_id": a["account_id"], "handle": a["handle"],
                         "display_name": a["display_name"], "description": a["description"],
                         "avatar_url": a["avatar_url"], "followers": 100 + int(a["account_id"]) % 500,
                         "created_at": a["created"], "first_observed": a["created"], "last_observed": last,
                         "n_observations": 1, "dataset_id": "dworld"})
    truth = pd.DataFrame([{k: a[k] for k in ("account_id", "handle", "role", "is_supporter", "is_hard_negative",
                                             "family_id")} for a in everyone])
    return posts, accounts, truth


def load_world(ws, posts, accounts, split_day: int | None = None):
    """Insert the world; with ``split_day`` as two collection rounds (datasets d1: before, d2: from that day),
    each with its own account observations, as two ingested files would give."""
    cols = {n: [p.get(n) for p in posts] for n in POST_SCHEMA.names}
    t = pa.Table.from_pydict(cols, schema=POST_SCHEMA)
    ws.con.register("_wp", t)
    if split_day is None:
        ws.con.execute("INSERT INTO posts SELECT *, 'dworld' FROM _wp")
    else:
        cut = (T0 + timedelta(days=split_day)).isoformat()
        ws.con.execute(f"INSERT INTO posts SELECT *, CASE WHEN created_at < TIMESTAMPTZ '{cut}' THEN 'd1' ELSE 'd2' "
                       f"END FROM _wp")
        for i, d in enumerate(("d1", "d2")):
            ws.con.execute(
                "INSERT INTO datasets (dataset_id, path, sha256, format, platform, imported_at) VALUES "
                "(?, ?, ?, 'test', 'twitter', ?)", [d, f"/tmp/{d}.jsonl", d * 8, T0 + timedelta(days=60 + i)])
    ws.con.unregister("_wp")
    snap_cols = [c for c in ws.df("SELECT * FROM account_snapshots LIMIT 0").columns]
    if split_day is not None:
        rows = []
        for a in accounts:
            for d, (lo, hi) in (("d1", (T0, T0 + timedelta(days=split_day))),
                                ("d2", (T0 + timedelta(days=split_day), T0 + timedelta(days=999)))):
                ts = [p["created_at"] for p in posts if p["account_id"] == a["account_id"] and lo <= p["created_at"] < hi]
                if ts:
                    rows.append({**a, "dataset_id": d, "first_observed": min(ts), "last_observed": max(ts),
                                 "followers": a["followers"] // (3 if a["account_id"].startswith("5") else 1)})
        accounts = rows
    if not accounts:
        return
    df = pd.DataFrame([{c: a.get(c) for c in snap_cols} for a in accounts])
    ws.con.register("_wa", df)
    ws.con.execute(f"INSERT INTO account_snapshots SELECT {', '.join(snap_cols)} FROM _wa")
    ws.con.unregister("_wa")
