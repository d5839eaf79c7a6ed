"""Shout-out posts: posts that introduce or vouch for accounts ("follow and support", "new account",
"حسابه الجديد", "الحساب البديل", "ادعموا", "بعد الإغلاق", bare lists of handles), and the accounts they promote.

A post is a shout-out when it is not a repost, mentions at least one other account, and either contains a cue
phrase (Arabic or English; Arabic is matched after normalising alef/hamza forms, ta marbuta, alef maqsura and
diacritics) or is a bare list of at least ``MIN_LIST`` handles with almost no other text. Handles at the very start
of a post are how replies address people (conversation threads), not a list: a handle list counts only the handles
after that prefix. The promoted accounts are the mentions after the prefix (all mentions when there are none
after it), minus the author and the account it replies to. Runs as DuckDB SQL (RE2), so it scales.

Result table ``shoutout_posts(platform, post_id, account_id, created_at, cue, n_promoted, promoted_handle,
promoted_account_id)``: one row per (post, promoted account).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .base import make_handle_map, window_sql

if TYPE_CHECKING:
    from ..workspace import Workspace

MIN_LIST = 3
#: at most this many characters of other text for a bare handle list
LIST_MAX_OTHER_CHARS = 30

CUES_EN = [
    r"follow\s*(and|&|\+|n|/)\s*(support|share|spread)",
    r"(please|pls|plz|kindly)\s+(follow|support)",
    r"follow\s+(our|this|my|the)\s+(brother|sister|bro|akhi|ukhti|akh)",
    r"(new|backup|back-up|reserve|alternative|alt|spare|second)\s+(acc|account|handle|id)\b",
    r"\b(is|he'?s|she'?s|i'?m|we'?re)\s+back\b", r"back\s+again", r"\b(returned|came\s+back)\b",
    r"after\s+(the\s+|his\s+|her\s+)?suspension", r"account\s+(was\s+|got\s+|has\s+been\s+)?suspended",
    r"(?:^|\n)\s*f[o0]ll[o0]w\b", r"\bf[o0]ll[o0]w\s*:?\s*@", r"(?:^|[^@\w])support\s*:?\s*@",
    r"shout\s*-?\s*out", r"#ff\b", r"support\s+(him|her|them|the\s+brother|the\s+sister|our\s+(brother|sister))",
    r"spread\s+(the\s+word|his|her|this\s+account)", r"\breturns?\s+as\b", r"support\s+these\b",
    r"\b(suivez|soutenez)\b", r"nouveau\s+compte",
]
CUES_AR = [
    "حسابه الجديد", "حسابها الجديد", "حسابي الجديد", "حسابنا الجديد", "الحساب الجديد", "حساب جديد",
    "حسابه البديل", "حسابها البديل", "الحساب البديل", "حساب بديل", "الحساب الاحتياطي", "حساب احتياطي",
    "ادعموا", "ادعموه", "ادعموها", "ادعمو ", "دعم الحساب", "دعم حساب",
    "تابعوا", "تابعوه", "تابعوها", "تابعو ", "تابع وادعم", "تابع و ادعم",
    "بعد الاغلاق", "بعد الحذف", "بعد التعليق", "بعد الحظر", "بعد التوقيف",
    "عاد الاخ", "عادت الاخت", "عاد الينا", "عاد من جديد", "عوده الاخ", "رجع الاخ", "انشروا الحساب",
    "بديل حسابه", "حسابه المعلق", "حسابه السابق", "حسابه القديم",
]
_AR_FROM, _AR_TO = "أإآٱىة", "اااايه"
_DIACRITICS = r"[\x{064B}-\x{065F}\x{0670}\x{0640}]"


def normalise_arabic(text: str) -> str:
    """The same normalisation the SQL applies (for tests and for callers matching in Python)."""
    text = re.sub(r"[\u064B-\u065F\u0670\u0640]", "", text or "")
    return text.translate(str.maketrans(_AR_FROM, _AR_TO)).lower()


def cue_pattern() -> str:
    ar = "|".join(re.escape(normalise_arabic(c)) for c in CUES_AR)
    return "(" + "|".join(CUES_EN) + "|" + ar + ")"


def detect(ws: "Workspace", since: Any = None, until: Any = None, *, table: str = "shoutout_posts") -> int:
    """(Re)build ``shoutout_posts`` (or a temp table of another name, e.g. for one time window); returns the number
    of shout-out posts found."""
    cond = window_sql(since, until)
    make_handle_map(ws)
    pat = cue_pattern().replace("'", "''")
    ws.con.execute(
        f"""CREATE OR REPLACE {'TABLE' if table == 'shoutout_posts' else 'TEMP TABLE'} {table} AS
        WITH p AS (
          SELECT platform, post_id, account_id, created_at,
                 lower(translate(regexp_replace(text, '{_DIACRITICS}', '', 'g'), '{_AR_FROM}', '{_AR_TO}')) AS t,
                 list_filter(list_distinct(mentions),
                             m -> m <> lower(coalesce(account_handle, ''))
                                  AND m <> lower(coalesce(reply_to_handle, ''))) AS promoted
          FROM posts
          WHERE NOT embedded AND repost_of_account_id IS NULL AND repost_of_handle IS NULL
            AND len(mentions) > 0 AND account_id IS NOT NULL AND ({cond})),
        q AS (
          SELECT *, regexp_extract(t, '^(\\s*[.]?@[a-z0-9_]+)+') AS prefix FROM p WHERE len(promoted) > 0),
        c AS (
          SELECT *, regexp_extract(t, '{pat}', 1) AS cue,
                 list_intersect(promoted, regexp_extract_all(substr(t, length(prefix) + 1), '@([a-z0-9_]+)', 1))
                   AS listed,
                 length(regexp_replace(substr(t, length(prefix) + 1),
                                       '@[a-z0-9_]+|#[^\\s]+|https?://[^\\s]+|[\\s[:punct:]]', '', 'g')) AS other
          FROM q),
        s AS (
          SELECT platform, post_id, account_id, created_at,
                 CASE WHEN cue <> '' THEN trim(cue) ELSE 'handle list' END AS cue,
                 CASE WHEN len(listed) > 0 THEN listed ELSE promoted END AS promoted
          FROM c WHERE cue <> '' OR (len(listed) >= {MIN_LIST} AND other <= {LIST_MAX_OTHER_CHARS}))
        SELECT s.platform, s.post_id, s.account_id, s.created_at, s.cue, len(s.promoted) AS n_promoted,
               s.h AS promoted_handle, coalesce(h.account_id, '@' || s.h) AS promoted_account_id
        FROM (SELECT *, unnest(promoted) AS h FROM s) s
        LEFT JOIN _net_handles h ON h.platform = s.platform AND h.h = s.h"""
    )
    return ws.con.execute(f"SELECT count(DISTINCT (platform, post_id)) FROM {table}").fetchone()[0]


def ensure(ws: "Workspace", since: Any = None, until: Any = None) -> str:
    """The name of a table of shout-outs for the window: ``shoutout_posts`` (built when missing) for all time,
    a temp table for a window (so the workspace table keeps all time)."""
    from .base import table_exists

    if since or until:
        detect(ws, since, until, table="_window_shoutouts")
        return "_window_shoutouts"
    if not table_exists(ws, "shoutout_posts"):
        detect(ws)
    return "shoutout_posts"
