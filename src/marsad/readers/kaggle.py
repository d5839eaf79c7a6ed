"""The two Kaggle layouts of the "ISIS fanboy" collection (Fifth Tribe, 2015-2016).

* ``kaggle-isis``: Fifth Tribe's "How ISIS Uses Twitter" (``tweets.csv`` / ``tweets.xlsx``): name, username,
  description, location, followers, numberstatuses, time, tweets. Profile fields and counts were captured with
  each tweet as it was collected, so every row is also an account observation, dated at the tweet's time.
* ``activegalaxy-isis``: activegalaxy's ``IsisFanboy.csv``: name, username, tweetid, time, tweets. ``tweetid`` is a
  row index, not a status id (kept in ``extra.row_index``). Its texts were re-processed (HTML entities unescaped,
  whitespace collapsed, t.co links replaced by expanded or "account/suspended" links, Arabic letters normalised).

Neither has post ids, so ids come from :class:`~marsad.records.ContentIds` over a *match key*: platform, lower-case
handle, the minute of posting and the tweet's letters and digits with links removed, HTML entities undone and
Arabic letter variants folded. The key ignores exactly the differences that re-processing introduced, so a tweet
present in both exports gets one id and merges; the handle and minute keep different tweets apart, and the
occurrence counter keeps identical tweets of one minute distinct. Times are M/D/YYYY H:MM and taken as UTC.
"""
from __future__ import annotations

import html
import re
import unicodedata
from pathlib import Path
from typing import Iterator

from ..records import ContentIds, Parsed, RecordError, Rejected, check_date, handle_account_id
from .base import Reader
from .csvrows import (
    Row, count_cell, extra_json, header_score, iter_rows, parse_rows, sniff_header, text_fields, unescape_excel,
)
from .generic import parse_datetime

PLATFORM = "twitter"
KAGGLE_COLUMNS = {"name", "username", "description", "location", "followers", "numberstatuses", "time", "tweets"}
ACTIVEGALAXY_COLUMNS = {"name", "username", "tweetid", "time", "tweets"}

_URL = re.compile(r"https?://\S*", re.IGNORECASE)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")  # harakat, dagger alef, tatweel
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})


def match_key(text: str) -> str:
    """What two exports of one tweet still share after re-processing: letters and digits, links removed,
    entities undone, Arabic letter variants folded, case folded."""
    t = _URL.sub(" ", html.unescape(text))
    t = _ARABIC_MARKS.sub("", t).translate(_ARABIC_FOLD)
    return "".join(ch for ch in t if unicodedata.category(ch)[0] in "LN").casefold()


def _post(row: Row, ids: ContentIds, extra: dict) -> tuple[dict, str, str]:
    handle = (row.get("username") or "").strip().lstrip("@")
    if not handle:
        raise RecordError("missing username")
    raw_text = row.values.get("tweets")
    if raw_text is None or not raw_text.strip():
        raise RecordError("missing tweet text")
    text = unescape_excel(raw_text)  # these files went through Excel: _x000D_ is a carriage return
    created = check_date(parse_datetime(row.get("time")), PLATFORM)
    if created is None:
        raise RecordError("missing time")
    account_id = handle_account_id(handle)
    post = text_fields(text)
    post.update(
        platform=PLATFORM,
        post_id=ids(PLATFORM, handle.lower(), created.strftime("%Y-%m-%dT%H:%M"), match_key(text)),
        account_id=account_id, account_handle=handle, created_at=created, extra=extra_json(extra),
    )
    return post, account_id, handle


class KaggleFanboyReader(Reader):
    name = "kaggle-isis"
    platform = PLATFORM
    description = "Fifth Tribe 'How ISIS Uses Twitter' CSV/XLSX (name, username, description, ..., time, tweets)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        return header_score(sniff_header(head, path), KAGGLE_COLUMNS)

    def records(self) -> Iterator[Parsed | Rejected]:
        ids = ContentIds()

        def kernel(row: Row) -> Parsed:
            post, account_id, handle = _post(row, ids, {})
            acc = {
                "platform": PLATFORM, "account_id": account_id, "handle": handle,
                "display_name": row.get("name"), "description": row.get("description"),
                "location": row.get("location"),
                "followers": count_cell(row.get("followers"), "followers"),
                "statuses": count_cell(row.get("numberstatuses"), "numberstatuses"),
                "observed_at": post["created_at"],
            }
            return Parsed(row.position, [post], [acc])

        return parse_rows(iter_rows(self.path), kernel)


class ActiveGalaxyReader(Reader):
    name = "activegalaxy-isis"
    platform = PLATFORM
    description = "activegalaxy 'ISIS Related Tweets' IsisFanboy.csv (name, username, tweetid = row index, time, ...)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        header = sniff_header(head, path)
        if header and "description" in header:
            return 0.0
        return header_score(header, ACTIVEGALAXY_COLUMNS)

    def records(self) -> Iterator[Parsed | Rejected]:
        ids = ContentIds()

        def kernel(row: Row) -> Parsed:
            post, account_id, handle = _post(row, ids, {"row_index": row.get("tweetid")})
            acc = {"platform": PLATFORM, "account_id": account_id, "handle": handle,
                   "display_name": row.get("name"), "observed_at": post["created_at"]}
            return Parsed(row.position, [post], [acc])

        return parse_rows(iter_rows(self.path), kernel)
