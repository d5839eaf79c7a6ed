"""Reading JSON exports robustly and with bounded memory: shared by the JSON readers.

* :func:`load_line`: one JSON line to a Python value, with a Windows-1252 repair for stray bytes and a
  replacement for lone UTF-16 surrogates (both of which Parquet could not store).
* :func:`iter_json_values`: streams the values of a file that is one JSON array (or a run of concatenated,
  possibly pretty-printed JSON values) in chunks, resynchronising after a malformed element. Elements that sit
  one per line are read with orjson; others with the standard library's incremental decoder.
* :func:`peek_line_mode`: whether a file is JSON lines (one value per line, safe to cut at newlines) or not.
* :class:`PrefixedStream`: a binary stream with its already-peeked head put back in front.
"""
from __future__ import annotations

import codecs
import json
import re
from typing import Any, BinaryIO, Callable, Iterator

import orjson

from ..records import RecordError, excerpt
from .io import repair

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_str(s: str) -> str:
    if not _SURROGATE.search(s):
        return s
    try:
        s = repair(s)[0]  # bytes that were not UTF-8, read as Windows-1252
    except UnicodeError:
        pass
    return _SURROGATE.sub("\ufffd", s)  # lone surrogates (e.g. a truncated "\ud83d" escape)


def clean(value: Any) -> Any:
    """Every string in a decoded JSON value made storable (no lone surrogates)."""
    if value.__class__ is str:
        return _clean_str(value)
    if value.__class__ is dict:
        return {_clean_str(k): clean(v) for k, v in value.items()}
    if value.__class__ is list:
        return [clean(v) for v in value]
    return value


def load_line(line: bytes) -> tuple[Any, bool]:
    """Decode one JSON line. Returns (value, repaired). Raises RecordError("malformed JSON: ...")."""
    try:
        return orjson.loads(line), False
    except orjson.JSONDecodeError as e:
        first = e
    # slow path: stray non-UTF-8 bytes, or lone surrogate escapes, which orjson refuses
    text = line.decode("utf-8", errors="surrogateescape")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise RecordError(f"malformed JSON: {first}") from None
    repaired = bool(_SURROGATE.search(text) or _LONE_ESCAPE.search(text))
    return (clean(value), True) if repaired else (value, False)


# --- streaming a JSON array / concatenated JSON values ------------------------------------------------------------

CHUNK = 1 << 20
MAX_RECORD_CHARS = 64 << 20
SKIP = re.compile(r"[\s,]*")  # between array elements / concatenated values
_RESYNC = re.compile(r"\n[ \t]*\{|\}\s*,\s*\{")
DECODER = json.JSONDecoder()


def iter_json_values(
    f: BinaryIO, accept: Callable[[Any], bool] = lambda o: isinstance(o, dict)
) -> Iterator[tuple[int, Any, str | None, str]]:
    """Yield ``(ordinal, value, None, "")`` for each element of a top-level JSON array, or of a run of concatenated
    JSON values, reading the file in chunks. A malformed element gives ``(ordinal, None, reason, excerpt)`` and reading
    resumes at the next element start whose value ``accept`` takes (a line beginning with ``{``, or ``},{``)."""
    dec = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    buf = ""
    pos = 0
    eof = False
    in_array: bool | None = None
    ordinal = 0

    def more(n: int = CHUNK) -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        data = f.read(n)
        if not data:
            eof = True
            buf = buf[pos:] + dec.decode(b"", final=True)
        else:
            buf = buf[pos:] + dec.decode(data)
        pos = 0
        return True

    more()
    if buf.startswith("\ufeff"):
        pos = 1
    while True:
        m = SKIP.match(buf, pos)
        pos = m.end()
        if pos >= len(buf):
            if not more():
                return
            continue
        if in_array is None:
            in_array = buf[pos] == "["
            if in_array:
                pos += 1
                continue
        if in_array and buf[pos] == "]":
            return  # anything after the closing bracket is ignored, as JSON parsers do
        fast = _one_line_value(buf, pos, in_array)
        if fast is not None:  # the common layout: one element per line, read at orjson's speed
            value, pos, closed = fast
            ordinal += 1
            yield ordinal, value, None, ""
            if closed:
                return
            continue
        need = CHUNK
        failed = False
        while True:
            try:
                value, end = DECODER.raw_decode(buf, pos)
                break
            except (ValueError, RecursionError) as e:
                err = e
                complete = eof or len(buf) - pos > MAX_RECORD_CHARS
                epos = getattr(e, "pos", pos)
                if not complete and not str(e).startswith("Unterminated string") and epos + 65536 < len(buf):
                    complete = True  # the error is well inside what we hold: more data will not fix it
                if complete:
                    failed = True
                    break
                more(need)
                need = min(need * 2, 16 * CHUNK)
        ordinal += 1
        if failed:
            yield ordinal, None, f"malformed JSON: {err}", excerpt(buf[pos:pos + 2000])
            pos = _resync(buf, pos + 1, accept)
            while pos < 0 and not eof:  # find the next element start, reading on
                keep = len(buf) - 4096 if len(buf) > 4096 else 0
                pos = keep
                more()
                pos = _resync(buf, 0, accept)
            if pos < 0:
                return
            continue
        start, pos = pos, end
        yield ordinal, _clean_if_needed(value, buf, start, end), None, ""


def _one_line_value(buf: str, pos: int, in_array: bool) -> tuple[Any, int, bool] | None:
    """(value, end, closed) when the element at ``pos`` is a whole JSON object on its own line (followed by a
    comma, or by the array's closing bracket), else None (the caller falls back to the general decoder)."""
    nl = buf.find("\n", pos)
    if nl < 0 or buf[pos] != "{":
        return None
    seg = buf[pos:nl].rstrip()
    closed = False
    if seg.endswith(","):
        seg = seg[:-1]
    elif in_array and seg.endswith("]"):
        seg, closed = seg[:-1].rstrip(), True
    if not seg.endswith("}"):
        return None
    try:
        value = orjson.loads(seg)  # refuses lone surrogates and undecodable bytes: those take the slow path
    except orjson.JSONDecodeError:
        return None
    return value, nl, closed


def _resync(buf: str, start: int, accept: Callable[[Any], bool]) -> int:
    for m in _RESYNC.finditer(buf, start):
        at = m.end() - 1
        try:
            value, _ = DECODER.raw_decode(buf, at)
        except (ValueError, RecursionError):
            continue
        if accept(value):
            return at
    return -1


_LONE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<![0-9a-fA-F]{4})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _clean_if_needed(value: Any, buf: str, start: int, end: int) -> Any:
    if _SURROGATE.search(buf, start, end) or _LONE_ESCAPE.search(buf, start, end):
        return clean(value)
    return value


def peek_line_mode(head: bytes) -> bool:
    """From a file's first bytes: JSONL (one value per line) or a stream/array (pretty-printed, one JSON array)."""
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not s:
        return True
    if s[:1] != b"{":
        return False
    complete = [x.strip() for x in s.split(b"\n")[:-1][:8]]
    complete = [x for x in complete if x]
    if not complete:
        return True  # a first line longer than the peek: JSONL with big records
    for line in complete:
        try:
            if isinstance(orjson.loads(line), dict):
                return True
        except orjson.JSONDecodeError:
            continue
    # no line is a value by itself: pretty-printed JSON opens an object and goes on over lines, while a JSONL
    # file whose first lines are broken still has lines that end an object
    return complete[0].endswith(b"}")


class PrefixedStream:
    """A binary stream with already-read bytes put back in front (iterable by lines, readable in chunks)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                out, self.head = self.head + self.rest.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            if len(out) < n:
                out += self.rest.read(n - len(out))
            return out
        return self.rest.read(n)

    def __iter__(self) -> Iterator[bytes]:
        if self.head:
            head, self.head = self.head, b""
            if not head.endswith(b"\n"):
                head += self.rest.readline()
            lines = head.split(b"\n")
            for line in lines[:-1]:
                yield line + b"\n"
            if lines[-1]:
                yield lines[-1]
        yield from self.rest
