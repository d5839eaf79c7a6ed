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
