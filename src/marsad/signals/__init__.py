"""Signals: each analysis (stance, geography, device, roles, re-created accounts, coordination, imagery) is a
:class:`~marsad.signals.base.Signal` writing its results to the workspace evidence table the same way.

``SIGNALS`` is the extension point: add ``"module:Class"`` for a new signal.
"""
from __future__ import annotations

import importlib
import importlib.util


def _exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False
from functools import lru_cache

from .base import Signal

SIGNALS: tuple[str, ...] = (
    "stance.signal:StanceSignal",
    "geo.signal:GeoSignal",
    "device:DeviceSignal",
)


@lru_cache(maxsize=None)
def all_signals() -> dict[str, type[Signal]]:
    out = {}
    for spec in SIGNALS:
        mod, cls = spec.split(":")
        if not _exists(f"{__name__}.{mod}"):  # TODO(lead): strict once all modules exist
            continue
        klass = getattr(importlib.import_module(f"{__name__}.{mod}"), cls)
        out[klass.name] = klass
    return out
