"""Generic CSV and JSONL readers driven by a column map (``--map text=tweets --map account=username``).

Map keys are canonical field names (see :mod:`marsad.records`) plus the short aliases in ``ALIASES``. Without a
map, columns whose names already are canonical (or aliases) are used. ``text`` is required.
"""
from __future__ import annotations

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson

from ..errors import MarsadError
from ..records import (
    ACCOUNT_FIELDS, POST_FIELDS, ContentIds, Parsed, RecordError, Rejected, check_count, check_date, excerpt,
    handle_account_id, text_entities,
)
from .base import Reader
from .io import open_text, repair

csv.field_size_limit(sys.maxsize)

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
        return datetime.fromtimestamp(v / 1000 if v > 1e11 else v, tz=timezone.utc)
    s = str(value).strip()
    if not s or s in ("NA", "nan", "None", "null"):
        return None
    if s.isdigit():
        return parse_datetime(int(s))
    for fmt in ("%a %b %d %H:%M:%S %z %Y",):
        try:
            return datetime.strptime(s, fmt).astimezone(timezone.utc)
        except ValueError:
            pass
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        for fmt in ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M", "%d/%m/%Y %H:%M"):
            try:
                d = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        else:
            raise RecordError(f"unreadable date {s[:40]!r}") from None
    return d.replace(tzinfo=timezone.utc) if d.tzinfo is None else d.astimezone(timezone.utc)


def row_to_parsed(
    row: dict[str, Any], mapping: dict[str, str], position: int, platform: str, ids: ContentIds
) -> Parsed:
    """Per-record kernel shared by the generic readers: a mapped row to one post and one account observation."""
    get = {canon: row.get(col) for canon, col in mapping.items()}
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
    post = {k: get.get(k) for k in POST_FIELDS if k in get and k not in ("created_at",)}
    post.update(platform=platform, post_id=post_id, account_id=account_id, account_handle=handle,
                created_at=created, text=text)
    for k, v in text_entities(text).items():
        post.setdefault(k, v)
    accounts = []
    acc = {k: get[k] for k in ACCOUNT_KEYS if k in get and get[k] not in (None, "")}
    if account_id and (acc or handle):
        for k in ("followers", "following", "statuses"):
            if k in acc:
                acc[k] = check_count(acc[k], k)
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
    description = "any CSV with a column map (--map text=COL --map account=COL --map created_at=COL ...)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return 0.0  # only by --format

    def records(self) -> Iterator[Parsed | Rejected]:
        platform = self.options.get("platform", "other")
        ids = ContentIds()
        with open_text(self.path) as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise MarsadError(f"{self.path}: empty CSV")
            mapping = self._mapping(header)
            for i, cells in enumerate(reader, start=1):
                raw = ",".join(cells)
                try:
                    if len(cells) != len(header):
                        raise RecordError(f"row has {len(cells)} fields, header has {len(header)}")
                    fixed, rep = zip(*(repair(c) for c in cells)) if cells else ((), ())
                    parsed = row_to_parsed(dict(zip(header, fixed)), mapping, i, platform, ids)
                    if any(rep):
                        parsed.posts[0]["_repaired"] = True
                    yield parsed
                except (RecordError, UnicodeError) as e:
                    yield Rejected(i, str(e), excerpt(raw))


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
