"""Keyed pseudonyms for account ids and handles in exports.

Each workspace has a random secret (``meta.pseudonym_key``); a pseudonym is ``u_`` + 12 hex digits of
HMAC-SHA256(secret, platform:account). The same account gets the same pseudonym in every export of a workspace, so
partners can join tables, but cannot reverse it without the key.
"""
from __future__ import annotations

import hashlib
import hmac
import re

import pandas as pd

_MENTION_RE = re.compile(r"@([A-Za-z0-9_]{1,50})")


class Pseudonymiser:
    def __init__(self, key: bytes):
        self.key = key

    def __call__(self, value: str | None, kind: str = "acct") -> str | None:
        if value is None or (isinstance(value, float) and value != value):
            return None
        v = str(value).strip().lstrip("@").lower()
        return "u_" + hmac.new(self.key, f"{kind}:{v}".encode(), hashlib.sha256).hexdigest()[:12]

    def text(self, text: str | None) -> str | None:
        if text is None or (isinstance(text, float) and text != text):
            return None
        return _MENTION_RE.sub(lambda m: "@" + self(m.group(1), "handle"), text)

    def posts(self, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for col in ("account_id", "repost_of_account_id", "reply_to_account_id", "quote_of_account_id"):
            if col in df:
                df[col] = df[col].map(lambda v: self(v, "acct"))
        for col in ("account_handle", "repost_of_handle", "reply_to_handle"):
            if col in df:
                df[col] = df[col].map(lambda v: self(v, "handle"))
        if "mentions" in df:
            df["mentions"] = df["mentions"].map(
                lambda xs: None if xs is None else [self(x, "handle") for x in xs]
            )
        if "text" in df:
            df["text"] = df["text"].map(self.text)
        for col in ("extra",):
            if col in df:
                df[col] = None
        return df

    def accounts(self, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        if "account_id" in df:
            df["account_id"] = df["account_id"].map(lambda v: self(v, "acct"))
        if "handle" in df:
            df["handle"] = df["handle"].map(lambda v: self(v, "handle"))
        for col in ("display_name", "description", "avatar_url"):
            if col in df:
                df[col] = None
        return df
