"""The reader interface. Each input format is one small class; new formats plug in via ``readers.READERS``.

A reader is built with the path and options, and yields, for every input record in file order, either a
:class:`~marsad.records.Parsed` (one primary post, embedded posts, account observations) or a
:class:`~marsad.records.Rejected` (quarantine, with a reason). It never raises for a bad record; it raises
:class:`~marsad.errors.MarsadError` only when the whole file cannot be read as its format.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Iterator

from ..records import Parsed, Rejected


class Reader(ABC):
    #: short name used by ``--format`` and stored in ``datasets.format``
    name: ClassVar[str]
    #: platform of the posts it reads: twitter | facebook | telegram | other
    platform: ClassVar[str]
    #: one line for ``marsad formats``
    description: ClassVar[str]

    def __init__(self, path: str | Path, **options: Any):
        self.path = Path(path)
        self.options = options

    @classmethod
    @abstractmethod
    def sniff(cls, head: str, path: Path) -> float:
        """Confidence in [0, 1] that a file whose decoded beginning is ``head`` is in this format."""

    @abstractmethod
    def records(self) -> Iterator[Parsed | Rejected]:
        """Every input record, in order, parsed or rejected."""


class LineReader(Reader):
    """A format with independent records on each line (JSON lines).

    Subclasses implement :meth:`parse_line`, the per-record kernel. Because a line can be parsed without any other
    line, the ingest splits large plain files into byte ranges and runs the kernel in worker processes; the same
    kernel serves the serial path below, so both give identical results.

    A reader may also set ``parse_block(buf, first_line, options)``: a native fast path that reads a block of
    whole lines at once and stages the rows of the lines it is sure of itself, handing the others back to
    :meth:`parse_line` (see ``twitter_v1.parse_block``). The parallel ingest uses it unless ``MARSAD_NATIVE=0``; it
    must give exactly what :meth:`parse_line` gives, which the tests check on real data.
    """

    @staticmethod
    @abstractmethod
    def parse_line(line: bytes, position: int, options: dict[str, Any]) -> list[Parsed | Rejected]:
        """The records on one line (``position`` is its 1-based line number); [] for a blank line."""

    def records(self) -> Iterator[Parsed | Rejected]:
        from .io import open_binary

        with open_binary(self.path) as f:
            for i, line in enumerate(f, start=1):
                yield from self.parse_line(line, i, self.options)
