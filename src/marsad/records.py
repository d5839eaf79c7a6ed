"""The canonical record shapes every reader produces, and the small helpers readers share.

A reader turns one input record (a JSON line, a CSV row, a Telegram message...) into a :class:`Parsed`
holding one *primary* post plus any posts embedded in it (the original of a retweet, a quoted tweet, the
``includes.tweets`` of a v2 page) and the account observations it carries; or into a :class:`Rejected` with a
reason. The same per-record kernels run in the embedded ingest and over Arrow batches at scale.

Post and account fields are plain dicts whose keys are the columns in :data:`POST_FIELDS` and
:data:`ACCOUNT_FIELDS`; missing keys are NULL.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa

# --- canonical columns -------------------------------------------------------------------------------------------

POST_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),  # twitter | facebook | telegram | other
        ("post_id", pa.string()),
        ("account_id", pa.string()),
        ("account_handle", pa.string()),  # handle at posting time, as written (case kept)
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("text", pa.string()),  # full text, never the truncated one; for reposts the original's full text
        ("lang", pa.string()),  # language as given by the platform (may be NULL)
        ("source", pa.string()),  # raw client string (HTML for Twitter v1.1)
        ("repost_of_post_id", pa.string()),
        ("repost_of_account_id", pa.string()),
        ("repost_of_handle", pa.string()),
        ("reply_to_post_id", pa.string()),
        ("reply_to_account_id", pa.string()),
        ("reply_to_handle", pa.string()),
        ("quote_of_post_id", pa.string()),
        ("quote_of_account_id", pa.string()),
        ("mentions", pa.list_(pa.string())),  # handles, lower-case, no '@'
        ("hashtags", pa.list_(pa.string())),  # as written, no '#'
        ("urls", pa.list_(pa.string())),  # expanded where the format gives it
        ("media_urls", pa.list_(pa.string())),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("place_country_code", pa.string()),  # ISO 3166-1 alpha-2 upper-case
        ("place_name", pa.string()),
        ("extra", pa.string()),  # JSON object with format-specific fields kept for fidelity
        ("embedded", pa.bool_()),  # True: only seen inside another record (e.g. the original of a retweet)
        ("record_position", pa.int64()),  # line / row / message number in the input file (1-based)
    ]
)

ACCOUNT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("display_name", pa.string()),
        ("description", pa.string()),
        ("location", pa.string()),  # free-text profile location
        ("utc_offset", pa.int64()),  # seconds
        ("time_zone", pa.string()),
        ("followers", pa.int64()),
        ("following", pa.int64()),
        ("statuses", pa.int64()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("avatar_url", pa.string()),
        ("verified", pa.bool_()),
        ("lang", pa.string()),
        ("observed_at", pa.timestamp("us", tz="UTC")),  # when the platform reported these values
        ("record_position", pa.int64()),
    ]
)

POST_FIELDS = tuple(POST_SCHEMA.names)
ACCOUNT_FIELDS = tuple(ACCOUNT_SCHEMA.names)
LIST_POST_FIELDS = ("mentions", "hashtags", "urls", "media_urls")


@dataclass(slots=True)
class Parsed:
    """One input record read successfully: ``posts[0]`` is the primary post, the rest are embedded ones."""

    position: int
    posts: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Rejected:
    """One input record that goes to quarantine."""

    position: int
    reason: str
    excerpt: str = ""


class RecordError(ValueError):
    """Raised inside a per-record kernel; the reader turns it into a :class:`Rejected`."""


EXCERPT_CHARS = 2000


def excerpt(raw: Any) -> str:
    """A bounded, printable excerpt of a raw record for the quarantine table."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    s = str(raw)
    return s if len(s) <= EXCERPT_CHARS else s[:EXCERPT_CHARS] + "…"


# --- values ------------------------------------------------------------------------------------------------------

PLATFORM_FLOOR = {
    "twitter": datetime(2006, 3, 1, tzinfo=timezone.utc),
    "facebook": datetime(2004, 2, 1, tzinfo=timezone.utc),
    "telegram": datetime(2013, 8, 1, tzinfo=timezone.utc),
}
GENERIC_FLOOR = datetime(1995, 1, 1, tzinfo=timezone.utc)


def check_date(value: datetime | None, platform: str, what: str = "created_at") -> datetime | None:
    """Reject dates before the platform existed or more than two days in the future."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    floor = PLATFORM_FLOOR.get(platform, GENERIC_FLOOR)
    if value < floor:
        raise RecordError(f"{what} {value.isoformat()} is before {platform} existed")
    if value > datetime.now(timezone.utc) + timedelta(days=2):
        raise RecordError(f"{what} {value.isoformat()} is in the future")
    return value


def check_count(value: Any, what: str) -> int | None:
    """Parse a count (followers, statuses...). Accepts '1,234' and '1.234'; negative or absurd values raise."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(f"{what} is a boolean")
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        value = int(value)
    if isinstance(value, str):
        v = value.strip()
        if v in ("", "NA", "NaN", "nan", "None", "null"):
            return None
        v = v.replace(",", "").replace(".", "").replace("\u202f", "").replace(" ", "")
        if not re.fullmatch(r"-?\d+", v):
            raise RecordError(f"{what} is not a number: {value[:40]!r}")
        value = int(v)
    if not isinstance(value, int):
        raise RecordError(f"{what} has type {type(value).__name__}")
    if value < 0:
        raise RecordError(f"{what} is negative ({value})")
    if value > 10**12:
        raise RecordError(f"{what} is absurdly large ({value})")
    return value


def check_coords(lat: Any, lon: Any) -> tuple[float | None, float | None]:
    if lat is None or lon is None:
        return None, None
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        raise RecordError(f"coordinates are not numbers: {lat!r}, {lon!r}") from None
    if la != la or lo != lo:
        return None, None
    if not (-90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
        raise RecordError(f"coordinates out of range: {la}, {lo}")
    return la, lo


def content_id(*parts: Any) -> str:
    """Deterministic id for formats without post ids: a hash of the record's content."""
    h = hashlib.blake2b(digest_size=12)
    for p in parts:
        h.update(b"\x1f" + ("" if p is None else str(p)).encode("utf-8", errors="surrogatepass"))
    return "h" + h.hexdigest()


class ContentIds:
    """Deterministic post ids for formats without them: a hash of the content plus its occurrence number in the
    file. Re-ingest gives the same ids, identical rows within one file stay distinct, and the same post in two
    files (e.g. two exports of one collection) gets the same id and merges."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, *parts: Any) -> str:
        base = content_id(*parts)
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        return base if n == 0 else f"{base}-{n}"


def handle_account_id(handle: str) -> str:
    """Account id for formats that only give a handle: stable, and distinct from numeric platform ids."""
    return "@" + handle.strip().lstrip("@").lower()


_HASHTAG_RE = re.compile(r"(?:^|(?<=[^\w&]))[#＃]([\w\u0600-\u06FF\u0750-\u077F_]+)", re.UNICODE)
_MENTION_RE = re.compile(r"(?:^|(?<=[^\w]))@([A-Za-z0-9_]{1,50})")
_URL_RE = re.compile(r"https?://[^\s<>\"'”“]+", re.IGNORECASE)
_RT_RE = re.compile(r"^\s*RT\s+@([A-Za-z0-9_]{1,50})\s*:?\s*", re.IGNORECASE)


def hashtags_in(text: str | None) -> list[str]:
    return [m for m in _HASHTAG_RE.findall(text or "") if not m.isdigit()]


def mentions_in(text: str | None) -> list[str]:
    return [m.lower() for m in _MENTION_RE.findall(text or "")]


def urls_in(text: str | None) -> list[str]:
    return [u.rstrip(".,;:!?)…") for u in _URL_RE.findall(text or "")]


def split_retweet(text: str | None) -> tuple[str | None, str]:
    """A leading "RT @handle:" (how CSV exports show retweets) split off: (handle or None, the retweeted words)."""
    m = _RT_RE.match(text or "")
    return (m.group(1), (text or "")[m.end():]) if m else (None, text or "")


def retweet_prefix(text: str | None) -> str | None:
    """The handle in a leading "RT @handle:", or None."""
    return split_retweet(text)[0]


def text_entities(text: str | None) -> dict[str, list[str]]:
    """Mentions, hashtags and urls parsed from text, for formats that do not carry entities."""
    return {"mentions": mentions_in(text), "hashtags": hashtags_in(text), "urls": urls_in(text)}
