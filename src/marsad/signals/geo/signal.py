"""GeoSignal ("geo"): a country for every post that carries one and every account, with method and confidence.

Outputs
-------
* table ``geo_posts(platform, post_id, account_id, country, method, confidence)``: collected (not embedded)
  posts with a geotag (reverse geocoded offline; method ``geotag``) or a platform place (``place``).
* evidence rows, one per account (subject_type "account"; every account in ``accounts`` plus every account
  with a collected post but no profile): label = ISO country or NULL when abstaining, score =
  confidence, details {method, ambiguous, matched, candidates?, n_geo_posts?}. In order of strength the account's
  country comes from its geotagged posts (the majority country, if it holds at least half of them; ci = Wilson
  interval of that share), its posts' places, then its profile (coordinates written in the location field, the
  free-text location, the time zone as a weak prior; see :mod:`.resolve`). refs name the posts or the profile
  behind the answer.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from ..base import Signal, ref
from ..device import wilson
from .resolve import CONFIDENCE, Resolver, default_resolver

if TYPE_CHECKING:
    from ...workspace import Workspace

EVIDENCE_COLS = ["subject_type", "platform", "subject_id", "label", "score", "ci_low", "ci_high", "refs", "details"]


class GeoSignal(Signal):
    name: ClassVar[str] = "geo"
    version: ClassVar[str] = "1"
    subject_type: ClassVar[str] = "account"

    def __init__(self, use_time_zone: bool = True, min_majority: float = 0.5, max_refs: int = 5):
        self.use_time_zone = use_time_zone
        self.min_majority = min_majority
        self.max_refs = max_refs

    # --- posts -------------------------------------------------------------------------------------------------
    def post_table(self, ws: "Workspace", resolver: Resolver | None = None) -> pd.DataFrame:
        """(Re)create ``geo_posts`` and return it."""
        resolver = resolver or default_resolver()
        posts = ws.df("""
            SELECT platform, post_id, account_id, lat, lon, place_country_code, place_name
            FROM posts
            WHERE NOT coalesce(embedded, false)
              AND ((lat IS NOT NULL AND lon IS NOT NULL) OR place_country_code IS NOT NULL)""")
        country: list[Any] = [None] * len(posts)
        method: list[Any] = [None] * len(posts)
        conf: list[float] = [0.0] * len(posts)
        has_xy = posts["lat"].notna() & posts["lon"].notna()
        if has_xy.any():
            xy = posts.loc[has_xy, ["lat", "lon"]].round(5)
            uniq = list(dict.fromkeys(map(tuple, xy.to_numpy().tolist())))
            found = dict(zip(uniq, resolver.coordinates(uniq)))
            for i, pt in zip(xy.index, map(tuple, xy.to_numpy().tolist())):
                r = found[pt]
                if r.country:
                    country[i], method[i], conf[i] = r.country, r.method, r.confidence
        for i, (cc, pname) in enumerate(zip(posts["place_country_code"], posts["place_name"])):
            if country[i] is None and isinstance(cc, str):
                r = resolver.place(cc, pname)
                if r.country:
                    country[i], method[i], conf[i] = r.country, r.method, r.confidence
        out = pd.DataFrame({"platform": posts["platform"], "post_id": posts["post_id"],
                            "account_id": posts["account_id"], "country": country, "method": method,
                            "confidence": conf})
        out = out[out["country"].notna()].reset_index(drop=True)
        ws.con.register("_geo_posts", out)
        try:
            ws.con.execute("""CREATE OR REPLACE TABLE geo_posts AS
                SELECT platform::VARCHAR AS platform, post_id::VARCHAR AS post_id, account_id::VARCHAR AS account_id,
                       country::VARCHAR AS country, method::VARCHAR AS method, confidence::DOUBLE AS confidence
                FROM _geo_posts""")
        finally:
            ws.con.unregister("_geo_posts")
        return out

    # --- accounts ----------------------------------------------------------------------------------------------
    def run(self, ws: "Workspace") -> pd.DataFrame:
        ws.require_posts()
        resolver = default_resolver()
        gp = self.post_table(ws, resolver)
        accounts = ws.df("""
            SELECT platform, account_id, location, time_zone, utc_offset FROM accounts
            UNION ALL
            SELECT DISTINCT platform, account_id, NULL, NULL, NULL FROM posts g
            WHERE account_id IS NOT NULL AND NOT coalesce(embedded, false) AND NOT EXISTS (
                SELECT 1 FROM accounts a WHERE a.platform = g.platform AND a.account_id = g.account_id)""")
        by_account: dict[tuple[str, str], dict[str, list[tuple[str, int, list]]]] = {}
        if len(gp):
            agg = ws.df(f"""SELECT platform, account_id, method, country, count(*) AS n,
                                   list(post_id ORDER BY post_id)[1:{int(self.max_refs)}] AS ids
                            FROM geo_posts WHERE account_id IS NOT NULL GROUP BY ALL ORDER BY n DESC, country""")
            for pf, acc, method, cc, n, ids in agg.itertuples(index=False, name=None):
                by_account.setdefault((pf, acc), {}).setdefault(method, []).append((cc, int(n), list(ids)))
        rows = []
        for platform, account, location, tz, offset in accounts.itertuples(index=False, name=None):
            row = self._from_posts(by_account.get((platform, account)))
            if row is None:
                r = (resolver.account(location, tz, offset) if self.use_time_zone
                     else resolver.location(location))
                refs = [ref("account", account, 1.0, _note(location, tz, offset, r.method))]
                row = {"label": r.country, "score": r.confidence, "ci_low": None, "ci_high": None, "refs": refs,
                       "details": r.details()}
            row.update(subject_type="account", platform=platform, subject_id=account)
            rows.append(row)
        out = pd.DataFrame(rows, columns=EVIDENCE_COLS)
        for c in ("score", "ci_low", "ci_high"):  # NaN -> NULL when DuckDB scans the frame
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        out["label"] = out["label"].astype("object")
        return out

    def _from_posts(self, per_method: dict[str, list[tuple[str, int, list]]] | None) -> dict[str, Any] | None:
        """The majority country of the account's geotagged posts, else of its posts' places."""
        if not per_method:
            return None
        for method in ("geotag", "place"):
            counts = per_method.get(method)
            if not counts:
                continue
            top, k, ids = counts[0]  # sorted by count, then country
            n = sum(c[1] for c in counts)
            if k / n < self.min_majority:
                continue
            lo, hi = wilson(k, n)
            refs = [ref("post", pid, 1.0, f"{method} {top}") for pid in ids]
            return {"label": top, "score": round(CONFIDENCE[method] * (k / n), 4), "ci_low": lo, "ci_high": hi,
                    "refs": refs,
                    "details": {"method": method, "ambiguous": k < n, "matched": [top], "n_geo_posts": n,
                                "countries": {str(c): int(x) for c, x, _ in counts}}}
        return None

    @classmethod
    def examples(cls) -> list[tuple[Any, Any]]:
        return [("Austin, TX", "US"), ("ولاية الرقة", "SY"), ("Wilayat Hadramaut", "YE"), ("dar al-kufr", None),
                ("Gaza/Geneva", None), ("ÜT: 33.32,-117.43", "US"), ("🇮🇶", "IQ"), ("Alexandria", "EG")]


def _note(location: Any, tz: Any, offset: Any, method: str) -> str:
    bits = []
    if isinstance(location, str) and location.strip():
        loc = " ".join(location.split())
        bits.append(f"location: {loc[:100]}")
    if isinstance(tz, str) and tz.strip():
        bits.append(f"time zone: {tz}")
    if offset is not None and not pd.isna(offset):
        bits.append(f"utc offset: {offset}")
    return f"{method}; " + "; ".join(bits) if bits else method


def locate_frame(values: pd.Series, resolver: Resolver | None = None) -> pd.DataFrame:
    """country, method, confidence, ambiguous for each value of a column (no workspace)."""
    resolver = resolver or default_resolver()
    res = [resolver.location(v if isinstance(v, str) else None) for v in values]
    return pd.DataFrame({
        "country": [r.country for r in res],
        "method": [r.method for r in res],
        "confidence": [r.confidence for r in res],
        "ambiguous": [r.ambiguous for r in res],
    }, index=values.index)
