"""The ``stance`` signal: scores every collected post (table ``stance_posts``) and writes account verdicts.

Posts are those of the collected population (``NOT embedded``); reposts count for the reposting account, with
the original's text. The platform's language tag is used when it names a modelled language, otherwise the
language is identified offline.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

import numpy as np
import pandas as pd

from ..base import Signal
from .account import MIN_POSTS, THRESHOLD, account_evidence
from .features import CUE_NAMES, cue_counts
from .model import StanceModel

POSTS_TABLE = "stance_posts"


class StanceSignal(Signal):
    name: ClassVar[str] = "stance"
    version: ClassVar[str] = "1"
    subject_type: ClassVar[str] = "account"

    def __init__(self, threshold: float = THRESHOLD, min_posts: int = MIN_POSTS, model_path: str | None = None,
                 chunk: int = 50_000):
        self.threshold = threshold
        self.min_posts = min_posts
        self.model_path = model_path
        self.chunk = chunk
        self._model: StanceModel | None = None
        self.on_progress: Callable[[int, int], Any] | None = None

    def get_params(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "min_posts": self.min_posts, "model_path": self.model_path,
                "model_version": self.model.version}

    @property
    def model(self) -> StanceModel:
        if self._model is None:
            self._model = StanceModel.load(self.model_path)
        return self._model

    def score_posts(self, ws) -> pd.DataFrame:
        """Score the workspace's collected posts; returns platform, post_id, account_id, p_support, lang, norm, cues."""
        from ...text.normalise import normalise

        ws.require_posts()
        total = ws.con.execute("SELECT count(*) FROM posts WHERE NOT embedded").fetchone()[0]
        cur = ws.con.execute(
            "SELECT platform, post_id, account_id, text, lang FROM posts WHERE NOT embedded "
            "ORDER BY platform, account_id, post_id"
        )
        parts, done = [], 0
        while True:
            batch = cur.fetch_df_chunk(max(1, self.chunk // 2048))
            if batch is None or not len(batch):
                break
            pred = self.model.predict(batch["text"].tolist(), batch["lang"].tolist())
            out = batch[["platform", "post_id", "account_id"]].copy()
            out["p_support"] = pred["p_support"].to_numpy()
            out["lang"] = pred["lang"].to_numpy()
            out["norm"] = [normalise(t) if m is not None else "" for t, m in zip(batch["text"], pred["model"])]
            counts = cue_counts(out["norm"].tolist())
            for j, name in enumerate(CUE_NAMES):
                out[name] = counts[:, j].astype(np.int32)
            parts.append(out)
            done += len(batch)
            if self.on_progress:
                self.on_progress(done, total)
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def run(self, ws) -> pd.DataFrame:
        scored = self.score_posts(ws)
        table = scored[["platform", "post_id", "account_id", "p_support", "lang"]]
        if not ws.read_only:
            ws.con.register("_stance_posts", table)
            ws.con.execute(f"CREATE OR REPLACE TABLE {POSTS_TABLE} AS SELECT * FROM _stance_posts")
            ws.con.unregister("_stance_posts")
        return account_evidence(scored, threshold=self.threshold, min_posts=self.min_posts,
                                model_version=self.model.version)
