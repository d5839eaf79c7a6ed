"""Name normalisation for matching accounts: handle stems, consonant skeletons (Arabic and Latin alike), display
names and bios with the decorations re-created accounts add ("2", "(3)", "الجديد", "new", flags and emoji)."""
from __future__ import annotations

import re
import unicodedata

from .shoutouts import normalise_arabic

# Arabic letters to Latin, as handles spell them (vowel letters go to vowels, dropped in skeletons)
_AR2LAT = {
    "ا": "a", "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r",
    "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "و": "u", "ي": "i", "ء": "", "ئ": "i", "ؤ": "u",
    "پ": "p", "چ": "ch", "گ": "g", "ڤ": "v",
}
# digraphs and near-equivalent consonants folded together in skeletons
_FOLD = [("kh", "k"), ("gh", "g"), ("sh", "s"), ("th", "t"), ("dh", "d"), ("ph", "f"), ("ch", "s"), ("q", "k"),
         ("c", "k"), ("x", "ks"), ("z", "s"), ("v", "f"), ("p", "b"), ("j", "g")]
_DECOR = re.compile(r"\b(new|back|returns?|again|official|real|the|backup|bkp|acc|account)\b|الجديد|جديد|الاحتياطي|"
                    r"الرسمي|الرسمى|الاصلي")


def transliterate(text: str) -> str:
    """Arabic script to a Latin spelling (other scripts pass through, lower-cased, accents removed)."""
    t = (text or "").replace("ة", "a")
    t = re.sub(r"(^|\s)ال(?=\w)", r"\1", t)  # the article: handles usually drop it
    t = normalise_arabic(t)
    t = "".join(_AR2LAT.get(c, c) for c in t)
    t = unicodedata.normalize("NFKD", t)
    return "".join(c for c in t if not unicodedata.combining(c)).lower()


def handle_stem(handle: str | None) -> str:
    """Lower-case handle without digits and underscores: ``Abu_Hamza_3`` -> ``abuhamza``."""
    return re.sub(r"[\d_]+", "", (handle or "").lower())


_NOT_LATIN = re.compile(r"[^a-z]")
_NON_LETTERS = re.compile(r"[\W\d_]+")
_VOWELS = re.compile(r"[aeiouwy]")
_REPEATS = re.compile(r"(.)\1+")
_ASCII_HANDLE = re.compile(r"[A-Za-z0-9_]*")


def skeleton(text: str | None) -> str:
    """Consonant skeleton, the same for a handle and the Arabic name it spells: ``abu_muhammad`` and ``أبو محمد``
    and ``abumohammed`` all give ``bmhmd``. Vowels, w/y (which double as vowels), digits and repeats drop out."""
    text = text or ""
    t = text.lower() if _ASCII_HANDLE.fullmatch(text) else transliterate(text)
    t = _NOT_LATIN.sub("", t)
    for a, b in _FOLD:
        t = t.replace(a, b)
    return _REPEATS.sub(r"\1", _VOWELS.sub("", t))


def clean_name(name: str | None) -> str:
    """A display name or bio without decorations, digits, punctuation and emoji; Arabic normalised."""
    if not name:
        return ""
    t = normalise_arabic(name).lower()
    t = _DECOR.sub(" ", t)
    return " ".join(_NON_LETTERS.sub(" ", t).split())


def avatar_file(url: str | None) -> str:
    """The image's file name without size suffix and extension, lower-case: a re-upload of the same picture gets a
    new URL folder but usually keeps the file name (``.../733954853741044948/IMG_3910_normal.jpg`` -> ``img_3910``).
    A bare hash or name (no URL) is kept whole. "" when absent or a platform default image."""
    if not url:
        return ""
    u = url.strip().lower().split("?")[0].rstrip("/")
    if "default_profile" in u or "default-avatar" in u:
        return ""
    u = u.rsplit("/", 1)[-1]
    u = re.sub(r"_(normal|bigger|mini|400x400|200x200)(?=\.\w+)", "", u)
    return re.sub(r"\.(jpe?g|png|gif|webp)$", "", u)


def avatar_keys(url: str | None) -> list[str]:
    """Blocking keys for an avatar: its file name, and the file name without one trailing decoration a
    near-identical re-upload adds (``_``, a digit, ``_new``), so ``img_3910`` meets ``img_39101``."""
    f = avatar_file(url)
    if not f:
        return []
    out = [f]
    if re.fullmatch(r"[a-z]+_?\d{1,4}", f):  # a camera name (IMG_3910): its last digit is not a decoration
        return out
    g = re.sub(r"(_new|_|\d)$", "", f)
    if g and g != f:
        out.append(g)
    return out


def avatar_match(a: str, b: str) -> float:
    """1 for the same avatar file name, 0.7 when one is the other plus a small decoration, else 0."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    s, t = sorted((a, b), key=len)
    return 0.7 if t.startswith(s) and len(t) - len(s) <= 4 and re.fullmatch(r"(_new|_|\d)", t[len(s):]) else 0.0
