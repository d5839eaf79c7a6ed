"""Property tests: every registered reader, fed random JSON, random bytes, truncated and mutated real records,
ends every record Parsed or Rejected (or refuses the whole file with a MarsadError), and what it parses fits
the canonical Arrow schemas, so ingest can always store it."""
from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marsad.errors import MarsadError
from marsad.readers import all_readers
from marsad.records import ACCOUNT_SCHEMA, POST_SCHEMA, Parsed, Rejected

from conftest import SHARED_DATA

READERS = all_readers()
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_json_leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    _json_leaf, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=5),
    max_leaves=25,
)


def _sample_records() -> list[bytes]:
    """Small real records of every JSON layout the Twitter readers take (v1.1, Gnip, v2 page / stream / flat)."""
    out: list[bytes] = []
    v1 = SHARED_DATA / "twitter-api-v1-samples-tweet-parser" / "tweet_payload_examples"
    v2 = SHARED_DATA / "twitter-api-v2-samples-twarc-csv" / "test-data"
    for path, n in ((v1 / "original_format_examples.json", 6), (v1 / "activity_streams_examples.json", 4),
                    (v2 / "flat.jsonl", 3), (v2 / "streaming_output_with_error.jsonl", 3),
                    (v2 / "two_tweets.jsonl", 1), (v2 / "geo_tweets.jsonl", 1), (v2 / "users_compliance.jsonl", 1)):
        if path.exists():
            out.extend([x for x in path.read_bytes().split(b"\n") if x.strip()][:n])
    return out


SAMPLES = _sample_records()


def _check_file(reader_cls, data: bytes, suffix: str = ".json") -> None:
    fd, name = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        reader = reader_cls(Path(name))
        try:
            items = list(reader.records())
        except MarsadError:
            return  # the whole file refused with a clear message: allowed
        posts, accounts = [], []
        for item in items:
            assert isinstance(item, (Parsed, Rejected)), type(item)
            if isinstance(item, Rejected):
                assert isinstance(item.reason, str) and item.reason
                assert isinstance(item.excerpt, str)
                continue
            for p in item.posts:
                posts.append({k: p.get(k) for k in POST_SCHEMA.names})
            accounts.extend({k: a.get(k) for k in ACCOUNT_SCHEMA.names} for a in item.accounts)
            if item.posts:
                assert item.posts[0].get("post_id"), "a parsed post without an id"
        # what was parsed must be storable: the same conversion ingest does
        pa.Table.from_pylist(posts, schema=POST_SCHEMA)
        pa.Table.from_pylist(accounts, schema=ACCOUNT_SCHEMA)
        for p in posts:
            if p["extra"] is not None:
                assert isinstance(json.loads(p["extra"]), dict)
            p["text"] is None or p["text"].encode("utf-8")  # no lone surrogates
    finally:
        os.unlink(name)


def _mutate(obj, rnd: random.Random, value):
    """Replace one randomly chosen value somewhere inside ``obj`` (a real record) with ``value``."""
    path = []
    node = obj
    while isinstance(node, (dict, list)) and node and rnd.random() < 0.8:
        key = rnd.choice(list(node.keys())) if isinstance(node, dict) else rnd.randrange(len(node))
        path.append(key)
        node = node[key]
    if not path:
        return value
    parent = obj
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return obj


@pytest.mark.parametrize("reader_cls", READERS, ids=lambda r: r.name)
@SETTINGS
@given(values=st.lists(json_values, min_size=1, max_size=4))
def test_random_json_lines(reader_cls, values):
    data = b"\n".join(json.dumps(v).encode() for v in values) + b"\n"
    _check_file(reader_cls, data, ".jsonl")


@pytest.mark.parametrize("reader_cls", READERS, ids=lambda r: r.name)
@SETTINGS
@given(value=json_values)
def test_random_json_document(reader_cls, value):
    _check_file(reader_cls, json.dumps(value, indent=1).encode(), ".json")


@pytest.mark.parametrize("reader_cls", READERS, ids=lambda r: r.name)
@SETTINGS
@given(data=st.binary(max_size=400))
def test_random_bytes(reader_cls, data):
    _check_file(reader_cls, data, ".csv" if "csv" in reader_cls.name else ".json")


@pytest.mark.skipif(not SAMPLES, reason="shared sample data not found")
@pytest.mark.parametrize("reader_cls", READERS, ids=lambda r: r.name)
@SETTINGS
@given(i=st.integers(0, 10**6), cut=st.floats(0, 1), tail=st.integers(0, 3))
def test_truncated_real_records(reader_cls, i, cut, tail):
    rec = SAMPLES[i % len(SAMPLES)]
    other = SAMPLES[(i + 1) % len(SAMPLES)]
    cut_rec = rec[: int(len(rec) * cut)]
    # a record cut short, alone or followed by whole records (as a crashed writer leaves a file)
    _check_file(reader_cls, cut_rec + b"\n" + b"\n".join([other] * tail), ".jsonl")


@pytest.mark.skipif(not SAMPLES, reason="shared sample data not found")
@pytest.mark.parametrize("reader_cls", READERS, ids=lambda r: r.name)
@SETTINGS
@given(i=st.integers(0, 10**6), seed=st.integers(0, 2**32), value=json_values)
def test_mutated_real_records(reader_cls, i, seed, value):
    obj = json.loads(SAMPLES[i % len(SAMPLES)])
    obj = _mutate(obj, random.Random(seed), value)
    _check_file(reader_cls, json.dumps(obj).encode() + b"\n", ".jsonl")
