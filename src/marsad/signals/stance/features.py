"""Features for the stance model: hashed character and word n-grams, and naming/lexicon cues.

:func:`hashed_counts` is a vectorised replacement for scikit-learn's ``HashingVectorizer(analyzer="char_wb")``
(which runs ~1,500 posts/s): all posts of a batch are concatenated into one array of code points and every n-gram
hash is computed with numpy at once (~50,000 posts/s). Hashes are a polynomial over Unicode code points modulo
2**64 with a fixed mixer, so they are identical on every machine and Python version (no ``hash()``).

Character n-grams stay inside words, with the word's edges marked by the surrounding spaces (" داعش " gives
" دا", "داع", ..., "عش "); word n-grams are whitespace tokens of the normalised text and pairs of neighbours.

:data:`CUES` are the naming and lexicon cues (Magdy et al.: "الدولة الإسلامية" co-occurs with support 93% of the
time, "داعش" with opposition 77%). They enter the model as features with learned weights, never as rules, and
are reported as evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from ...text.normalise import normalise

_P_INT = 0x100000001B3  # odd multiplier of the polynomial hash (the FNV prime)
_P = np.uint64(_P_INT)
_Q = np.uint64(pow(_P_INT, -1, 1 << 64))  # its inverse modulo 2**64
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SALT = {kind: np.uint64(s) for kind, s in
         (("c1", 0x9E3779B97F4A7C15), ("c2", 0xC2B2AE3D27D4EB4F), ("c3", 0x165667B19E3779F9),
          ("c4", 0xD6E8FEB86659FD93), ("c5", 0xFF51AFD7ED558CCD), ("c6", 0xC4CEB9FE1A85EC53),
          ("w1", 0x2545F4914F6CDD1D), ("w2", 0x5851F42D4C957F2D), ("w3", 0x14057B7EF767814F))}


@dataclass(frozen=True)
class HashSpec:
    """Which n-grams are hashed, and into how many buckets (``2**bits`` each for characters and words)."""

    char_min: int = 1
    char_max: int = 5
    word_max: int = 0  # word n-grams (0: none; they did not help in cross-validation)
    char_bits: int = 19
    word_bits: int = 18
    #: count the spaces around words as the 1-gram " " (a length feature, as scikit-learn's char_wb does)
    space_unigram: bool = True

    @property
    def n_features(self) -> int:
        return (1 << self.char_bits) + (1 << self.word_bits)


def _bucket(h: np.ndarray, bits: int) -> np.ndarray:
    h = h ^ (h >> np.uint64(31))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(29))
    h = h * _MIX2
    h = h ^ (h >> np.uint64(32))
    return (h >> np.uint64(64 - bits)).astype(np.int64)


@lru_cache(maxsize=8)
def _powers(base: int, size: int) -> np.ndarray:
    """base**0 .. base**(size-1) modulo 2**64, by doubling (size is a power of two)."""
    out = np.ones(size, dtype=np.uint64)
    b, k = np.uint64(base), 1
    with np.errstate(over="ignore"):
        out[1] = b
        step = b
        while k < size // 2 + 1 and 2 * k <= size:
            step = out[k - 1] * b if k > 1 else b  # base**k
            out[k: 2 * k] = out[:k] * step
            k *= 2
    return out


def _power_table(base: np.uint64, n: int) -> np.ndarray:
    size = 1 << max(12, int(np.ceil(np.log2(max(n, 2)))))
    return _powers(int(base), size)[:n]


def hashed_occurrences(norm_texts: list[str], spec: HashSpec = HashSpec()) -> tuple[np.ndarray, np.ndarray]:
    """Every n-gram occurrence of already-normalised texts as parallel arrays (document index, feature index).

    Repeated n-grams appear once per occurrence; :func:`hashed_counts` sums them into a matrix.
    """
    if not norm_texts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    big = "\x00".join(" " + t + " " if t else "" for t in norm_texts)
    cp = np.frombuffer(big.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32).astype(np.uint64)
    L = len(cp)
    is_sep = cp == 0
    is_sp = (cp == 32) | is_sep
    doc = np.cumsum(is_sep)
    sep_cum = np.concatenate([[0], np.cumsum(is_sep, dtype=np.int32)])
    sp_cum = np.concatenate([[0], np.cumsum(cp == 32, dtype=np.int32)])
    pw = _power_table(_P, L)
    inv = _power_table(_Q, L)
    rows, cols = [], []
    with np.errstate(over="ignore"):
        # G[i] = sum_{j<i} cp[j] * P**j (mod 2**64); the hash of cp[s:e] is (G[e]-G[s]) * Q**s with Q = 1/P, i.e.
        # sum_j cp[j] * P**(j-s): it depends on the substring only, not on where it sits in the batch.
        G = np.concatenate([[np.uint64(0)], np.cumsum(cp * pw, dtype=np.uint64)])
        for n in range(spec.char_min, spec.char_max + 1):
            m = L - n + 1  # windows cp[s:s+n] for s in [0, m)
            if m <= 0:
                break
            ok = sep_cum[n:] == sep_cum[:m]
            n_sp = sp_cum[n:] - sp_cum[:m]
            if n >= 3:  # a space may only sit at the window's edges (the word boundary marks)
                ok &= sp_cum[n - 1: L] == sp_cum[1: m + 1]
            ok &= n_sp < ((2 if spec.space_unigram else 1) if n == 1 else n)
            h = (G[n:] - G[:m]) * inv[:m] + _SALT[f"c{n}"]
            rows.append(doc[:m][ok])
            cols.append(_bucket(h[ok], spec.char_bits))
        # words: maximal runs of non-space characters, and runs of n neighbouring words
        prev_sp = np.concatenate([[True], is_sp[:-1]])
        next_sp = np.concatenate([is_sp[1:], [True]])
        starts = np.flatnonzero(~is_sp & prev_sp)
        ends = np.flatnonzero(~is_sp & next_sp) + 1
        off = np.int64(1 << spec.char_bits)
        for n in range(1, spec.word_max + 1):
            if len(starts) < n:
                break
            s, e = starts[: len(starts) - n + 1], ends[n - 1:]
            same = doc[s] == doc[e - 1]
            s, e = s[same], e[same]
            h = (G[e] - G[s]) * inv[s] + _SALT[f"w{n}"]
            rows.append(doc[s])
            cols.append(_bucket(h, spec.word_bits) + off)
    return np.concatenate(rows).astype(np.int64), np.concatenate(cols)


def hashed_counts(norm_texts: list[str], spec: HashSpec = HashSpec()) -> sp.csr_matrix:
    """Raw n-gram counts of already-normalised texts, as a CSR matrix of ``spec.n_features`` columns."""
    r, c = hashed_occurrences(norm_texts, spec)
    m = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(norm_texts), spec.n_features))
    m.sum_duplicates()
    return m


# --- naming and lexicon cues --------------------------------------------------------------------------------------

#: cue group -> (language, leaning, terms). Terms are written naturally and normalised like the posts.
#: Arabic terms match inside words (so prefixes و/ال/ب/ل still match); English terms match whole words.
CUES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ar_naming_pro": ("ar", "support", (
        "الدولة الإسلامية", "دولة الخلافة", "دولة الإسلام", "الخلافة الإسلامية", "باقية وتتمدد", "دولة الخلافه",
    )),
    "ar_naming_anti": ("ar", "oppose", ("داعش", "دواعش", "خوارج", "الخوارج")),
    "ar_lexicon_pro": ("ar", "support", (
        "الخليفة", "أمير المؤمنين", "البغدادي", "جنود الخلافة", "المجاهدين", "مجاهدي", "استشهادي", "انغماسي",
        "مفخخة", "غزوة", "الرافضة", "رافضي", "الروافض", "النصيرية", "نصيري", "الصحوات", "صحوات", "المرتدين",
        "مرتد", "الطواغيت", "طاغوت", "الصليبيين", "الصليبي", "العلوج", "المشركين", "الكافرين", "أعماق", "ولاية",
        "النفير", "بيعة", "نبايع", "السبي", "الذبح", "تقبله الله",
    )),
    "ar_lexicon_anti": ("ar", "oppose", (
        "إرهاب", "ارهابي", "إرهابية", "تكفيري", "التكفيريين", "متطرف", "التطرف", "تنظيم الدولة", "الإرهابيين",
    )),
    "en_naming_pro": ("en", "support", (
        "islamic state", "dawlah", "dawla", "khilafah", "khilafa", "caliphate", "wilayat", "wilayah", "baqiyah",
        "baqiya", "remaining and expanding",
    )),
    "en_naming_anti": ("en", "oppose", ("isis", "isil", "daesh", "daish", "daech")),
    "en_lexicon_pro": ("en", "support", (
        "mujahideen", "mujahidin", "mujahid", "kuffar", "kafir", "murtad", "murtadeen", "murtadd", "apostates",
        "apostate", "crusaders", "crusader", "rafidah", "rafidi", "rafida", "nusayri", "nusayris", "sahwat", "sahwa",
        "taghut", "tawaghit", "amaq", "shaheed", "istishhadi", "inghimasi", "martyrdom operation", "soldiers of the",
        "amir al", "baghdadi", "taqabbalallah", "may allah accept", "kufr", "mushrikeen", "mushrikin",
    )),
    "en_lexicon_anti": ("en", "oppose", (
        "terrorist", "terrorists", "terror", "terrorism", "extremist", "extremists", "extremism", "jihadi john",
        "militants", "militant", "radicalised", "radicalized", "condemn", "condemns", "barbaric", "evil",
        "victims", "fight against",
    )),
}
CUE_NAMES: tuple[str, ...] = tuple(CUES)


@lru_cache(maxsize=1)
def _cue_patterns() -> dict[str, re.Pattern]:
    out = {}
    for name, (lang, _lean, terms) in CUES.items():
        norm = sorted({normalise(t) for t in terms}, key=len, reverse=True)
        alt = "|".join(re.escape(t) for t in norm)
        out[name] = re.compile(alt if lang == "ar" else rf"\b(?:{alt})\b")
    return out


def cues_in(norm_text: str) -> dict[str, list[str]]:
    """The cue terms found in one normalised text, by cue group (only groups with a match)."""
    found = {}
    for name, pat in _cue_patterns().items():
        hits = pat.findall(norm_text)
        if hits:
            found[name] = hits
    return found


def cue_counts(norm_texts: list[str]) -> np.ndarray:
    """Matrix (n_texts, len(CUE_NAMES)) of cue match counts."""
    pats = [_cue_patterns()[n] for n in CUE_NAMES]
    out = np.zeros((len(norm_texts), len(pats)), dtype=np.float32)
    for i, t in enumerate(norm_texts):
        for j, p in enumerate(pats):
            out[i, j] = len(p.findall(t))
    return out
