"""The signal interface, after python-threatexchange's SignalType: one small class per kind of evidence.

A signal is an estimator in the scikit-learn sense: parameters go in the constructor, ``run`` reads the workspace
and returns evidence rows, ``write`` stores them (one run row in ``runs``, the rows in ``evidence``). Subclasses
provide ``examples()`` - real input/expected-output pairs that tests run against every signal.

Evidence contract (docs/evidence.md): every row names its subject (``subject_type`` account | post | pair | group,
``platform``, ``subject_id``), carries a ``label`` and/or ``score`` (probabilities in [0, 1]) with an optional
interval (``ci_low``, ``ci_high``), and ``refs``: the posts/accounts/items behind it, each
``{kind, id, weight, note}``, so nothing is a bare label. ``details`` is a JSON object of the features used.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

if TYPE_CHECKING:
    from ..workspace import Workspace


class Signal(ABC):
    #: stable name used as ``evidence.signal``
    name: ClassVar[str]
    #: bump when results would change for the same input
    version: ClassVar[str] = "1"
    #: account | post | pair | group
    subject_type: ClassVar[str] = "account"

    def get_params(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    @abstractmethod
    def run(self, ws: "Workspace") -> pd.DataFrame:
        """Compute evidence rows (columns of ``marsad.workspace.EVIDENCE_COLUMNS``) from the workspace."""

    def write(self, ws: "Workspace", rows: pd.DataFrame, note: str | None = None) -> str:
        return ws.write_evidence(self.name, self.version, rows, params=self.get_params(), note=note)

    def run_and_write(self, ws: "Workspace") -> tuple[str, pd.DataFrame]:
        rows = self.run(ws)
        return self.write(ws, rows), rows

    @classmethod
    def examples(cls) -> list[tuple[Any, Any]]:
        """(input, expected) pairs for tests of this signal; empty if the signal needs a whole workspace."""
        return []


def ref(kind: str, id: Any, weight: float | None = None, note: str | None = None) -> dict[str, Any]:
    """One evidence reference: a post, account, url, hashtag or item that supports a conclusion."""
    return {"kind": kind, "id": str(id), "weight": None if weight is None else float(weight), "note": note}
