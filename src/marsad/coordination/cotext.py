"""Co-text: accounts posting near-identical text within the time window, found with MinHash-LSH in DuckDB.

1. Text of posts that are not reposts is normalised (:func:`.actions.text_tokens_sql`: links, @mentions and "RT"
   removed, Arabic letter variants and diacritics folded, punctuation dropped, case folded) and split into a set
   of words. Texts with fewer than ``text_min_tokens`` distinct words are not compared (too generic).
2. Each distinct word gets ``bands * rows`` hash values ``hash(hash(word) XOR seed_k)``; a post's MinHash
   signature is the per-k minimum over its words (one GROUP BY, vectorised).
3. LSH: each band of ``rows`` signature values is hashed into a key; posts sharing a band key are candidates. The
   band keys are the *items* of the generic bucketed pairing (:func:`.build.pair_actions`), so candidate pairs are
   also restricted to the time window and large buckets are capped.
4. Every candidate pair is verified with the exact Jaccard similarity of the two word sets; pairs at or above
   ``text_threshold`` are co-actions. The evidence ``item`` is the normalised text of the earlier post.

With 10 bands of 3 rows a pair with Jaccard 0.8 becomes a candidate with probability 1-(1-0.8^3)^10 = 0.9992
(0.912 at Jaccard 0.6), see :func:`candidate_probability`; verification removes all false positives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .actions import drop_rt_sql, is_repost_sql, text_tokens_sql
from .build import pair_actions

if TYPE_CHECKING:
    from .build import BuildParams

_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1


def seeds(k: int) -> list[int]:
    """Deterministic 64-bit seeds for the k MinHash functions."""
    out, x = [], 0x2545F4914F6CDD1D
    for _ in range(k):
        x = (x + _GOLDEN) & _MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        out.append(z ^ (z >> 31))
    return out


def candidate_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that two texts with this Jaccard similarity share at least one LSH band."""
    return 1.0 - (1.0 - jaccard**rows) ** bands


def cotext_docs_sql(min_tokens: int) -> str:
    """SQL: (platform, account_id, post_id, t, norm, words) for the posts co-text compares; ``words`` is the set
    of 64-bit hashes of the distinct words."""
    return f"""SELECT platform, account_id, post_id, t, array_to_string(toks, ' ') AS norm,
                 list_transform(list_distinct(toks), w -> hash(w)) AS words FROM (
          SELECT * EXCLUDE (toks0), {drop_rt_sql('toks0')} AS toks FROM (
            SELECT platform, account_id, post_id, epoch_ms(created_at) AS t, {text_tokens_sql('text')} AS toks0
            FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND created_at IS NOT NULL AND text IS NOT NULL
              AND NOT {is_repost_sql()}))
          WHERE len(list_distinct(toks)) >= {int(min_tokens)}"""


def cotext_pairs(con, params: "BuildParams", *, tag: str) -> tuple[int, pd.DataFrame]:
    """Materialise ``_pairs_{tag}`` (with a ``similarity`` column) of verified near-duplicate co-posts."""
    k = params.lsh_bands * params.lsh_rows
    con.execute(f"CREATE OR REPLACE TEMP TABLE _ct_docs AS {cotext_docs_sql(params.text_min_tokens)}")
    n_docs = con.execute("SELECT count(*) FROM _ct_docs").fetchone()[0]
    mins = ", ".join(f"min(hash(xor(h, {s}::UBIGINT))) AS h{i}" for i, s in enumerate(seeds(k)))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ct_sig AS
        SELECT platform, account_id, post_id, t, {mins}
        FROM (SELECT platform, account_id, post_id, t, unnest(words) AS h FROM _ct_docs)
        GROUP BY platform, account_id, post_id, t"""
    )
    bands = " UNION ALL ".join(
        f"SELECT platform, account_id, post_id, t, '{j}' AS item, "
        f"hash({j}, {', '.join(f'h{j * params.lsh_rows + r}' for r in range(params.lsh_rows))}) AS ik FROM _ct_sig"
        for j in range(params.lsh_bands)
    )
    _, capped = pair_actions(con, bands, params.window, params.cap, tag=f"{tag}_cand", item_key=True)
    con.execute("DROP TABLE _ct_sig")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _pairs_{tag} AS
        WITH c AS (SELECT DISTINCT platform, account_a, account_b, post_a, post_b, t_a, t_b FROM _pairs_{tag}_cand),
        j AS (
          SELECT c.*, da.norm AS norm_a, db.norm AS norm_b,
                 len(list_intersect(da.words, db.words)) AS inter, len(da.words) AS na, len(db.words) AS nb
          FROM c JOIN _ct_docs da ON da.post_id = c.post_a AND da.platform = c.platform
                 JOIN _ct_docs db ON db.post_id = c.post_b AND db.platform = c.platform)
        SELECT platform, account_a, account_b, post_a, post_b,
               left(CASE WHEN t_a < t_b OR (t_a = t_b AND post_a <= post_b) THEN norm_a ELSE norm_b END, 280) AS item,
               t_a, t_b, inter / (na + nb - inter) AS similarity
        FROM j WHERE inter / (na + nb - inter) >= {float(params.text_threshold)}"""
    )
    con.execute(f"DROP TABLE _pairs_{tag}_cand")
    con.execute(f"DROP TABLE IF EXISTS _act_{tag}_cand")
    # the chance model (lift) counts exact normalised-text repeats as the shared items
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _act_{tag} AS
                    SELECT platform, account_id, post_id, t, norm AS item, hash(norm) AS ik FROM _ct_docs""")
    con.execute("DROP TABLE _ct_docs")
    if len(capped):
        capped["item"] = "near-duplicate texts (LSH band " + capped["item"].astype(str) + ")"
    return int(n_docs), capped
