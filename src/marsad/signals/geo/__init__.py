"""Geography: which country each account and post is in, with the method and a confidence (signal "geo")."""
from __future__ import annotations

from .resolve import GeoResult, Resolver, default_resolver, resolve_location

__all__ = ["GeoResult", "Resolver", "default_resolver", "resolve_location"]
