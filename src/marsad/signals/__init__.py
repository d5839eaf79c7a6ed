"""Signals: each analysis (stance, geography, device, roles, re-created accounts, coordination, imagery) is a
:class:`~marsad.signals.base.Signal` writing its results to the workspace evidence table the same way.

``SIGNALS`` is the extension point: add ``"module:Class"`` for a new signal.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from .base import Signal

SIGNALS: tuple[str, ...] = (
    "stance.signal:StanceSignal",
    "geo.signal:GeoSignal",
    "device:DeviceSignal",
    "marsad.coordination.signal:CoordSignal",
    "marsad.network.roles:RoleSignal",
    "marsad.network.discover:DiscoverSignal",
    "marsad.network.communities:CommunitySignal",
    "marsad.network.families:FamilySignal",
    "marsad.network.timeline:TimelineSignal",
)


@lru_cache(maxsize=None)
def all_signals() -> dict[str, type[Signal]]:
    out = {}
    for spec in SIGNALS:
        mod, cls = spec.split(":")
        mod = mod if mod.startswith("marsad.") else f"{__name__}.{mod}"  # absolute: signals outside this package
        klass = getattr(importlib.import_module(mod), cls)
        out[klass.name] = klass
    return out
