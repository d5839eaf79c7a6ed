"""The network of a collected population: interaction graphs, roles, shout-outs, discovery from seeds,
communities, re-created account families, appearance/disappearance over time, and graph exports.

Every analysis reads the workspace (``posts``, ``accounts``, ``account_snapshots``) and writes per-account
evidence rows (signals ``network``, ``role``, ``discover``, ``community``, ``family``/``family-link``,
``timeline``) plus its result tables (``network_edges``, ``shoutout_posts``...).
"""
from __future__ import annotations

from .graph import build_edges, load_graph

__all__ = ["build_edges", "load_graph"]
