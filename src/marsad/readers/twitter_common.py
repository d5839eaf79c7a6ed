"""What the Twitter JSON readers (v1.1, Gnip activity streams, v2/twarc2) share.

* Fast value helpers: Twitter and ISO dates (cached, checked once per distinct string), counts, ids, strings.
* JSON decoding and streaming of arrays / pretty-printed files come from :mod:`.jsonstream`.
* :class:`TwitterJsonReader`: the driver the three readers share. It picks line mode (JSONL) or stream mode
  from the file's beginning and runs the reader's kernels: ``parse_line(line, position, options)`` per JSONL
  line (a plain function, which the parallel ingest runs in worker processes over byte ranges) and
  ``value_records(obj, position)`` per decoded value (array elements, pretty-printed objects).
* :func:`classify`: which Twitter format a decoded JSON object is in; the three ``sniff`` methods vote with it.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator

import orjson

from ..errors import MarsadError
from ..records import EXCERPT_CHARS, Parsed, RecordError, Rejected, check_count, check_date, excerpt
from .base import LineReader
from .io import open_binary
from .jsonstream import DECODER, SKIP, PrefixedStream, iter_json_values, load_line, peek_line_mode

PLATFORM = "twitter"

#: exceptions a kernel may raise on a record of the wrong shape (a list where an object belongs, ...); the
#: driver turns them into a :class:`Rejected` instead of letting one odd record stop the file.
SHAPE_ERRORS = (KeyError, TypeError, AttributeError, ValueError, IndexError, OverflowError)

# --- values --------------------------------------------------------------------------------------------------------

_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                                       "Dec"), start=1)}


@lru_cache(maxsize=65536)
def _parse_time(s: str) -> datetime:
    # Twitter v1.1: "Wed May 24 19:51:35 +0000 2017" (always +0000 in practice)
    if len(s) == 30 and s[3] == " " and s[19:26] == " +0000 ":
        mon = _MONTHS.get(s[4:7])
        if mon is not None:
            try:
                d = datetime(int(s[26:30]), mon, int(s[8:10]), int(s[11:13]), int(s[14:16]), int(s[17:19]),
                             tzinfo=timezone.utc)
            except ValueError:
                raise RecordError(f"unreadable date {s[:40]!r}") from None
            return check_date(d, PLATFORM)
    try:  # ISO 8601: v2 "2017-05-24T20:32:51.000Z", Gnip, re-exported v1
        d = datetime.fromisoformat(s)
    except ValueError:
        try:
            d = datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y")
        except ValueError:
            raise RecordError(f"unreadable date {s[:40]!r}") from None
    d = d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)
    return check_date(d, PLATFORM)


def to_time(value: Any, what: str = "created_at") -> datetime | None:
    """A Twitter (v1.1 or ISO) date string or epoch milliseconds as an aware UTC datetime; None stays None."""
    if value is None:
        return None
    if value.__class__ is str:
        try:
            return _parse_time(value)
        except RecordError as e:
            raise RecordError(f"{what}: {e}") from None
    if value.__class__ is int:  # timestamp_ms
        try:
            d = datetime.fromtimestamp(value / 1000 if value > 10**11 else value, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise RecordError(f"{what} out of range: {value}") from None
        return check_date(d, PLATFORM, what)
    raise RecordError(f"{what} has type {type(value).__name__}")


def count(value: Any, what: str) -> int | None:
    """A non-negative count; the common case (a small int) without the general checks."""
    if value.__class__ is int and 0 <= value <= 10**12:
        return value
    return check_count(value, what)


def to_int(value: Any, what: str) -> int | None:
    """A signed integer (e.g. a UTC offset in seconds), from an int or a numeric string."""
    if value is None or value.__class__ is int:
        return value
    if value.__class__ is str:
        v = value.strip()
        if not v:
            return None
        try:
            return int(v)
        except ValueError:
            raise RecordError(f"{what} is not a number: {value[:40]!r}") from None
    if value.__class__ is float and value == value:
        return int(value)
    raise RecordError(f"{what} has type {type(value).__name__}")


def to_str(value: Any, what: str) -> str | None:
    """A string field; numbers are written out, objects and arrays are an error."""
    if value.__class__ is str or value is None:
        return value
    if value.__class__ in (int, float, bool):
        return str(value)
    raise RecordError(f"{what} has type {type(value).__name__}")


def to_bool(value: Any) -> bool | None:
    if value is None or value.__class__ is bool:
        return value
    if value in (0, 1):
        return bool(value)
    if value.__class__ is str and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def to_id(value: Any, what: str) -> str | None:
    """A numeric Twitter id as a string ("867468138991964160"); None when absent."""
    if value is None:
        return None
    if value.__class__ is str:
        if value.isdigit():
            return value
        if not value:
            return None
        raise RecordError(f"{what} is not numeric: {value[:40]!r}")
    if value.__class__ is int and value >= 0:
        return str(value)
    raise RecordError(f"{what} has type {type(value).__name__}")


def strs(items: Any, key: str, lower: bool = False) -> list[str]:
    """``[item[key] for item in items]`` keeping only string values (entity lists)."""
    if not items:
        return []
    out = []
    for it in items:
        v = it.get(key)
        if v.__class__ is str:
            out.append(v.lower() if lower else v)
    return out


def dumps_extra(extra: dict[str, Any]) -> str | None:
    """The ``extra`` column: a JSON object of the format-specific fields kept for fidelity, or NULL."""
    if not extra:
        return None
    try:
        return orjson.dumps(extra).decode()
    except TypeError:  # integers beyond 64 bits and the like: keep them as text
        return json.dumps(extra, ensure_ascii=False, default=str)


class RecordPosts:
    """The posts and account observations of one record as a kernel assembles them: the primary post first, then
    each embedded post (a retweeted original, a quoted tweet) once. An embedded object that cannot be read is left
    out and named in the primary's ``extra.dropped_embedded``; embedded authors are observed at the primary's time.
    """

    def __init__(self, post: dict[str, Any], account: dict[str, Any], position: int):
        self.posts, self.accounts, self.position = [post], [account], position
        self.seen = {post["post_id"]}

    def embed(self, parse: Callable[[Any, int], tuple[dict, dict]], obj: Any, kind: str, id_key: str
              ) -> dict[str, Any] | None:
        """Add the post ``parse(obj)`` gives (unless already present) and return it; None if unreadable."""
        try:
            e, acc = parse(obj, self.position)
        except RecordError as err:
            oid = obj.get(id_key) if isinstance(obj, dict) else None
            self.posts[0]["extra"].setdefault("dropped_embedded", []).append(
                {"kind": kind, "id": oid, "reason": str(err)})
            return None
        acc["observed_at"] = self.posts[0]["created_at"]
        if e["post_id"] not in self.seen:
            self.seen.add(e["post_id"])
            self.posts.append(e)
            self.accounts.append(acc)
        return e

    def parsed(self) -> Parsed:
        for p in self.posts:
            p["extra"] = dumps_extra(p["extra"])
        return Parsed(self.position, self.posts, self.accounts)


def pick(obj: dict[str, Any], keys: tuple[str, ...], into: dict[str, Any]) -> dict[str, Any]:
    """Copy the keys of ``obj`` that are present and not null/empty into ``into``."""
    get = obj.get
    for k in keys:
        v = get(k)
        if v is not None and (v or v.__class__ not in (list, dict)):
            into[k] = v
    return into


def a_href(link: Any, name: Any) -> str | None:
    """A client name and link in the v1.1 ``source`` HTML form, so device mapping sees one format."""
    if not name:
        return None
    if not link:
        return str(name)
    return f'<a href="{link}" rel="nofollow">{name}</a>'


# --- format classification (for sniff) -----------------------------------------------------------------------------

V1_NOTICES = ("delete", "scrub_geo", "limit", "status_withheld", "user_withheld", "disconnect", "warning",
              "friends", "friends_str", "event", "control", "direct_message")
GNIP_NOTICES = ("info", "error")


def classify(obj: Any) -> str | None:
    """'v1' | 'v1-notice' | 'gnip' | 'gnip-notice' | 'v2' | 'v2-other' | None for a decoded JSON object."""
    if not isinstance(obj, dict):
        return None
    if "actor" in obj and "verb" in obj:
        return "gnip"
    if isinstance(obj.get("user"), dict) and ("id_str" in obj or "id" in obj) and (
        "text" in obj or "full_text" in obj or "created_at" in obj
    ):
        return "v1"
    created = obj.get("created_at")
    if "id_str" in obj and isinstance(created, str) and created[19:26] == " +0000 " and (
        "text" in obj or "full_text" in obj
    ):
        return "v1"  # a v1.1 tweet that lost its user (it will be quarantined as such)
    if "__twarc" in obj or "includes" in obj:
        return "v2"
    data = obj.get("data")
    if isinstance(data, (list, dict)):
        item = data[0] if isinstance(data, list) and data else data
        if isinstance(item, dict) and ("author_id" in item or "username" in item or "edit_history_tweet_ids" in item
                                       or "tweet_count" in item):
            return "v2"
    if "author_id" in obj and "id" in obj and "text" in obj and "user" not in obj:
        return "v2"  # a flattened tweet (twarc2 flatten) or a bare v2 tweet object
    if {"action", "id", "created_at"} <= obj.keys():
        return "v2-other"  # compliance event
    if len(obj) <= 2 and any(k in obj for k in V1_NOTICES):
        return "v1-notice"
    if len(obj) <= 2 and any(k in obj for k in GNIP_NOTICES):
        return "gnip-notice"
    return None


def head_objects(head: str, limit: int = 20) -> list[Any]:
    """The first complete JSON values in a file's decoded beginning (JSONL lines, or array/stream elements)."""
    s = head.lstrip("\ufeff \t\r\n")
    out: list[Any] = []
    if s.startswith("{"):
        for line in s.split("\n", limit)[:limit]:
            if line.strip():
                try:
                    out.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    continue
        if out:
            return out
    elif s.startswith("["):
        s = s[1:]
    pos = 0
    while len(out) < limit:
        pos = SKIP.match(s, pos).end()
        try:
            value, pos = DECODER.raw_decode(s, pos)
        except (ValueError, RecursionError):
            break
        out.append(value)
    return out


_HEAD_HINTS = {
    "v1": (re.compile(r'"user"\s*:\s*\{'), re.compile(r'"(screen_name|id_str)"\s*:')),
    "gnip": (re.compile(r'"verb"\s*:'), re.compile(r'"actor"\s*:')),
    "v2": (re.compile(r'^\s*\[?\s*\{\s*"(data|includes)"\s*:\s*[\[{]'),
           re.compile(r'"(public_metrics|author_id|__twarc|edit_history_tweet_ids|conversation_id)"\s*:')),
}


def sniff_score(head: str, mine: str) -> float:
    """Confidence that ``head`` is in format ``mine`` ('v1' | 'gnip' | 'v2'), from the kinds of its first objects."""
    kinds = [classify(o) for o in head_objects(head)]
    kinds = [k for k in kinds if k is not None]
    if not kinds:
        # a first record longer than the head (a twarc2 page is one long line): judge by key patterns
        s = head.lstrip("\ufeff \t\r\n")
        if s[:1] not in ("{", "["):
            return 0.0
        hits = [k for k, (a, b) in _HEAD_HINTS.items() if a.search(s) and b.search(s)]
        if hits == [mine]:
            return 0.9
        if mine in hits:
            return 0.6 if mine == "gnip" else 0.5 / len(hits)  # gnip's pattern is the most specific
        return 0.0
    posts = [k for k in kinds if k in ("v1", "gnip", "v2")]
    if posts:
        share = sum(1 for k in posts if k == mine) / len(posts)
        return 0.95 * share
    own = sum(1 for k in kinds if k.startswith(mine)) / len(kinds)
    return 0.9 * own


# --- the shared driver ---------------------------------------------------------------------------------------------


def raw_excerpt(raw: Any) -> str:
    """A bounded excerpt of a raw record: bytes/text as they are, decoded JSON values written back as JSON."""
    if isinstance(raw, (bytes, str)):
        return excerpt(raw)
    try:
        return excerpt(orjson.dumps(raw, option=orjson.OPT_NON_STR_KEYS)[: EXCERPT_CHARS * 4])
    except (TypeError, orjson.JSONEncodeError):
        return excerpt(repr(raw)[: EXCERPT_CHARS * 4])


def reject_shape(position: int, e: Exception, raw: Any) -> Rejected:
    return Rejected(position, f"unexpected structure ({type(e).__name__}: {str(e)[:120]})", raw_excerpt(raw))


Kernel = Callable[[Any, int], "list[Parsed | Rejected]"]


def safe_value_records(kernel: Kernel, obj: Any, position: int, raw: Any) -> list[Parsed | Rejected]:
    """Run a value kernel; a bad record becomes a Rejected with the reason, never an exception."""
    try:
        return kernel(obj, position)
    except RecordError as e:
        return [Rejected(position, str(e), raw_excerpt(raw))]
    except RecursionError:
        return [Rejected(position, "unexpected structure (nested too deeply)", raw_excerpt(raw))]
    except SHAPE_ERRORS as e:
        return [reject_shape(position, e, raw)]


def line_records(kernel: Kernel, line: bytes, position: int) -> list[Parsed | Rejected]:
    """Every record in one JSONL line (none for a blank line), through a value kernel. Never raises."""
    if not line.strip():
        return []
    if position == 1 and line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    try:
        obj, repaired = load_line(line)
    except RecordError as e:
        return [Rejected(position, str(e), excerpt(line))] + _recover(kernel, line, position)
    out = safe_value_records(kernel, obj, position, line)
    if repaired:
        for item in out:
            if isinstance(item, Parsed) and item.posts:
                item.posts[0]["_repaired"] = True
    return out


def _recover(kernel: Kernel, line: bytes, position: int) -> list[Parsed | Rejected]:
    """A record glued after a broken one on the same line (an interrupted stream write): find the object start
    from which the rest of the line decodes to a Twitter object, and read that record too."""
    tail = line.rstrip()
    start = len(tail)
    for _ in range(1000):
        start = tail.rfind(b'{"', 0, start)
        if start <= 0:
            return []
        try:
            obj = orjson.loads(tail[start:])
        except orjson.JSONDecodeError:
            continue
        if classify(obj) in ("v1", "gnip", "v2"):
            return safe_value_records(kernel, obj, position, tail[start:])
    return []


def _line_kernel(kernel: Kernel) -> Callable[..., list[Parsed | Rejected]]:
    def parse_line(line: bytes, position: int, options: dict[str, Any] | None = None) -> list[Parsed | Rejected]:
        return line_records(kernel, line, position)

    return parse_line


class TwitterJsonReader(LineReader):
    """Base of the three Twitter JSON readers: line mode for JSONL (the per-line kernel ``parse_line``, which the
    parallel ingest also runs over byte ranges), stream mode for JSON arrays and pretty-printed JSON."""

    platform = PLATFORM
    #: 'v1' | 'gnip' | 'v2', for :func:`sniff_score`
    kind: ClassVar[str]
    #: the value kernel: one decoded JSON value to its records (set by each reader, a plain function)
    value_records: ClassVar[Kernel]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Each reader sets ``value_records``; its ``parse_line`` (one JSONL line to its records, never raising for
        bad input) is derived from it as a plain function, which the parallel ingest runs in worker processes."""
        super().__init_subclass__(**kwargs)
        kernel = cls.__dict__.get("value_records")
        if kernel is not None and "parse_line" not in cls.__dict__:
            cls.parse_line = staticmethod(_line_kernel(kernel.__func__))

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return sniff_score(head, cls.kind)

    @classmethod
    def splittable(cls, path: str | Path) -> bool:
        """Whether the file can be cut at line boundaries for parallel parsing (JSONL, not an array)."""
        with open_binary(path) as f:
            return peek_line_mode(f.read(1 << 16))

    def records(self) -> Iterator[Parsed | Rejected]:
        kernel = type(self).value_records
        with open_binary(self.path) as raw:
            head = raw.read(1 << 16)
            if not head.strip(b"\xef\xbb\xbf \t\r\n"):
                raise MarsadError(f"{self.path}: file is empty")
            f = PrefixedStream(head, raw)
            if peek_line_mode(head):
                parse_line, options = self.parse_line, self.options
                for i, line in enumerate(f, start=1):
                    yield from parse_line(line, i, options)
            else:
                for i, value, problem, raw_excerpt in iter_json_values(f, lambda o: classify(o) is not None):
                    if problem is not None:
                        yield Rejected(i, problem, raw_excerpt)
                    else:
                        yield from safe_value_records(kernel, value, i, value)
