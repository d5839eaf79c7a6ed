"""Generic CSV and JSONL readers driven by a column map (``--map text=tweets --map account=username``).

Map keys are canonical field names (see :mod:`marsad.records`) plus the short aliases in ``ALIASES``. Without a
map, columns whose names already are canonical (or aliases) are used. ``text`` is required.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson
import pyarrow as pa

from ..errors import MarsadError
from ..records import (
    ACCOUNT_FIELDS, ACCOUNT_SCHEMA, POST_FIELDS, POST_SCHEMA, ContentIds, Parsed, RecordError, Rejected, check_coords,
    check_count, check_date, excerpt, handle_account_id, text_entities,
)
from .base import Reader
from .csvrows import iter_rows, parse_rows, read_header
from .io import open_text

ALIASES = {
    "id": "post_id", "account": "account_handle", "user": "account_handle", "handle": "account_handle",
    "username": "account_handle", "time": "created_at", "date": "created_at", "followers": "followers",
    "location": "location", "name": "display_name", "bio": "description",
}
ACCOUNT_KEYS = {"display_name", "description", "location", "followers", "following", "statuses", "time_zone",
                "avatar_url", "verified"}


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601, Twitter's 'Wed Oct 10 20:19:24 +0000 2018', epoch seconds/milliseconds, 'YYYY-mm-dd HH:MM'."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        v = float(value)
        try:
            return datetime.fromtimestamp(v / 1000 if v > 1e11 else v, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise RecordError(f"timestamp out of range: {value!r}") from None
    s = str(value).strip()
    if not s or s in ("NA", "nan", "None", "null"):
        return None
    if s.isdigit():
        return parse_datetime(int(s))
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.strptime(s, "%a %b %d %H:%M:%S %z %Y").astimezone(timezone.utc)
        except ValueError:
            pass
        for fmt in ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M", "%d/%m/%Y %H:%M"):
            try:
                d = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        else:
            raise RecordError(f"unreadable date {s[:40]!r}") from None
    return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)


_SET_HERE = {"created_at", "embedded", "record_position", "platform", "post_id", "account_id", "account_handle",
             "text"}


def _coerce(schema: pa.Schema, name: str, value: Any) -> Any:
    """A mapped value in the column's type (JSON values can be anything); RecordError when it cannot be."""
    if value is None or value == "":
        return None
    t = schema.field(name).type
    if pa.types.is_list(t):
        items = value if isinstance(value, list) else re.split(r"[,\s]+", value) if isinstance(value, str) else [value]
        return [x if isinstance(x, str) else orjson.dumps(x).decode() for x in items if x not in (None, "")]
    if isinstance(value, (dict, list)):
        if pa.types.is_string(t):
            return orjson.dumps(value).decode()
        raise RecordError(f"{name} is a {type(value).__name__}")
    if pa.types.is_string(t):
        return value if isinstance(value, str) else str(value)
    if pa.types.is_floating(t):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise RecordError(f"{name} is not a number: {str(value)[:30]!r}") from None
    if pa.types.is_integer(t):
        return check_count(value, name)
    if pa.types.is_boolean(t):
        v = str(value).strip().lower()
        if v in ("true", "1", "yes", "t"):
            return True
        if v in ("false", "0", "no", "f"):
            return False
        raise RecordError(f"{name} is not a boolean: {str(value)[:20]!r}")
    if pa.types.is_timestamp(t):
        return check_date(parse_datetime(value), "other", name)
    return value


def row_to_parsed(
    row: dict[str, Any], mapping: dict[str, str], position: int, platform: str, ids: ContentIds
) -> Parsed:
    """Per-record kernel shared by the generic readers: a mapped row to one post and one account observation."""
    get = {canon: row.get(col) for canon, col in mapping.items()}
    for k in ("text", "account_handle", "account_id", "post_id"):
        if isinstance(get.get(k), (dict, list)):
            raise RecordError(f"{mapping[k]} holds a {type(get[k]).__name__}, not a value")
    text = get.get("text")
    if text is None or (isinstance(text, str) and not text.strip()):
        raise RecordError("missing text")
    text = str(text)
    handle = get.get("account_handle")
    handle = None if handle in (None, "") else str(handle).lstrip("@")
    account_id = get.get("account_id")
    account_id = str(account_id) if account_id not in (None, "") else (handle_account_id(handle) if handle else None)
    created = check_date(parse_datetime(get.get("created_at")), platform)
    post_id = get.get("post_id")
    post_id = str(post_id) if post_id not in (None, "") else ids(platform, account_id, created, text)
    post = {k: _coerce(POST_SCHEMA, k, get.get(k)) for k in POST_FIELDS if k in get and k not in _SET_HERE}
    if "lat" in post or "lon" in post:
        post["lat"], post["lon"] = check_coords(post.get("lat"), post.get("lon"))
    post.update(platform=platform, post_id=post_id, account_id=account_id, account_handle=handle,
                created_at=created, text=text)
    for k, v in text_entities(text).items():
        if not post.get(k):
            post[k] = v
    accounts = []
    acc = {k: _coerce(ACCOUNT_SCHEMA, k, get[k]) for k in ACCOUNT_KEYS if k in get and get[k] not in (None, "")}
    if account_id and (acc or handle):
        acc.update(platform=platform, account_id=account_id, handle=handle, observed_at=created)
        accounts.append({k: acc.get(k) for k in ACCOUNT_FIELDS if k in acc})
    return Parsed(position, [post], accounts)


class _Generic(Reader):
    platform = "other"

    def _mapping(self, columns: list[str]) -> dict[str, str]:
        mapping: dict[str, str] = dict(self.options.get("column_map") or {})
        for canon in list(mapping):
            if canon in ALIASES:
                mapping[ALIASES[canon]] = mapping.pop(canon)
        for col in columns:
            canon = ALIASES.get(col.lower(), col.lower())
            if canon in POST_FIELDS or canon in ACCOUNT_FIELDS:
                mapping.setdefault(canon, col)
        missing = [c for c in mapping.values() if c not in columns]
        if missing:
            raise MarsadError(f"{self.path}: --map names columns that are not in the file: {missing}; "
                              f"columns are {columns[:30]}")
        if "text" not in mapping:
            raise MarsadError(f"{self.path}: no text column; say which with --map text=COLUMN")
        return mapping


class GenericCsvReader(_Generic):
    name = "generic-csv"
    description = "any CSV or XLSX with a column map (--map text=COL --map account=COL --map created_at=COL ...)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return 0.0  # only by --format

    def records(self) -> Iterator[Parsed | Rejected]:
        platform = self.options.get("platform", "other")
        ids = ContentIds()
        mapping = self._mapping(read_header(self.path))
        yield from parse_rows(iter_rows(self.path),
                              lambda row: row_to_parsed(row.values, mapping, row.position, platform, ids))


class GenericJsonlReader(_Generic):
    name = "generic-jsonl"
    description = "any JSON-lines file of flat objects with a column map"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return 0.0

    def records(self) -> Iterator[Parsed | Rejected]:
        platform = self.options.get("platform", "other")
        mapping: dict[str, str] | None = None
        ids = ContentIds()
        with open_text(self.path) as f:
            for i, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    obj = orjson.loads(line.encode("utf-8", errors="surrogateescape"))
                    if not isinstance(obj, dict):
                        raise RecordError("line is not a JSON object")
                    if mapping is None:
                        mapping = self._mapping(list(obj.keys()))
                    yield row_to_parsed(obj, mapping, i, platform, ids)
                except orjson.JSONDecodeError as e:
                    yield Rejected(i, f"malformed JSON: {e}", excerpt(line))
                except RecordError as e:
                    yield Rejected(i, str(e), excerpt(line))
