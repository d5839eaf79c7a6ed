"""Telegram Desktop's JSON export (``result.json``), streamed message by message.

Two shapes: a single chat or channel export (``{"name", "type", "id", "messages": [...]}``) and a full account
export (``{"about", "personal_information", ..., "chats": {"list": [chat, ...]}, "left_chats": {"list": [...]}}``).
The file is parsed incrementally (ijson), so a large export never sits in memory whole.

Each message of type ``message`` becomes a post: platform ``telegram``, post_id ``<chat id>:<message id>``,
account_id = ``from_id`` as Telegram writes it (``user123``, ``channel123``: users and channels are separate id
spaces), display name = ``from``. ``text`` is a string or an array of strings and entity objects (plain, bold,
link, text_link, mention, hashtag, ...): the text is rebuilt from it and hashtags, mentions and links come from the
entities (``text_entities`` when present). ``date_unixtime`` gives UTC; an older export with only ``date`` (the
exporting computer's local time) is read as UTC and flagged in ``extra.date_local``. ``reply_to_message_id`` links
to the post in the same chat. A forwarded message is a repost: its text is the original's, ``repost_of_account_id``
is ``forwarded_from_id`` when the export has it, else ``name:<forwarded_from>`` (a display name, not unique), and
the name is kept in ``extra.forwarded_from``. Media paths (photo, file) are the export's relative paths. Views,
edits, reactions, media types and ``via_bot`` go to ``extra``.

Service messages (channel created, member joined, message pinned, ...) are not posts: they are read as records
carrying only an account observation of the actor, so they count as loaded without adding a post.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from ..errors import MarsadError
from ..records import (
    Parsed, RecordError, Rejected, check_count, check_date, content_id, excerpt, text_entities,
)
from .base import Reader
from .csvrows import extra_json
from .generic import parse_datetime
from .io import open_binary

PLATFORM = "telegram"
_MESSAGE_PREFIXES = ("messages.item", "chats.list.item.messages.item", "left_chats.list.item.messages.item")
_CHAT_PREFIXES = {"": "", "chats.list.item": "chats.list.item.", "left_chats.list.item": "left_chats.list.item."}
_CHAT_KEYS = ("name", "type", "id")


def _json_safe(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, dict):
        return {k: _json_safe(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    return v


def iter_messages(f) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(chat, message) for every message in an export, in file order, built one message at a time."""
    import ijson

    chat: dict[str, Any] = {}
    builder = None
    msg_prefix = ""
    chat_keys = {p + k: k for p in _CHAT_PREFIXES.values() for k in _CHAT_KEYS}
    for prefix, event, value in ijson.parse(f):
        if builder is not None:
            builder.event(event, value)
            if event == "end_map" and prefix == msg_prefix:
                yield chat, builder.value
                builder = None
            continue
        if event == "start_map" and prefix in _MESSAGE_PREFIXES:
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
            msg_prefix = prefix
        elif event == "start_map" and prefix in ("chats.list.item", "left_chats.list.item"):
            chat = {}
        elif prefix in chat_keys and event in ("string", "number"):
            chat = {**chat, chat_keys[prefix]: value}


def rebuild_text(text: Any, entities: Any) -> tuple[str, dict[str, list[str]], list[dict[str, Any]]]:
    """Plain text, entity lists (hashtags, mentions, urls) and the non-plain entities from a message's text."""
    parts = entities if isinstance(entities, list) and entities else text
    if isinstance(parts, str):
        return parts, text_entities(parts), []
    if not isinstance(parts, list):
        raise RecordError(f"text is a {type(parts).__name__}")
    out: list[str] = []
    found: dict[str, list[str]] = {"hashtags": [], "mentions": [], "urls": []}
    kept: list[dict[str, Any]] = []
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            continue
        if not isinstance(p, dict):
            raise RecordError(f"text entity is a {type(p).__name__}")
        t = str(p.get("text") or "")
        out.append(t)
        kind = p.get("type")
        if kind == "hashtag":
            found["hashtags"].append(t.lstrip("#＃"))
        elif kind == "mention":
            found["mentions"].append(t.lstrip("@").lower())
        elif kind == "link":
            found["urls"].append(t if "://" in t else "http://" + t)
        elif kind == "text_link" and p.get("href"):
            found["urls"].append(str(p["href"]))
        if kind not in (None, "plain"):
            kept.append({k: _json_safe(v) for k, v in p.items() if k in ("type", "text", "href", "user_id")})
    joined = "".join(out)
    # a plain-string text still carries entities Telegram did not mark (e.g. in older exports): fill the gaps
    if not any(found.values()):
        found = text_entities(joined)
    return joined, found, kept


def _created(msg: dict[str, Any]) -> tuple[datetime | None, bool]:
    """(UTC time, True when only the local-time ``date`` was available)."""
    ts = msg.get("date_unixtime")
    if ts not in (None, ""):
        try:
            return datetime.fromtimestamp(int(ts), tz=timezone.utc), False
        except (TypeError, ValueError, OverflowError, OSError):
            raise RecordError(f"date_unixtime is not a timestamp: {str(ts)[:30]!r}") from None
    return parse_datetime(msg.get("date")), True


def message_record(chat: dict[str, Any], msg: dict[str, Any], position: int) -> Parsed:
    """Per-record kernel: one exported message (of either type) to a Parsed."""
    if not isinstance(msg, dict):
        raise RecordError("message is not an object")
    mid = msg.get("id")
    if mid is None or isinstance(mid, bool) or not str(mid).lstrip("-").isdigit():
        raise RecordError(f"message id missing or not a number: {str(mid)[:30]!r}")
    created, local = _created(msg)
    created = check_date(created, PLATFORM, "date")
    if created is None:
        raise RecordError("message has no date")
    chat_id = str(chat.get("id")) if chat.get("id") is not None else content_id(PLATFORM, chat.get("name"))
    kind = msg.get("type", "message")
    if kind == "service":
        actor = msg.get("actor_id")
        accounts = []
        if actor:
            accounts.append({"platform": PLATFORM, "account_id": str(actor), "display_name": msg.get("actor"),
                             "observed_at": created})
        return Parsed(position, [], accounts)
    if kind != "message":
        raise RecordError(f"unknown message type {str(kind)[:30]!r}")
    text, ents, kept = rebuild_text(msg.get("text", ""), msg.get("text_entities"))
    from_id = msg.get("from_id")
    account_id = str(from_id) if from_id else None
    if account_id is None and str(chat.get("type", "")).endswith("channel"):
        account_id = f"channel{chat_id}"  # channel posts of older exports carry no from_id
    name = msg.get("from") if msg.get("from") is not None else (chat.get("name") if account_id else None)
    post: dict[str, Any] = {
        "platform": PLATFORM, "post_id": f"{chat_id}:{mid}", "account_id": account_id, "created_at": created,
        "text": text, **ents,
    }
    if msg.get("reply_to_message_id") is not None:
        peer = msg.get("reply_to_peer_id")
        post["reply_to_post_id"] = f"{str(peer).removeprefix('channel') if peer else chat_id}:" \
                                   f"{msg['reply_to_message_id']}"
    fwd = msg.get("forwarded_from")
    fwd_id = msg.get("forwarded_from_id")
    if fwd is not None or fwd_id:
        post["repost_of_account_id"] = str(fwd_id) if fwd_id else f"name:{fwd}"
    media = [str(msg[k]) for k in ("photo", "file") if msg.get(k)]
    post["media_urls"] = media
    views = check_count(msg.get("views"), "views") if msg.get("views") is not None else None
    extra = {
        "chat_name": chat.get("name"), "chat_type": chat.get("type"), "forwarded_from": fwd,
        "saved_from": msg.get("saved_from"), "via_bot": msg.get("via_bot"), "views": views,
        "edited": msg.get("edited"), "media_type": msg.get("media_type"), "mime_type": msg.get("mime_type"),
        "reactions": _json_safe(msg.get("reactions")), "entities": kept, "author": msg.get("author"),
        "date_local": msg.get("date") if local else None,
    }
    post["extra"] = extra_json(extra)
    accounts = []
    if account_id:
        accounts.append({"platform": PLATFORM, "account_id": account_id, "display_name": name,
                         "observed_at": created})
    return Parsed(position, [post], accounts)


class TelegramReader(Reader):
    name = "telegram"
    platform = PLATFORM
    description = "Telegram Desktop JSON export result.json (one chat/channel, or a full export with chats.list)"

    @classmethod
    def sniff(cls, head: str, path: Path) -> float:
        h = head.lstrip()
        if not h.startswith("{"):
            return 0.0
        marks = sum(m in head for m in ('"messages"', '"date_unixtime"', '"from_id"', '"text_entities"',
                                        '"personal_information"', '"chats"', '"left_chats"'))
        chat_type = any(f'"{t}"' in head for t in ("public_channel", "private_channel", "private_supergroup",
                                                   "public_supergroup", "private_group", "personal_chat"))
        if '"messages"' in head and chat_type:
            return 0.95
        if '"personal_information"' in head and '"chats"' in head:
            return 0.9
        return 0.7 if marks >= 3 and '"messages"' in head else 0.0

    def records(self) -> Iterator[Parsed | Rejected]:
        import ijson

        position = 0
        with open_binary(self.path) as f:
            try:
                for chat, msg in iter_messages(f):
                    position += 1
                    try:
                        yield message_record(chat, msg, position)
                    except RecordError as e:
                        yield Rejected(position, str(e), excerpt(_json_safe(msg)))
            except ijson.JSONError as e:
                if position == 0:
                    raise MarsadError(f"{self.path}: not a readable Telegram export ({str(e)[:100]})") from None
                yield Rejected(position + 1, f"export is cut or malformed after message {position}: "
                                             f"{str(e)[:200]}", "")
        if position == 0:
            raise MarsadError(f"{self.path}: no messages found; expected Telegram Desktop's result.json "
                              "(a chat export with \"messages\", or a full export with \"chats\")")
