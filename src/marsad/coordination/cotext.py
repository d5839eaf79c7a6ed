"""Co-text: accounts posting near-identical text within the time window, found exactly with prefix filtering in
DuckDB (Chaudhuri, Ganti & Kaushik 2006; Bayardo, Ma & Srikant 2007 "All-Pairs").

1. Text of posts that are not reposts is normalised (:func:`.actions.text_tokens_sql`: links, @mentions and "RT"
   removed, Arabic letter variants and diacritics folded, punctuation dropped, case folded) and split into words;
   a post's *word set* is the set of 64-bit hashes of its distinct words. Texts with fewer than
   ``text_min_tokens`` distinct words are not compared (too generic).
2. Every word gets a rank in one global order: rarest first (number of posts using it), ties broken by the hash.
3. Prefix filter: if Jaccard(x, y) >= t then the two sets share at least ``ceil(t * |x|)`` words, so they share a
   word among the first ``|x| - ceil(t * |x|) + 1`` words of x in the global order and likewise for y
   (:func:`prefix_length`). Those prefix words are the *items* of the generic bucketed pairing
   (:func:`.build.pair_actions`), so candidate pairs are also restricted to the time window and large buckets
   are capped. Because prefixes hold each text's rarest words, the buckets stay small. Words used by a single
   post cannot be shared and are left out of the pairing.
4. Every candidate pair passes the length filter ``t * |x| <= |y| <= |x| / t`` and then the exact Jaccard
   similarity of the two word sets; pairs at or above ``text_threshold`` are co-actions. The evidence ``item``
   is the normalised text of the earlier post.

Unlike MinHash-LSH this has no false negatives: every pair of posts within the window whose word sets reach the
threshold is found (unless its bucket is capped, which is reported), and every pair reported reaches it.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from .actions import drop_rt_sql, is_repost_sql, text_norm_sql, text_tokens_sql
from .build import pair_actions

if TYPE_CHECKING:
    from .build import BuildParams

# guards ceil(t * n) against rounding up a product that is an integer in exact arithmetic (0.7 * 10 = 7.000...01)
_EPS = 1e-9


def min_overlap(n: int, threshold: float) -> int:
    """Fewest shared words a set of n words needs with any set for Jaccard >= threshold: ceil(t * n)."""
    return max(0, math.ceil(threshold * n - _EPS))


def prefix_length(n: int, threshold: float) -> int:
    """Words of a set of n words (in the global order) that must include one shared with any set it reaches
    Jaccard >= threshold with: n - ceil(t * n) + 1 (at most n)."""
    return min(n, n - min_overlap(n, threshold) + 1)


def prefix_length_sql(n: str, threshold: float) -> str:
    """SQL of :func:`prefix_length` for an integer expression n."""
    t = float(threshold)
    return f"least({n}, {n} - greatest(0, ceil({t} * {n} - {_EPS}))::BIGINT + 1)"


def cotext_docs_sql(min_tokens: int) -> str:
    """SQL: (platform, account_id, post_id, t, nk, words) for the posts co-text compares; ``words`` is the set of
    64-bit hashes of the distinct words, ``nk`` a hash of the whole normalised word sequence (exact repeats)."""
    return f"""SELECT * FROM (
          SELECT platform, account_id, post_id, t, hash(hs) AS nk, list_distinct(hs) AS words FROM (
            SELECT platform, account_id, post_id, t, list_transform({drop_rt_sql('toks0')}, w -> hash(w)) AS hs FROM (
              SELECT platform, account_id, post_id, epoch_ms(created_at) AS t, {text_tokens_sql('text')} AS toks0
              FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND created_at IS NOT NULL AND text IS NOT NULL
                AND NOT {is_repost_sql()})))
        WHERE len(words) >= {int(min_tokens)}"""


def _prefix_actions(con, threshold: float) -> None:
    """Temp table ``_ct_prefix(platform, account_id, post_id, t, item, ik)``: one row per prefix word of each
    document (``post_id`` is the document's row in ``_ct_docs``; ``item``/``ik`` the word's rank)."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _ct_rank AS
        SELECT w, n, (row_number() OVER (ORDER BY n, w))::UINTEGER AS r FROM (
          SELECT w, count(*) AS n FROM (SELECT unnest(words) AS w FROM _ct_docs) GROUP BY w)"""
    )
    # ranks 1..n_single are words of one post only: they fill prefix places but can never be shared
    n_single = con.execute("SELECT count(*) FROM _ct_rank WHERE n = 1").fetchone()[0]
    plen = prefix_length_sql("len(rs)", threshold)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ct_prefix AS
        WITH p AS (
          SELECT did, list_filter(list_sort(rs)[1:{plen}], r -> r > {int(n_single)}) AS pre FROM (
            SELECT did, list(r) AS rs FROM (SELECT rowid AS did, unnest(words) AS w FROM _ct_docs) u
            JOIN _ct_rank USING (w)
            GROUP BY did))
        SELECT platform, account_id, did AS post_id, t, r AS item, r::UBIGINT AS ik FROM (
          SELECT d.platform, d.account_id, p.did, d.t, unnest(p.pre) AS r
          FROM p JOIN _ct_docs d ON d.rowid = p.did WHERE len(p.pre) > 0)"""
    )
    con.execute("DROP TABLE _ct_rank")


def cotext_pairs(con, params: "BuildParams", *, tag: str) -> tuple[int, pd.DataFrame]:
    """Materialise ``_pairs_{tag}`` (with a ``similarity`` column) of verified near-duplicate co-posts and
    ``_act_{tag}`` (exact normalised-text repeats, for the chance model)."""
    t = float(params.text_threshold)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ct_docs AS
        {cotext_docs_sql(params.text_min_tokens)}"""
    )
    n_docs = con.execute("SELECT count(*) FROM _ct_docs").fetchone()[0]
    _prefix_actions(con, t)
    _, capped = pair_actions(con, "SELECT * FROM _ct_prefix", params.window, params.cap, tag=f"{tag}_cand",
                             item_key=True)
    con.execute("DROP TABLE _ct_prefix")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ct_ver AS
        WITH c AS (SELECT DISTINCT account_a, account_b, post_a AS da, post_b AS db, t_a, t_b FROM _pairs_{tag}_cand),
        j AS (
          SELECT c.*, a.platform, a.post_id AS post_a, b.post_id AS post_b,
                 len(list_intersect(a.words, b.words)) AS inter, len(a.words) AS na, len(b.words) AS nb
          FROM c JOIN _ct_docs a ON a.rowid = c.da JOIN _ct_docs b ON b.rowid = c.db
          WHERE len(b.words) >= {t} * len(a.words) - {_EPS} AND len(a.words) >= {t} * len(b.words) - {_EPS})
        SELECT *, inter / (na + nb - inter) AS similarity,
               CASE WHEN t_a < t_b OR (t_a = t_b AND post_a <= post_b) THEN da ELSE db END AS first_did
        FROM j WHERE inter / (na + nb - inter) >= {t}"""
    )
    con.execute(f"DROP TABLE _pairs_{tag}_cand")
    con.execute(f"DROP TABLE IF EXISTS _act_{tag}_cand")
    # the evidence item is the normalised text of the earlier post: computed for those posts only
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pairs_{tag} AS
        WITH f AS (SELECT d.rowid AS did, d.platform, d.post_id FROM _ct_docs d
                   WHERE d.rowid IN (SELECT first_did FROM _ct_ver)),
        n AS (SELECT f.did, any_value(left({text_norm_sql('p.text')}, 280)) AS norm
              FROM posts p JOIN f ON p.platform = f.platform AND p.post_id = f.post_id
              WHERE NOT p.embedded GROUP BY f.did)
        SELECT v.platform, v.account_a, v.account_b, v.post_a, v.post_b, n.norm AS item, v.t_a, v.t_b, v.similarity
        FROM _ct_ver v LEFT JOIN n ON n.did = v.first_did"""
    )
    con.execute("DROP TABLE _ct_ver")
    if len(capped):
        capped["item"] = _capped_items(con, capped)
    # the chance model (lift) counts exact normalised-text repeats as the shared items
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _act_{tag} AS
                    SELECT platform, account_id, post_id, t, nk AS item, nk AS ik FROM _ct_docs""")
    con.execute("DROP TABLE _ct_docs")
    return int(n_docs), capped.drop(columns=["example"], errors="ignore")


def _capped_items(con, capped: pd.DataFrame) -> list[str]:
    """A readable ``item`` for capped co-text buckets: an example of the texts (by the example document)."""
    con.register("_ct_capx", capped[["example"]].reset_index())
    try:
        got = con.execute(
            f"""SELECT x.index, any_value(left({text_norm_sql('p.text')}, 200)) AS norm
                FROM _ct_capx x JOIN _ct_docs d ON d.rowid = x.example
                     JOIN posts p ON p.platform = d.platform AND p.post_id = d.post_id AND NOT p.embedded
                GROUP BY x.index"""
        ).df().set_index("index").norm
    finally:
        con.unregister("_ct_capx")
    return ["near-duplicate texts like: " + str(got.get(i, "")) for i in range(len(capped))]
