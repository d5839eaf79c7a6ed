"""Writers for the simulated posts in real export formats, one file per collection round:

- ``v1`` (:mod:`.v1`): Twitter API v1.1 JSON lines as the streaming/REST API wrote them.
- ``v2`` (:mod:`.v2`): twarc2 JSON lines, one API response page per line.
- ``telegram`` (:mod:`.telegram`): a Telegram Desktop export (``result.json`` of a public supergroup).

Pieces that repeat (user objects of the day, entities of pre-rendered texts, places, retweeted originals) are
serialised once and reused.
"""
from __future__ import annotations

from .common import SOURCES_HTML, SOURCES_NAME, iso_time, v1_time, v1_times
from .telegram import TelegramWriter
from .v1 import V1Writer
from .v2 import V2Writer

WRITERS = {"v1": V1Writer, "v2": V2Writer, "telegram": TelegramWriter}

__all__ = ["WRITERS", "SOURCES_HTML", "SOURCES_NAME", "V1Writer", "V2Writer", "TelegramWriter", "iso_time",
           "v1_time", "v1_times"]
