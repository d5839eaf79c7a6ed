"""Devices: which client each post was sent from, and each account's primary client family (signal "device").

The raw ``source`` field comes in three shapes: Twitter v1.1 HTML (``<a href="..." rel="nofollow">Twitter for
Android</a>``), v2 and most CSV exports' plain names ("Twitter for Android"), and Gnip's ``generator`` object
(``{"displayName": ..., "link": ...}``, sometimes kept as JSON text). :func:`client_name` extracts the name;
:func:`family_of` maps it to a family through the curated list ``marsad/data/device_clients.csv``:

``android``, ``iphone``, ``ipad``, ``web`` (Twitter's web and desktop clients, TweetDeck, Media Studio),
``blackberry``, ``automation`` (bots, feeds, schedulers and publishing suites: IFTTT, dlvr.it, twittbot.net,
Buffer, Hootsuite, SocialFlow...), ``third-party`` (other apps a person taps on: Echofon, cross-posts from
Instagram), ``unknown`` (no client recorded).

A client missing from the list still gets a family from its name (``... for Android`` -> android, ``...bot`` ->
automation, anything else -> third-party) and is flagged ``curated: false`` so it can be added to the list.

Outputs: table ``device_posts(platform, post_id, account_id, client, family)`` for every collected post (not
embedded ones: the original of a retweet was sent by someone else), and per account an evidence row with label =
primary family (most posts; ties go to the family of the most recent post), score = that family's share of the
account's posts with a Wilson 95% interval, details {client, shares, clients, n_posts}.
"""
from __future__ import annotations

import csv
import html
import importlib.resources
import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from .base import Signal

if TYPE_CHECKING:
    from ..workspace import Workspace

FAMILIES = ("android", "iphone", "ipad", "web", "blackberry", "automation", "third-party", "unknown")

_A_TEXT = re.compile(r"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_R_ESCAPE = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")
_SPACES = re.compile(r"\s+")
_AUTOMATION_HINT = re.compile(r"bot\b|bot_|bots\b|auto|feed|rss|schedul|publish|poster|social|\.io\b|\.com\b|\.net\b",
                              re.IGNORECASE)


def client_name(source: Any) -> str | None:
    """The client's display name from a raw source value (HTML link, plain name, Gnip generator); None if empty."""
    if source is None or (isinstance(source, float) and source != source):
        return None
    if isinstance(source, dict):
        source = source.get("displayName") or source.get("name") or ""
    s = str(source).strip()
    if not s or s.upper() in ("NA", "NAN", "NONE", "NULL"):
        return None
    if s.startswith("{") and "displayName" in s:
        try:
            obj = json.loads(s)
            s = str(obj.get("displayName") or "").strip() if isinstance(obj, dict) else s
        except ValueError:
            pass
    s = _R_ESCAPE.sub(lambda mm: chr(int(mm.group(1), 16)), s)  # R's "<U+039F>" escapes (rtweet CSVs)
    m = _A_TEXT.search(s)
    if m:
        s = m.group(1)
    elif "<" in s and ">" in s:
        s = _TAG.sub("", s)
    s = html.unescape(s)
    s = _SPACES.sub(" ", s).strip()
    return s[:200] or None


def _key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


@lru_cache(maxsize=1)
def curated_clients() -> dict[str, tuple[str, str]]:
    """lower-cased client name -> (client as listed, family)."""
    path = Path(str(importlib.resources.files("marsad") / "data" / "device_clients.csv"))
    out: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            name = (row.get("client") or "").strip()
            if not name or name.startswith("#"):
                continue
            fam = row["family"].strip()
            if fam not in FAMILIES:
                raise ValueError(f"device_clients.csv: {name!r} has unknown family {fam!r}")
            out[_key(name)] = (name, fam)
    return out


@lru_cache(maxsize=100_000)
def classify(source: Any) -> tuple[str | None, str, bool]:
    """(client name, family, curated?) for a raw source value."""
    name = client_name(source)
    if name is None:
        return None, "unknown", True
    hit = curated_clients().get(_key(name))
    if hit:
        return name, hit[1], True
    low = name.casefold()
    if "ipad" in low:
        fam = "ipad"
    elif "iphone" in low or re.search(r"\bi[oο]s\b", low):
        fam = "iphone"
    elif "android" in low:
        fam = "android"
    elif "blackberry" in low:
        fam = "blackberry"
    elif _AUTOMATION_HINT.search(name):
        fam = "automation"
    else:
        fam = "third-party"
    return name, fam, False


def family_of(source: Any) -> str:
    return classify(source)[1]


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (0.0 if k <= 0 else max(0.0, c - h)), (1.0 if k >= n else min(1.0, c + h))


class DeviceSignal(Signal):
    name: ClassVar[str] = "device"
    version: ClassVar[str] = "1"
    subject_type: ClassVar[str] = "account"

    def __init__(self, include_embedded: bool = False, max_refs: int = 3):
        self.include_embedded = include_embedded
        self.max_refs = max_refs

    def post_table(self, ws: "Workspace") -> int:
        """(Re)create ``device_posts``; returns its row count."""
        where = "" if self.include_embedded else "WHERE NOT coalesce(embedded, false)"
        sources = ws.df(f"SELECT DISTINCT source FROM posts {where}")["source"].tolist()
        rows = [(s, *classify(s)[:2]) for s in sources if s is not None]
        mapping = pd.DataFrame(rows, columns=["source", "client", "family"])
        ws.con.register("_device_map", mapping)
        try:
            ws.con.execute(f"""
                CREATE OR REPLACE TABLE device_posts AS
                SELECT p.platform, p.post_id, p.account_id, m.client, coalesce(m.family, 'unknown') AS family
                FROM posts p LEFT JOIN _device_map m ON p.source = m.source
                {where.replace('embedded', 'p.embedded')}""")
        finally:
            ws.con.unregister("_device_map")
        return ws.con.execute("SELECT count(*) FROM device_posts").fetchone()[0]

    def run(self, ws: "Workspace") -> pd.DataFrame:
        ws.require_posts()
        self.post_table(ws)
        where = "" if self.include_embedded else "AND NOT coalesce(p.embedded, false)"
        df = ws.df(f"""
            WITH per AS (
                SELECT d.platform, d.account_id, d.family, d.client, count(*) AS n, max(p.created_at) AS last_at,
                       arg_max(d.post_id, p.created_at) AS last_post
                FROM device_posts d JOIN posts p ON p.platform = d.platform AND p.post_id = d.post_id
                WHERE d.account_id IS NOT NULL {where}
                GROUP BY ALL),
            fam AS (
                SELECT platform, account_id, family, sum(n)::BIGINT AS n, max(last_at) AS last_at FROM per GROUP BY ALL),
            ranked AS (
                SELECT *, row_number() OVER (PARTITION BY platform, account_id
                    ORDER BY (family <> 'unknown') DESC, n DESC, last_at DESC NULLS LAST, family) AS rk,
                    sum(n) OVER (PARTITION BY platform, account_id) AS total
                FROM fam),
            shares AS (
                SELECT platform, account_id, map_from_entries(list((family, round(n / total, 4)) ORDER BY n DESC))
                    AS shares
                FROM ranked GROUP BY ALL),
            clients AS (
                SELECT platform, account_id,
                       map_from_entries(list((coalesce(client, '(none)'), n) ORDER BY n DESC, client)) AS clients
                FROM (SELECT platform, account_id, client, sum(n)::BIGINT AS n FROM per GROUP BY ALL) GROUP BY ALL),
            prim AS (
                SELECT r.platform, r.account_id, r.family, r.n AS k, r.total::BIGINT AS total FROM ranked r
                WHERE rk = 1),
            refs AS (
                SELECT per.platform, per.account_id,
                       list({{'kind': 'post', 'id': per.last_post, 'weight': per.n::DOUBLE,
                              'note': coalesce(per.client, 'no client') || ' (' || per.n || ' posts)'}}
                            ORDER BY per.n DESC, per.client)[1:{int(self.max_refs)}] AS refs,
                       arg_max(per.client, per.n) AS client
                FROM per JOIN prim ON per.platform = prim.platform AND per.account_id = prim.account_id
                                  AND per.family = prim.family
                GROUP BY ALL)
            SELECT prim.platform, prim.account_id AS subject_id, prim.family AS label, prim.k, prim.total,
                   refs.refs, to_json({{'client': refs.client, 'shares': shares.shares, 'clients': clients.clients,
                                       'n_posts': prim.total}}) AS details
            FROM prim
            JOIN shares USING (platform, account_id)
            JOIN clients USING (platform, account_id)
            JOIN refs USING (platform, account_id)
            ORDER BY prim.platform, prim.account_id""")
        cols = ["subject_type", "platform", "subject_id", "label", "score", "ci_low", "ci_high", "refs", "details"]
        if df.empty:
            return pd.DataFrame(columns=cols)
        k, n = df["k"].to_numpy(), df["total"].to_numpy()
        lo, hi = wilson_arrays(k, n)
        df["score"] = k / n
        df["ci_low"], df["ci_high"] = lo, hi
        df["subject_type"] = "account"
        return df[cols]

    @classmethod
    def examples(cls) -> list[tuple[Any, Any]]:
        return [
            ('<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>', "android"),
            ("Twitter for iPhone", "iphone"),
            ('{"displayName": "Twitter Web Client", "link": "http://twitter.com"}', "web"),
            ('<a href="https://ifttt.com" rel="nofollow">IFTTT</a>', "automation"),
            ("Tweetbot for i<U+039F>S", "iphone"),
            (None, "unknown"),
        ]


def wilson_arrays(k, n, z: float = 1.959964):
    """Vectorised :func:`wilson` over numpy arrays (n > 0)."""
    import numpy as np

    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    lo = np.where(k <= 0, 0.0, np.clip(c - h, 0.0, 1.0))
    hi = np.where(k >= n, 1.0, np.clip(c + h, 0.0, 1.0))
    return lo, hi


def device_shares(ws: "Workspace", by: str = "post") -> pd.DataFrame:
    """Family shares with Wilson intervals: ``by="post"`` over device_posts, ``by="account"`` over the accounts'
    primary families (evidence of the last device run)."""
    if by == "post":
        df = ws.df("SELECT family, count(*) AS n FROM device_posts GROUP BY family")
    else:
        df = ws.df("SELECT label AS family, count(*) AS n FROM evidence WHERE signal = 'device' GROUP BY label")
    total = int(df["n"].sum()) if len(df) else 0
    rows = []
    for r in df.sort_values("n", ascending=False).itertuples():
        lo, hi = wilson(int(r.n), total)
        rows.append({"family": r.family, "n": int(r.n), "share": r.n / total if total else 0.0, "ci_low": lo,
                     "ci_high": hi})
    return pd.DataFrame(rows, columns=["family", "n", "share", "ci_low", "ci_high"])
