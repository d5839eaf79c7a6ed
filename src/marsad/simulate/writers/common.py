"""Pieces shared by the writers: time strings, client ``source`` strings, avatar URLs and the per-round output
files."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import orjson

from ..params import LANGS
from ..text import source_html
from ..world import CLIENT_LIST, World

_WD = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SOURCES_HTML = [source_html(h, nm) for _, h, nm in CLIENT_LIST]
SOURCES_NAME = [nm for _, _, nm in CLIENT_LIST]
SOURCES_JSON = [orjson.dumps(x) for x in SOURCES_HTML]
LANG_JSON = [orjson.dumps(x) for x in LANGS]
DAY_MS = 86_400_000
TW_EPOCH_MS = 1288834974657


def v1_time(ms: int) -> str:
    """Twitter v1.1 ``created_at``: "Wed Oct 01 20:19:24 +0000 2014"."""
    d = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return f"{_WD[d.weekday()]} {_MON[d.month - 1]} {d.day:02d} {d.hour:02d}:{d.minute:02d}:{d.second:02d} +0000 {d.year}"


def iso_time(ms: int) -> str:
    d = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def v1_times(t: np.ndarray, d0: int) -> list:
    """``v1_time`` of many times (ms) as bytes, vectorised for the times within the UTC day starting at ``d0``
    (any other time is formatted one by one)."""
    t = np.asarray(t, np.int64)
    head = np.frombuffer(v1_time(d0).encode(), np.uint8)  # 30 bytes: day of month 2 digits, year 4 digits
    buf = np.empty((len(t), len(head)), np.uint8)
    buf[:] = head
    s = (t - d0) // 1000
    for col, v in ((11, s // 3600), (14, s // 60 % 60), (17, s % 60)):
        buf[:, col] = 48 + v // 10
        buf[:, col + 1] = 48 + v % 10
    out = buf.view(f"S{len(head)}").ravel().tolist()
    for i in np.flatnonzero((s < 0) | (s >= 86400)).tolist():
        out[i] = v1_time(int(t[i])).encode()
    return out


def snowflake_cut(start_ms: int, days: int) -> int:
    """Smallest post id of a post written ``days`` days before ``start_ms`` (for forgetting old originals)."""
    return (start_ms - days * DAY_MS - TW_EPOCH_MS) << 22


def avatar_url(world: World, i: int) -> str:
    img = (int(world.a["acc_id"][i]) * 2654435761) % 10 ** 18
    return f"http://pbs.twimg.com/profile_images/{img}/{world.avatar[i]}_normal.jpg"


class Base:
    """One output file per collection round (``pattern`` with ``{r}``), opened as the days reach it."""

    files: list

    def __init__(self, world: World, out: Path):
        self.w, self.out = world, out
        self.round_of = lambda d: d * world.params.rounds // world.params.days
        self.fh = None
        self.cur_round = -1
        self.files = []
        self.discard = False  # benchmarks: serialise everything but write the data files to /dev/null

    def _file(self, d: int, pattern: str):
        r = self.round_of(d)
        if r != self.cur_round:
            if self.fh:
                self.fh.close()
            path = self.out / pattern.format(r=r + 1)
            self.files.append(path)
            self.fh = open(os.devnull if self.discard else path, "wb", buffering=1 << 20)
            self.cur_round = r
        return self.fh

    def close(self) -> None:
        if self.fh:
            self.fh.close()
            self.fh = None

