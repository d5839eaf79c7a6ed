"""What counts as "the same action" for each coordination behaviour, as DuckDB SQL over the ``posts`` table.

Every behaviour is reduced to *actions*: one row per (post, item) with the acting account and the time in
milliseconds. Two accounts co-act when they act on the same item within the time window. The items are:

``corepost``   the reposted post: ``repost_of_post_id`` where the format gives it; for exports that only show
               "RT @handle: text" (the IRA CSVs, many CSV exports) the item is the reposted handle plus an md5 of
               the repost's full text, which is the same string for every repost of one original
``colink``     a URL in a post that is not a repost, normalised by :func:`url_key_sql` (scheme, ``www.``,
               fragment, tracking parameters and trailing slash dropped; host lower-cased)
``cohashtag``  each hashtag (case-folded, Arabic-normalised) and, for posts with two or more, the ordered
               hashtag sequence; posts that are not reposts
``coreply``    the post replied to (``reply_to_post_id``); where a format only names the account replied to, that
               account; posts that are not reposts
``cotext``     near-duplicate text: see :mod:`marsad.coordination.cotext` (items are prefix words: each text's rarest)

Only collected posts count (``NOT embedded``): the original of a retweet seen inside it is not an action of its
author at that time. Posts without a time or an account cannot co-occur and are counted as skipped.
"""
from __future__ import annotations

BEHAVIOURS = ("corepost", "colink", "cohashtag", "coreply", "cotext")

# Arabic letter variants folded together (alef forms, alef maqsura, teh marbuta, Persian kaf/yeh, hamza on waw/yeh,
# Arabic-Indic and Persian digits) and the marks dropped (harakat, superscript alef, tatweel), as in
# marsad.text.normalise; kept in SQL so that normalisation runs vectorised inside DuckDB on millions of posts.
_AR_FROM = "أإآٱىةکیۀؤئ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
_AR_TO = "اااايهكيهوي01234567890123456789"
_AR_MARKS = r"[\x{0610}-\x{061A}\x{064B}-\x{065F}\x{0670}\x{06D6}-\x{06ED}\x{0640}]"


def fold_sql(expr: str) -> str:
    """SQL: lower-case, Arabic letter variants folded and diacritics/tatweel removed."""
    return f"translate(regexp_replace(lower({expr}), '{_AR_MARKS}', '', 'g'), '{_AR_FROM}', '{_AR_TO}')"



_ARABIC = r"[\x{0600}-\x{06FF}]"
# ASCII punctuation and spaces plus common Arabic/typographic punctuation: the word separators
_SEPARATORS = r"[[:space:]!-/:-@\[-`{-~،؛؟«»…“”‘’]+"


def text_tokens_sql(expr: str) -> str:
    """SQL: the words of a text for near-duplicate detection: links, @mentions and a leading "RT" removed,
    lower-cased, Arabic letter variants and diacritics folded, split on spaces and punctuation ('#' is dropped,
    the hashtag's word kept). Written to avoid regex work on texts that do not need it (most of them)."""
    s = f"lower({expr})"
    s = (f"CASE WHEN contains({s}, '@') OR contains({s}, 'http') OR contains({s}, 'www.') "
         f"THEN regexp_replace({s}, 'https?://[^[:space:]]+|www\\.[^[:space:]]+|@[a-z0-9_]+', ' ', 'g') ELSE {s} END")
    s = f"CASE WHEN regexp_matches({expr}, '{_ARABIC}') THEN {fold_sql(s)} ELSE {s} END"
    return f"list_filter(string_split_regex({s}, '{_SEPARATORS}'), w -> w <> '')"


def drop_rt_sql(tokens: str) -> str:
    """SQL: a token list without a leading 'rt' (apply to a column, not to a repeated expression)."""
    return f"(CASE WHEN {tokens}[1] = 'rt' THEN {tokens}[2:] ELSE {tokens} END)"


def text_norm_sql(expr: str) -> str:
    """SQL: the normalised text (the words of :func:`text_tokens_sql` joined by single spaces, no leading RT)."""
    return f"array_to_string({drop_rt_sql(text_tokens_sql(expr))}, ' ')"


def url_key_sql(expr: str) -> str:
    """SQL: a URL normalised for co-link: host lower-cased without ``www.``/default port, scheme, fragment,
    tracking parameters (utm_*, fbclid, gclid, igshid, ref_src, si) and trailing slash dropped."""
    u = f"regexp_replace(trim({expr}), '#.*$', '')"
    host = f"lower(regexp_extract({u}, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?]+)', 1))"
    host = f"regexp_replace({host}, '^www\\.|:(80|443)$', '', 'g')"
    rest = f"regexp_extract({u}, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?]+(.*)$', 1)"
    rest = f"regexp_replace({rest}, '([?&])(utm_[^=&]*|fbclid|gclid|igshid|ref_src|si)=[^&]*', '\\1', 'g')"
    rest = f"regexp_replace(regexp_replace({rest}, '[?&]+$', ''), '\\?&+', '?', 'g')"
    rest = f"regexp_replace(regexp_replace({rest}, '&&+', '&', 'g'), '/+([?]|$)', '\\1')"
    return f"CASE WHEN {host} = '' THEN lower(trim({expr})) ELSE {host} || {rest} END"


def repost_item_sql() -> str:
    """SQL expression (over ``posts``) of the co-repost item, NULL for posts that are not reposts."""
    rt = "regexp_extract(text, '^[[:space:]]*RT[[:space:]]+@([A-Za-z0-9_]+)', 1)"
    return f"""CASE
      WHEN repost_of_post_id IS NOT NULL THEN platform || ':' || repost_of_post_id
      WHEN repost_of_handle IS NOT NULL OR repost_of_account_id IS NOT NULL
        THEN platform || ':rt:' || lower(coalesce(repost_of_handle, repost_of_account_id)) || ':'
             || md5(coalesce(text, ''))
      WHEN starts_with(ltrim(text), 'RT') AND {rt} <> '' THEN platform || ':rt:' || lower({rt}) || ':' || md5(text)
    END"""


def is_repost_sql() -> str:
    """SQL: the post is a repost (same test as :func:`repost_item_sql` being non-NULL, cheaper)."""
    return ("(repost_of_post_id IS NOT NULL OR repost_of_handle IS NOT NULL OR repost_of_account_id IS NOT NULL"
            " OR (starts_with(ltrim(text), 'RT')"
            " AND regexp_matches(text, '^[[:space:]]*RT[[:space:]]+@[A-Za-z0-9_]')))")


_BASE = "FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND created_at IS NOT NULL"


def actions_sql(behaviour: str) -> str:
    """SQL selecting (platform, account_id, post_id, t, item) rows for one behaviour (not ``cotext``)."""
    cols = "platform, account_id, post_id, epoch_ms(created_at) AS t"
    if behaviour == "corepost":
        return f"SELECT {cols}, {repost_item_sql()} AS item {_BASE} AND {is_repost_sql()}"
    if behaviour == "colink":
        return f"""SELECT DISTINCT platform, account_id, post_id, t, {url_key_sql('u')} AS item FROM (
          SELECT {cols}, unnest(urls) AS u {_BASE} AND NOT {is_repost_sql()} AND len(urls) > 0)
          WHERE u IS NOT NULL AND trim(u) <> ''"""
    if behaviour == "cohashtag":
        tag = fold_sql("h")
        return f"""WITH tagged AS (
            SELECT {cols}, list_filter([{tag} FOR h IN hashtags], x -> x <> '') AS tags
            {_BASE} AND NOT {is_repost_sql()} AND hashtags IS NOT NULL AND len(hashtags) > 0)
          SELECT DISTINCT platform, account_id, post_id, t, '#' || unnest(tags) AS item FROM tagged
          UNION ALL
          SELECT platform, account_id, post_id, t, '#seq:' || array_to_string(tags, ' ') FROM tagged
          WHERE len(tags) > 1"""
    if behaviour == "coreply":
        return f"""SELECT {cols}, CASE WHEN reply_to_post_id IS NOT NULL THEN platform || ':' || reply_to_post_id
                     ELSE platform || ':@' || lower(coalesce(reply_to_account_id, reply_to_handle)) END AS item
          {_BASE} AND NOT {is_repost_sql()}
            AND (reply_to_post_id IS NOT NULL OR reply_to_account_id IS NOT NULL OR reply_to_handle IS NOT NULL)"""
    raise ValueError(f"no action SQL for behaviour {behaviour!r}")


def parse_behaviours(spec: str | None) -> tuple[str, ...]:
    """'corepost,colink' -> ('corepost', 'colink'); None or 'all' -> every behaviour."""
    from ..errors import MarsadError

    if not spec or spec.strip().lower() == "all":
        return BEHAVIOURS
    out = []
    for b in spec.split(","):
        b = b.strip().lower().replace("-", "").replace("_", "")
        if not b:
            continue
        if b not in BEHAVIOURS:
            raise MarsadError(f"unknown behaviour {b!r}; choose from {', '.join(BEHAVIOURS)}")
        if b not in out:
            out.append(b)
    if not out:
        raise MarsadError("no behaviour given; choose from " + ", ".join(BEHAVIOURS))
    return tuple(out)
