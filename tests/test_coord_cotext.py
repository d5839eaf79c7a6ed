"""Co-text by prefix filtering is exact: the same post pairs as comparing every pair within the window."""
from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

from coord_world import Posts
from marsad.coordination import BuildParams, build
from marsad.coordination.cotext import min_overlap, prefix_length


@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95, 1.0])
def test_prefix_length_is_the_exact_bound(threshold):
    t = Fraction(str(threshold))
    for n in range(1, 200):
        need = math.ceil(t * n)  # exact arithmetic: 0.7 * 10 is 7, not 7.000000000000001
        assert min_overlap(n, threshold) == need
        assert prefix_length(n, threshold) == n - need + 1


def _near_duplicate_world(seed: int, n_posts: int = 700):
    """Texts made of a small vocabulary (so common words are everywhere) copied with a few words dropped, added or
    swapped, at random times in two hours: many pairs near every threshold, some outside the window."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(40)]
    bases = [list(rng.choice(vocab, size=int(rng.integers(5, 16)), replace=False)) for _ in range(25)]
    P = Posts()
    texts, times, accounts = {}, {}, {}
    for n in range(n_posts):
        words = list(bases[int(rng.integers(0, len(bases)))])
        for _ in range(int(rng.integers(0, 4))):
            op = rng.random()
            if op < 0.4 and len(words) > 1:
                words.pop(int(rng.integers(0, len(words))))
            elif op < 0.7:
                words.append(str(rng.choice(vocab)))
            else:
                words[int(rng.integers(0, len(words)))] = str(rng.choice(vocab))
        rng.shuffle(words)
        pid, acc, t = f"p{n}", f"a{int(rng.integers(0, 60))}", float(rng.uniform(0, 7200))
        text = " ".join(words).upper() if rng.random() < 0.2 else " ".join(words)  # case is folded
        P.add(pid, acc, t, text)
        texts[pid], times[pid], accounts[pid] = {w.lower() for w in words}, t, acc
    return P, texts, times, accounts


def _brute_force(texts, times, accounts, threshold, window, min_tokens=5):
    out = set()
    docs = [p for p, s in texts.items() if len(s) >= min_tokens]
    for a, b in combinations(docs, 2):
        if accounts[a] == accounts[b] or abs(times[a] - times[b]) > window:
            continue
        x, y = texts[a], texts[b]
        inter = len(x & y)
        if inter / (len(x) + len(y) - inter) >= threshold:
            out.add(frozenset((a, b)))
    return out


@pytest.mark.parametrize("seed,threshold", [(1, 0.8), (2, 0.7), (3, 0.6), (4, 1.0)])
def test_cotext_finds_exactly_the_pairs_all_pairs_comparison_finds(ws, seed, threshold):
    P, texts, times, accounts = _near_duplicate_world(seed)
    P.insert(ws)
    build(ws, BuildParams(behaviours=("cotext",), min_weight=1, window=60, text_threshold=threshold))
    ev = ws.df("SELECT post_a, post_b, similarity FROM coord_evidence")
    got = {frozenset((a, b)) for a, b in zip(ev.post_a, ev.post_b)}
    want = _brute_force(texts, times, accounts, threshold, 60)
    assert len(want) > (10 if threshold == 1.0 else 50)  # a real comparison, with common words in every text
    assert got == want, (len(got - want), len(want - got))
    assert len(got) == len(ev)  # each pair once
    for a, b, s in zip(ev.post_a, ev.post_b, ev.similarity):
        x, y = texts[a], texts[b]
        assert s == pytest.approx(len(x & y) / len(x | y))


def test_capped_cotext_bucket_is_reported_with_an_example_text(ws):
    P = Posts()
    text = "the very same campaign message copied by everyone at once"
    for i in range(30):
        P.add(f"s{i}", f"u{i}", i, text)
    P.insert(ws)
    res = build(ws, BuildParams(behaviours=("cotext",), cap=20, min_weight=1))
    assert res.per_behaviour[0]["capped_buckets"] >= 1
    capped = ws.df("SELECT * FROM coord_capped")
    assert (capped.n_posts == 30).all() and (capped.behaviour == "cotext").all()
    assert capped.item.str.startswith("near-duplicate texts like: the very same campaign").all()
    assert "example" not in capped.columns
