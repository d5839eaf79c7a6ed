"""Signals: each analysis (stance, geography, device, roles, re-created accounts, coordination, imagery) is a
:class:`~marsad.signals.base.Signal` writing its results to the workspace evidence table the same way.

``SIGNALS`` is the extension point: add ``"module:Class"`` for a new signal.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from .base import Signal

SIGNALS: tuple[str, ...] = ()


@lru_cache(maxsize=None)
def all_signals() -> dict[str, type[Signal]]:
    out = {}
    for spec in SIGNALS:
        mod, cls = spec.split(":")
        klass = getattr(importlib.import_module(f"{__name__}.{mod}"), cls)
        out[klass.name] = klass
    return out
