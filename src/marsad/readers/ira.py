"""FiveThirtyEight's IRA "Russian troll" tweets (Linvill & Warren), in its two layouts.

* The original 21-column layout (``IRAhandle_tweets_N.csv``): external_author_id, author, content, region, language,
  publish_date, harvested_date, following, followers, updates, post_type, account_type, retweet,
  account_category, new_june_2018, alt_external_id, tweet_id, article_url, tco1_step1..tco3_step1. Copies that went
  through Excel carry ``9.06E+17`` ids and ``10/1/17 19:58`` dates; the status id and account id are then taken
  from ``article_url`` (``twitter.com/<account id>/statuses/<status id>``), which Excel leaves intact.
* bet4a's by-author 11-column layout: author_id, content, region, language, publish_date, harvested_date,
  following, followers, updates, post_type (R, Q or blank), retweet. The author columns live in an authors file
  beside the tweets (``bet4a_authors.csv`` or ``authors.csv``), joined on ``author_id`` for the handle, the
  platform account id and Linvill & Warren's ``account_category`` / ``account_type``.

Account ids are the platform ids where a trustworthy one is given (``external_author_id`` unless Excel rounded it,
else the id in ``article_url`` or ``congress_2017_id``), else ``@handle``. ``account_category``, ``account_type``,
``region``, the raw ``language`` and ``post_type`` go to each post's ``extra``; following/followers/updates are
account observations at ``harvested_date``. Dates are taken as UTC.

The data carry no retweet metadata and retweet texts have no "RT @x:" prefix, so the retweeted account is unknown.
A retweet (post_type R / RETWEET) gets ``repost_of_post_id`` = a content id of the retweeted text (same text -> same
stand-in original; ``extra.repost_of`` = "content-derived") so reposts are still reposts; ``extra.post_type`` says
Q for quotes, whose quoted tweet is unknown.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ..errors import MarsadError
from ..records import (
    ContentIds, Parsed, RecordError, Rejected, check_date, content_id, handle_account_id,
)
from .base import Reader
from .csvrows import (
    Row, count_cell, extra_json, header_score, iter_rows, parse_rows, read_header, sniff_header, text_fields,
)
from .generic import parse_datetime
from .io import open_text

PLATFORM = "twitter"
ORIGINAL_REQUIRED = {"external_author_id", "author", "content", "publish_date", "post_type", "account_category"}
ORIGINAL_TYPICAL = {"region", "language", "harvested_date", "following", "followers", "updates", "account_type",
                    "retweet", "new_june_2018", "alt_external_id", "tweet_id", "article_url", "tco1_step1"}
BET4A_REQUIRED = {"author_id", "content", "publish_date", "harvested_date", "post_type", "retweet"}
BET4A_TYPICAL = {"region", "language", "following", "followers", "updates"}
AUTHORS_FILES = ("bet4a_authors.csv", "authors.csv")

_STATUS_URL = re.compile(r"twitter\.com/(?:(\d+)|[A-Za-z0-9_]+)/status(?:es)?/(\d+)")
_LANG_OVERRIDES = {"malay": "ms", "greek": "el", "farsi": "fa", "filipino": "tl"}


def _digits(value: str | None) -> str | None:
    if not value:
        return None
    if value.isdigit():
        return value if int(value) else None
    v = value.strip()
    if re.fullmatch(r"\d+\.0*", v):
        v = v.split(".")[0]
    if re.fullmatch(r"\d+(\.\d+)?[eE]\+?\d+", v):  # 9.06E+17: keep the rounded digits for rounds_to()
        v = str(int(float(v)))
    return v if v.isdigit() and int(v) else None


def _rounded(v: str) -> bool:
    return len(v) - len(v.rstrip("0")) >= 6  # a float rounded to a few significant digits


def clean_id(value: str | None) -> str | None:
    """A platform id as digits, or None when missing or rounded by a spreadsheet (9.06E+17, 906000000000000000)."""
    v = _digits(value)
    return None if v is None or _rounded(v) else v


def rounds_to(candidate: str | None, rounded: str | None) -> bool:
    """Whether a full id, rounded to the significant digits a spreadsheet kept, gives the rounded id."""
    c, r = _digits(candidate), _digits(rounded)
    if not c or not r or len(c) != len(r) or not _rounded(r):
        return False
    zeros = len(r) - len(r.rstrip("0"))
    return round(int(c), -zeros) == int(r) or int(c) // 10**zeros == int(r) // 10**zeros


@lru_cache(maxsize=512)
def language_code(name: str) -> str | None:
    """ISO 639-1 code for the dataset's language names ("English", "Farsi (Persian)", "LANGUAGE UNDEFINED")."""
    import pycountry

    candidates = [name] + [p.strip() for p in re.split(r"[()]", name) if p.strip()]
    for c in candidates:
        if c.lower() in _LANG_OVERRIDES:
            return _LANG_OVERRIDES[c.lower()]
        try:
            code = getattr(pycountry.languages.lookup(c), "alpha_2", None)
        except LookupError:
            continue
        if code:
            return code
    return None


def load_authors(tweets_path: Path) -> dict[str, dict[str, str]]:
    """The bet4a authors table beside a by-author tweets file, keyed by author_id ({} when there is none)."""
    for name in AUTHORS_FILES:
        p = tweets_path.parent / name
        if p.is_file():
            with open_text(p) as f:
                reader = csv.DictReader(f)
                if not reader.fieldnames or "author_id" not in reader.fieldnames:
                    raise MarsadError(f"{p}: not an IRA authors file (no author_id column)")
                return {r["author_id"]: r for r in reader}
    return {}


class Ira538Reader(Reader):
    name = "ira-538"
    platform = PLATFORM
    description = "FiveThirtyEight IRA troll tweets CSV (original 21 columns, or bet4a by-author + authors.csv)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        header = sniff_header(head, path)
        return max(header_score(header, ORIGINAL_REQUIRED, ORIGINAL_TYPICAL),
                   header_score(header, BET4A_REQUIRED, BET4A_TYPICAL))

    def records(self) -> Iterator[Parsed | Rejected]:
        header = read_header(self.path)
        authors = load_authors(self.path) if "author" not in header else {}  # by-author layout only
        ids = ContentIds()
        account_of: dict[str, tuple[str, str, dict[str, Any]]] = {}

        def author(row: Row) -> tuple[str, str, dict[str, Any]]:
            """(account_id, handle, author extra) for the row's author."""
            key = row.get("author_id") or row.get("author") or ""
            if key in account_of and "article_url" not in row.values:
                return account_of[key]
            a = authors.get(key) or row.values
            handle = (a.get("author") or key).strip()
            if not handle:
                raise RecordError("missing author")
            article_url = row.get("article_url")
            url = _STATUS_URL.search(article_url) if article_url else None
            ext = a.get("external_author_id")
            account_id = clean_id(ext) or (url.group(1) if url and url.group(1) else None)
            if account_id is None and rounds_to(a.get("congress_2017_id"), ext):
                account_id = clean_id(a.get("congress_2017_id"))  # the rounded id is this account's
            account_id = account_id or handle_account_id(handle)
            extra = {k: a.get(k) for k in ("account_category", "account_type", "new_june_2018")}
            if authors and key not in authors:
                extra["author_unknown"] = True
            account_of[key] = (account_id, handle, extra)
            return account_of[key]

        def kernel(row: Row) -> Parsed:
            account_id, handle, author_extra = author(row)
            text = row.values.get("content") or ""  # one real row has empty content; its metadata is kept
            created = check_date(parse_datetime(row.get("publish_date")), PLATFORM, "publish_date")
            if created is None:
                raise RecordError("missing publish_date")
            harvested = check_date(parse_datetime(row.get("harvested_date")), PLATFORM, "harvested_date")
            post = text_fields(text)
            article_url = row.get("article_url")
            url = _STATUS_URL.search(article_url) if article_url else None
            post_id = clean_id(row.get("tweet_id")) or (url.group(2) if url else None)
            if post_id is None:
                post_id = ids(PLATFORM, account_id, created.isoformat(), text)
            post_type = (row.get("post_type") or "").upper()
            extra: dict[str, Any] = {**author_extra, "region": row.get("region"), "language": row.get("language"),
                                     "post_type": post_type, "alt_external_id": row.get("alt_external_id")}
            if post_type in ("R", "RETWEET") and not post.get("repost_of_handle"):
                post["repost_of_post_id"] = content_id(PLATFORM, "retweeted-text", post["text"])
                extra["repost_of"] = "content-derived"
            tco = [u for u in (row.get("tco1_step1"), row.get("tco2_step1"), row.get("tco3_step1")) if u]
            if tco:
                post["urls"] = tco + [u for u in post["urls"] if "//t.co/" not in u]
            lang = row.get("language")
            post.update(platform=PLATFORM, post_id=post_id, account_id=account_id, account_handle=handle,
                        created_at=created, lang=language_code(lang) if lang else None, extra=extra_json(extra))
            acc = {"platform": PLATFORM, "account_id": account_id, "handle": handle,
                   "followers": count_cell(row.get("followers"), "followers"),
                   "following": count_cell(row.get("following"), "following"),
                   "statuses": count_cell(row.get("updates"), "updates"),
                   "observed_at": harvested or created}
            return Parsed(row.position, [post], [acc])

        return parse_rows(iter_rows(self.path), kernel)
