"""Coordinated amplification: co-repost, co-link, co-hashtag, co-reply and co-text networks, clusters and the
post pairs behind every edge. See :mod:`.build` for the algorithm and the tables it writes."""
from __future__ import annotations

from .actions import BEHAVIOURS, parse_behaviours
from .build import BuildParams, BuildResult, build, evidence_between

__all__ = ["BEHAVIOURS", "BuildParams", "BuildResult", "build", "evidence_between", "parse_behaviours"]
