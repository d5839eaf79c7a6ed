"""A Telegram Desktop export (``result.json`` of a public supergroup; reposts are forwards)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import orjson

from ..days import ORIGINAL, REPLY_K, REPOST, Day
from ..text import Text
from ..world import World
from .common import Base, snowflake_cut


class TelegramWriter(Base):
    """One Telegram Desktop ``result.json`` (a public supergroup where the simulated accounts post).

    Account ids are ``user<id>`` as Telegram writes them in ``from_id``; reposts are forwards (``forwarded_from``
    the original author's name, ``forwarded_from_id`` their id); replies carry ``reply_to_message_id``. Post ids
    as marsad reads them are ``<chat id>:<message id>``. Written as a stream (one message per line
    inside the ``messages`` array), so memory stays flat."""

    name = "telegram"

    def __init__(self, world: World, out: Path):
        super().__init__(world, out)
        self.msg_id: dict = {}  # pid -> message id (recent originals)
        self.texts_cache: dict = {}  # pid -> Text (recent originals, for forwards)
        self.next_id = 1
        self.first = True
        (out / "ChatExport").mkdir(parents=True, exist_ok=True)
        path = out / "ChatExport" / "result.json"
        self.fh = open(path, "wb", buffering=1 << 20)
        self.files.append(path)
        self.chat_id = 1000000000 + world.params.seed
        self.fh.write(orjson.dumps({"name": "مرصد sim group", "type": "public_supergroup", "id": self.chat_id})[:-1]
                      + b', "messages": [\n')

    @staticmethod
    def _entities(txt: Text) -> list:
        spans = sorted([(s, e, "hashtag") for _, s, e in txt.hashtags] + [(s, e, "link") for *_, s, e in txt.urls]
                       + [(s, e, "mention") for *_, s, e in txt.mentions])
        out, pos = [], 0
        for s, e, typ in spans:
            if s > pos:
                out.append({"type": "plain", "text": txt.text[pos:s]})
            out.append({"type": typ, "text": txt.text[s:e]})
            pos = e
        if pos < len(txt.text):
            out.append({"type": "plain", "text": txt.text[pos:]})
        return out

    def write_day(self, day: Day, statuses: np.ndarray) -> None:
        w = self.w
        cut = snowflake_cut(day.start_ms, w.params.repost_window_days)
        for k in [k for k in self.msg_id if k < cut]:
            del self.msg_id[k]
            self.texts_cache.pop(k, None)
        for i in range(day.n):
            pid, t, acc, kind = int(day.pid[i]), int(day.t[i]), int(day.acc[i]), int(day.kind[i])
            tgt, tacc = int(day.target[i]), int(day.target_acc[i])
            mid = self.next_id
            self.next_id += 1
            ts = int(t // 1000)
            m = {"id": mid, "type": "message", "date": datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                 "date_unixtime": str(ts), "from": w.name[acc], "from_id": f"user{w.id_str(acc)}"}
            if kind == REPOST:
                m["forwarded_from"] = w.name[tacc]
                m["forwarded_from_id"] = f"user{w.id_str(tacc)}"
                txt = self.texts_cache[tgt]
            else:
                txt = day.texts[i]
                if kind == REPLY_K and tgt in self.msg_id:
                    m["reply_to_message_id"] = self.msg_id[tgt]
            ents = self._entities(txt)
            # "text" mixes plain strings and entity objects, "text_entities" has objects only (as Telegram writes)
            m["text"] = [e["text"] if e["type"] == "plain" else e for e in ents] \
                if any(e["type"] != "plain" for e in ents) else txt.text
            m["text_entities"] = ents
            if kind == ORIGINAL:
                self.msg_id[pid] = mid
                self.texts_cache[pid] = txt
            if not self.first:
                self.fh.write(b",")
            self.fh.write(orjson.dumps(m, option=orjson.OPT_APPEND_NEWLINE))
            self.first = False

    def close(self) -> None:
        if self.fh:
            self.fh.write(b"]}\n")
            self.fh.close()
            self.fh = None
