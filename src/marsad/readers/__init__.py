"""Readers for every supported export format, and format detection.

``READERS`` is the extension point: add ``"module:Class"`` here for a new format. Detection asks every reader's
``sniff`` for a confidence on the file's first 64 KiB and takes the most confident one above 0.5.
"""
from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

from ..errors import MarsadError, UnknownFormatError
from .base import Reader
from .io import read_head

READERS: tuple[str, ...] = (
    "twitter_v1:TwitterV1Reader",
    "gnip:GnipActivityReader",
    "twitter_v2:TwitterV2Reader",
    "twarc_csv:TwarcCsvReader",
    "kaggle:KaggleFanboyReader",
    "kaggle:ActiveGalaxyReader",
    "rtweet:RtweetReader",
    "tags:TagsReader",
    "ira:Ira538Reader",
    "crowdtangle:CrowdTangleCsvReader",
    "crowdtangle:CrowdTangleJsonReader",
    "telegram:TelegramReader",
    "generic:GenericCsvReader",
    "generic:GenericJsonlReader",
)


@lru_cache(maxsize=None)
def all_readers() -> tuple[type[Reader], ...]:
    out = []
    for spec in READERS:
        mod, cls = spec.split(":")
        out.append(getattr(importlib.import_module(f"{__name__}.{mod}"), cls))
    return tuple(out)


def get_reader(name: str) -> type[Reader]:
    for r in all_readers():
        if r.name == name:
            return r
    known = ", ".join(r.name for r in all_readers())
    raise MarsadError(f"unknown format {name!r}; known formats: {known}")


def detect(path: str | Path) -> type[Reader]:
    """The reader for ``path``, judged from its content (not its name)."""
    p = Path(path)
    head = read_head(p)
    scored = sorted(((r.sniff(head, p), r.name, r) for r in all_readers()), key=lambda t: -t[0])
    best = scored[0] if scored else None
    if best is None or best[0] < 0.5:
        if not head.strip() and p.suffix.lower() not in (".xlsx", ".xlsm"):
            raise UnknownFormatError(f"{p}: file is empty")
        raise UnknownFormatError(
            f"{p}: not a format marsad knows (first bytes: {head[:60]!r})",
            hint="name it with --format (see `marsad formats`), or map columns with --format generic-csv --map ...",
        )
    return best[2]
