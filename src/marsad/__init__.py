"""marsad (مرصد, "observatory"): an evidence-backed census of extremist propaganda networks from the
social-media exports researchers already hold."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import MarsadError  # noqa: E402
from .workspace import Workspace  # noqa: E402

__all__ = ["Workspace", "MarsadError", "__version__"]
