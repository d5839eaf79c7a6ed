"""Interoperability with QUT's coordination-network-toolkit (CNT, ``compute_networks``), for cross-checking.

:func:`write_cnt_csv` writes the workspace's collected posts in CNT's CSV input layout
(``message_id, user_id, username, repost_id, reply_id, message, timestamp, urls``) with marsad's item definitions
filled in, so both tools see the same items:

* ``repost_id`` is marsad's co-repost item (:func:`.actions.repost_item_sql`): the reposted post id, or for
  exports without one (IRA: retweets carry only the retweeted text) the stand-in id the reader derived from it;
* ``reply_id`` is marsad's co-reply item (the post replied to, else the account replied to);
* ``urls`` are marsad's normalised URLs (:func:`.actions.url_key_sql`), space-separated; CNT itself compares raw
  strings and only resolves redirects over the network, so without this step its co-link graph would miss
  ``http://www.x.com/a/`` = ``https://x.com/a``;
* ``timestamp`` is epoch seconds with milliseconds.

Documented differences (CNT 1.5.2 source): CNT's edges are directed, ``weight(u1->u2)`` = distinct messages of u1
with a partner message of u2 within ``[t - window, t + window]``, filtered by ``min_edge_weight`` per direction,
self-loops dropped on output; marsad keeps both directed weights on one undirected row (``weight_ab``,
``weight_ba``) and the kept directed edges are the same. CNT's CSV reader turns an empty ``urls`` cell into the
URL ``""`` (``"".split(" ") == [""]``), which links every post without a URL to every other within the window; feed
it through :func:`cnt_rows` (which drops empty URLs) rather than its CSV command. CNT has no cap on large buckets.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .actions import repost_item_sql, url_key_sql

if TYPE_CHECKING:
    from ..workspace import Workspace

CNT_COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")


def cnt_query(where: str = "true") -> str:
    rep = repost_item_sql()
    return f"""SELECT post_id AS message_id, account_id AS user_id, coalesce(account_handle, '') AS username,
             coalesce({rep}, '') AS repost_id,
             coalesce(CASE WHEN ({rep}) IS NOT NULL THEN NULL
                           WHEN reply_to_post_id IS NOT NULL THEN platform || ':' || reply_to_post_id
                           WHEN coalesce(reply_to_account_id, reply_to_handle) IS NOT NULL
                             THEN platform || ':@' || lower(coalesce(reply_to_account_id, reply_to_handle)) END,
                      '') AS reply_id,
             coalesce(text, '') AS message, epoch_ms(created_at) / 1000.0 AS timestamp,
             CASE WHEN ({rep}) IS NOT NULL OR urls IS NULL THEN ''
                  ELSE array_to_string(list_distinct(list_filter([{url_key_sql('u')} FOR u IN urls],
                                                                 x -> x IS NOT NULL AND x <> '')), ' ') END AS urls
      FROM posts WHERE NOT embedded AND account_id IS NOT NULL AND created_at IS NOT NULL AND ({where})
      ORDER BY created_at, post_id"""


def write_cnt_csv(ws: "Workspace", path: str | Path, where: str = "true") -> int:
    """Write collected posts in CNT's CSV layout; returns the number of rows. ``where`` filters posts (SQL)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = str(path).replace("'", "''")
    ws.con.execute(f"COPY ({cnt_query(where)}) TO '{quoted}' (HEADER, DELIMITER ',', QUOTE '\"')")
    return ws.con.execute(f"SELECT count(*) FROM read_csv('{quoted}', all_varchar=true)").fetchone()[0]


def cnt_rows(csv_path: str | Path) -> Iterator[tuple]:
    """Rows of a CNT CSV as CNT's ``preprocess_data`` wants them, with empty URLs dropped (see module doc)."""
    csv.field_size_limit(1 << 30)
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            yield (*row[:-1], [u for u in row[-1].split(" ") if u])
