"""CrowdTangle exports: the dashboard's search/list CSV and the API's JSON posts.

CSV (``crowdtangle-csv``): Page Name, User Name, Facebook Id, Page Category, Page Admin Top Country, Page
Description, Page Created, Likes at Posting, Followers at Posting, Post Created ("2021-07-05 18:02:45 BRT"), Type,
Total Interactions, Likes, Comments, Shares, Love, Wow, Haha, Sad, Angry, Care, ..., URL, Message, Link, Final Link,
Image Text, Link Text, Description, Sponsor *, Overperforming Score. Quirks handled: a UTF-8 BOM, locale thousands
separators in counts ("407.137" is 407,137), a decimal comma in scores ("1,4"), time-zone abbreviations converted to
UTC (Page Created, which has none, is read in the zone of Post Created), multi-line descriptions. The interaction
counts, page category and admin top country go to ``extra``. CrowdTangle's *post history* CSV (one post's
interactions over time) is recognised and refused with a clear error: it holds no posts.

JSON (``crowdtangle-json``): API post objects (``platformId``, ``date`` in UTC, ``message``, ``expandedLinks``,
``statistics.actual``, ``account{...}``) as a single post, a list of posts, a ``{"result": {"posts": [...]}}``
response, or one of those per line.

Post ids are ``<page id>_<post id>`` as CrowdTangle's ``platformId`` writes them, so the same post from the CSV and
the API merges. The account id is the platform's page/profile id.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson

from ..errors import MarsadError
from ..records import (
    ContentIds, Parsed, RecordError, Rejected, check_count, check_date, excerpt, hashtags_in, urls_in,
)
from .base import Reader
from .csvrows import Row, extra_json, header_score, iter_rows, parse_rows, printable, sniff_header
from .generic import parse_datetime
from .io import has_bad_bytes, open_text, read_head, repair

CSV_REQUIRED = {"Page Name", "User Name", "Facebook Id", "Post Created", "Total Interactions", "URL", "Message"}
CSV_TYPICAL = {"Page Category", "Page Admin Top Country", "Page Description", "Page Created", "Likes at Posting",
               "Followers at Posting", "Type", "Likes", "Comments", "Shares", "Link", "Final Link",
               "Overperforming Score"}
HISTORY_COLUMNS = {"ID", "Score Date (GMT)", "Timestep"}
INTERACTIONS = ("Total Interactions", "Likes", "Comments", "Shares", "Love", "Wow", "Haha", "Sad", "Angry", "Care",
                "Post Views", "Total Views", "Total Views For All Crossposts")

# Abbreviations CrowdTangle's dashboards write (the dashboard's zone setting), as UTC offsets in hours. Ambiguous
# abbreviations take the reading listed here: CST = US Central, IST = India, AST = Arabia.
TZ_OFFSETS: dict[str, float] = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "MSK": 3, "AST": 3, "TRT": 3, "GST": 4, "IRST": 3.5, "PKT": 5, "IST": 5.5, "BDT": 6, "ICT": 7, "WIB": 7,
    "SGT": 8, "HKT": 8, "PHT": 8, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
    "BRT": -3, "BRST": -2, "ART": -3, "CLT": -4, "CLST": -3, "COT": -5, "PET": -5, "EST": -5, "EDT": -4,
    "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AKST": -9, "AKDT": -8, "HST": -10,
}
_TZ_SUFFIX = re.compile(r"^(.*\d)\s+([A-Z]{1,5})$")
_FB_POST = re.compile(r"facebook\.com/(?:groups/)?(\d+)/(?:posts|videos|permalink)/(\d+)")


def parse_local_time(value: str | None, fallback_tz: timezone | None = None) -> tuple[datetime | None, timezone | None]:
    """'2021-07-05 18:02:45 BRT' -> (UTC datetime, the zone). Without an abbreviation, ``fallback_tz`` applies
    (UTC when None). Unknown abbreviations raise RecordError."""
    if value is None or not value.strip():
        return None, fallback_tz
    s = value.strip()
    tz = fallback_tz
    m = _TZ_SUFFIX.match(s)
    if m:
        abbr = m.group(2)
        if abbr not in TZ_OFFSETS:
            raise RecordError(f"unknown time zone abbreviation {abbr!r} in {s[:40]!r}")
        tz = timezone(timedelta(hours=TZ_OFFSETS[abbr]), abbr)
        s = m.group(1)
    d = parse_datetime(s)
    if d is None:
        return None, tz
    if tz is not None and not _has_offset(s):
        d = d.replace(tzinfo=tz)  # parse_datetime read the naive local time as UTC: put it in its zone
    return d.astimezone(timezone.utc), tz


def _has_offset(s: str) -> bool:
    return bool(re.search(r"(Z|[+-]\d\d:?\d\d)$", s))


def locale_number(value: str | None, what: str) -> float | None:
    """A score with a decimal comma or point ('1,4', '2.3x', '-0,83')."""
    if value is None or not value.strip() or value.strip() in ("-", "N/A"):
        return None
    v = value.strip().rstrip("x").replace("\u202f", "").replace(" ", "")
    if "," in v and "." in v:  # 1.234,5 or 1,234.5: the last separator is the decimal one
        v = v.replace(".", "").replace(",", ".") if v.rfind(",") > v.rfind(".") else v.replace(",", "")
    else:
        v = v.replace(",", ".")
    try:
        return float(v)
    except ValueError:
        raise RecordError(f"{what} is not a number: {value[:30]!r}") from None


def fb_post_id(url: str | None, page_id: str | None) -> str | None:
    """'<page id>_<post id>' from a Facebook post URL, as CrowdTangle's platformId writes it."""
    m = _FB_POST.search(url or "")
    if m:
        return f"{m.group(1)}_{m.group(2)}"
    return None


class CrowdTangleCsvReader(Reader):
    name = "crowdtangle-csv"
    platform = "facebook"
    description = "CrowdTangle dashboard search/list CSV export (Page Name, User Name, Facebook Id, Post Created ...)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        header = sniff_header(head, path)
        if header and HISTORY_COLUMNS <= set(header):
            return 0.9  # claimed so that records() can say what it is
        return header_score(header, CSV_REQUIRED, CSV_TYPICAL)

    def records(self) -> Iterator[Parsed | Rejected]:
        header = sniff_header(read_head(self.path), self.path) or []
        if HISTORY_COLUMNS <= set(header):
            raise MarsadError(
                f"{self.path}: a CrowdTangle post-history export (one post's interactions over time), not a post "
                "export; it holds no posts to ingest",
                hint="export posts from a CrowdTangle search or list (the 'search-csv-export' file)",
            )
        missing = CSV_REQUIRED - set(header)
        if missing:
            raise MarsadError(f"{self.path}: not a CrowdTangle post CSV (missing columns: {sorted(missing)})")
        weighted = next((c for c in header if c.startswith("Total Interactions (weighted")), None)
        ids = ContentIds()

        def kernel(row: Row) -> Parsed:
            created, tz = parse_local_time(row.get("Post Created"))
            if created is None:  # older exports: separate date and time columns, no zone
                created, tz = parse_local_time(f"{row.get('Post Created Date', '')} {row.get('Post Created Time', '')}")
            created = check_date(created, "facebook", "Post Created")
            if created is None:
                raise RecordError("missing Post Created")
            page_id = (row.get("Facebook Id") or "").strip()
            if page_id and not page_id.isdigit():
                raise RecordError(f"Facebook Id is not a number: {page_id[:30]!r}")
            handle = row.get("User Name")
            account_id = page_id or (f"@{handle.lower()}" if handle else None)
            if not account_id:
                raise RecordError("missing Facebook Id and User Name")
            url = row.get("URL")
            text = row.values.get("Message") or ""
            post_id = fb_post_id(url, page_id) or ids("facebook", account_id, created.isoformat(), url, text)
            counts = {c.lower().replace(" ", "_"): check_count(row.get(c), c) for c in INTERACTIONS if row.get(c)}
            links = [u for u in (row.get("Link"), row.get("Final Link")) if u]
            extra = {
                "type": row.get("Type"), "url": url, **counts,
                "total_interactions_weighted": check_count(row.get(weighted), weighted) if weighted else None,
                "overperforming_score": locale_number(row.get("Overperforming Score"), "Overperforming Score"),
                "page_category": row.get("Page Category"),
                "page_admin_top_country": row.get("Page Admin Top Country"),
                "page_likes_at_posting": check_count(row.get("Likes at Posting"), "Likes at Posting"),
                "image_text": row.get("Image Text"), "link_text": row.get("Link Text"),
                "description": row.get("Description"), "video_length": row.get("Video Length"),
                "sponsor_id": row.get("Sponsor Id"), "sponsor_name": row.get("Sponsor Name"),
                "time_zone": tz.tzname(None) if tz else None,
            }
            post = {
                "platform": "facebook", "post_id": post_id, "account_id": account_id, "account_handle": handle,
                "created_at": created, "text": text, "urls": links + [u for u in urls_in(text) if u not in links],
                "hashtags": hashtags_in(text), "extra": extra_json(extra),
            }
            page_created, _ = parse_local_time(row.get("Page Created"), tz)
            acc = {
                "platform": "facebook", "account_id": account_id, "handle": handle,
                "display_name": row.get("Page Name"), "description": row.get("Page Description"),
                "followers": check_count(row.get("Followers at Posting"), "Followers at Posting"),
                "created_at": check_date(page_created, "facebook", "Page Created"), "observed_at": created,
            }
            return Parsed(row.position, [post], [acc])

        return parse_rows(iter_rows(self.path), kernel)


# --- API JSON ----------------------------------------------------------------------------------------------------


def _api_posts(obj: Any) -> list[dict] | None:
    """The post objects in one parsed JSON value (a post, a list, an API response), or None if it has none."""
    if isinstance(obj, list):
        return [p for p in obj if isinstance(p, dict)]
    if not isinstance(obj, dict):
        return None
    if "platformId" in obj or ("account" in obj and "date" in obj):
        return [obj]
    result = obj.get("result")
    if isinstance(result, dict) and isinstance(result.get("posts"), list):
        return [p for p in result["posts"] if isinstance(p, dict)]
    if isinstance(obj.get("posts"), list):
        return [p for p in obj["posts"] if isinstance(p, dict)]
    return None


def api_post(p: dict, position: int, ids: ContentIds) -> Parsed:
    """Per-record kernel: one CrowdTangle API post object."""
    platform = str(p.get("platform") or "facebook").lower()
    created = check_date(parse_datetime(p.get("date")), platform, "date")
    if created is None:
        raise RecordError("post has no date")
    acc_obj = p.get("account") if isinstance(p.get("account"), dict) else {}
    account_id = str(acc_obj.get("platformId") or acc_obj.get("id") or "") or None
    handle = acc_obj.get("handle")
    text = p.get("message") or ""
    post_id = p.get("platformId") or ids(platform, account_id, created.isoformat(), p.get("postUrl"), text)
    links = [lk.get("expanded") or lk.get("original") for lk in p.get("expandedLinks") or [] if isinstance(lk, dict)]
    links = [u for u in links if u] or ([p["link"]] if p.get("link") else [])
    media = [m.get("full") or m.get("url") for m in p.get("media") or [] if isinstance(m, dict)]
    stats = p.get("statistics") if isinstance(p.get("statistics"), dict) else {}
    actual = stats.get("actual") if isinstance(stats.get("actual"), dict) else {}
    for k, v in actual.items():
        check_count(v, f"statistics.actual.{k}")
    lang = p.get("languageCode")
    extra = {"type": p.get("type"), "title": p.get("title"), "caption": p.get("caption"),
             "description": p.get("description"), "url": p.get("postUrl"), "score": p.get("score"),
             "statistics": actual, "expected": stats.get("expected"), "crowdtangle_id": p.get("id"),
             "account_type": acc_obj.get("accountType"), "page_category": acc_obj.get("pageCategory"),
             "page_admin_top_country": acc_obj.get("pageAdminTopCountry"), "updated": p.get("updated")}
    post = {"platform": platform, "post_id": str(post_id), "account_id": account_id, "account_handle": handle,
            "created_at": created, "text": text, "lang": None if lang in (None, "und") else lang,
            "urls": links + [u for u in urls_in(text) if u not in links], "hashtags": hashtags_in(text),
            "media_urls": [u for u in media if u], "extra": extra_json(extra)}
    accounts = []
    if account_id:
        accounts.append({
            "platform": platform, "account_id": account_id, "handle": handle, "display_name": acc_obj.get("name"),
            "followers": check_count(acc_obj.get("subscriberCount"), "subscriberCount"),
            "avatar_url": acc_obj.get("profileImage"), "verified": acc_obj.get("verified"),
            "observed_at": check_date(parse_datetime(p.get("updated")), platform, "updated") or created,
        })
    return Parsed(position, [post], accounts)


def _load_whole(data: str) -> tuple[Any, bool]:
    """(the file as one JSON document or None when it is not one, whether Windows-1252 bytes were repaired)."""
    try:
        return orjson.loads(data.encode("utf-8", errors="surrogateescape")), False
    except orjson.JSONDecodeError:
        pass
    if has_bad_bytes(data):
        try:
            return orjson.loads(repair(data)[0]), True
        except (UnicodeError, orjson.JSONDecodeError):
            pass
    return None, False


class CrowdTangleJsonReader(Reader):
    name = "crowdtangle-json"
    platform = "facebook"
    description = "CrowdTangle API posts JSON (a post, a list of posts, {result: {posts}} or one per line)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        h = head.lstrip()
        if not h.startswith(("{", "[")):
            return 0.0
        score = sum(k in head for k in ('"platformId"', '"expandedLinks"', '"statistics"', '"subscriberCount"',
                                        '"accountType"', '"postUrl"'))
        return 0.0 if score < 3 else min(0.95, 0.6 + 0.07 * score)

    def records(self) -> Iterator[Parsed | Rejected]:
        ids = ContentIds()
        with open_text(self.path) as f:
            data = f.read()
        whole, repaired = _load_whole(data)
        if whole is not None:
            posts = _api_posts(whole)
            if posts is None:
                raise MarsadError(f"{self.path}: JSON holds no CrowdTangle posts")
            for item in self._posts(((i, p) for i, p in enumerate(posts, start=1)), ids):
                if repaired and isinstance(item, Parsed):
                    item.posts[0]["_repaired"] = True  # the whole document needed the repair
                yield item
            return
        # JSON lines: each line a post, a list of posts or an API response
        def lines() -> Iterator[tuple[int, Any]]:
            n = 0
            for lineno, line in enumerate(data.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line.encode("utf-8", errors="surrogateescape"))
                except orjson.JSONDecodeError as e:
                    n += 1
                    yield n, Rejected(n, f"malformed JSON on line {lineno}: {e}", excerpt(printable(line)))
                    continue
                for p in _api_posts(obj) or [None]:
                    n += 1
                    yield n, p if p is not None else Rejected(n, f"line {lineno} holds no CrowdTangle post",
                                                               excerpt(line))
        yield from self._posts(lines(), ids)

    @staticmethod
    def _posts(items: Iterator[tuple[int, Any]], ids: ContentIds) -> Iterator[Parsed | Rejected]:
        for i, p in items:
            if isinstance(p, Rejected):
                yield p
                continue
            try:
                yield api_post(p, i, ids)
            except RecordError as e:
                yield Rejected(i, str(e), excerpt(orjson.dumps(p).decode()))
