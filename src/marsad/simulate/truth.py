"""Ground truth of a simulated world, written to ``DIR/truth/`` as CSV with a README.md describing every column.

Ids are the platform ids exactly as they appear in the generated files (Twitter: ``id_str`` of users and
tweets; Telegram: ``from_id`` such as ``user123`` and the message id), so evaluation joins directly on the
workspace's ``account_id`` / ``post_id``.
"""
from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .days import KIND_NAMES, SHOUTOUT, Day
from .params import DEVICE_FAMILIES, LANGS, ROLES
from .world import CATEGORY_NAMES, DAY_MS, NEVER, SUPPORTER, HARD_NEGATIVE, World
from .writers import SOURCES_NAME

ACCOUNT_COLUMNS = {
    "account_id": "platform account id as in the data (Twitter id_str; Telegram from_id)",
    "handle": "handle (screen name) the account started with",
    "handles": "every handle the account used, '|'-separated (renames)",
    "display_name": "display name",
    "category": "supporter | hard_negative (talks about the organisation without supporting it) | ordinary",
    "is_supporter": "true for supporters of the organisation",
    "is_hard_negative": "true for journalists, researchers, critics who talk about the organisation",
    "role": "node | amplifier | shoutout | other (GWU typology; non-supporters are always other)",
    "person_id": "the person behind the account (stable across re-created accounts)",
    "family_id": "re-created account family: all accounts of one person share it (singletons too)",
    "family_seq": "0 for the person's first account, 1 for the first re-creation, ...",
    "prev_account_id": "the suspended account this one replaces (empty for first accounts)",
    "handle_variant": "how the handle differs from the previous account: suffix | underscore | translit",
    "avatar_same": "true when a returning account re-uploaded the same avatar image (same file name)",
    "country": "ISO 3166-1 alpha-2 country where the account really is",
    "lang": "interface / post language (ar, en, fr)",
    "location_string": "free-text profile location as written",
    "location_kind": "city | country | flag | wilayah | joke | ambiguous | empty",
    "location_country": "country the location string names (empty for joke, ambiguous, empty)",
    "time_zone": "profile time zone (empty when not set)",
    "device_family": "primary client family: android, iphone, ipad, web, blackberry, automation, third-party",
    "client": "primary client name as in the source string",
    "coord_group": "coordinated group id (empty when in none)",
    "hyperactive": "true for the hyperactive core",
    "geotagger": "true when the account geotags some posts",
    "created_at": "account creation time (UTC, ISO 8601)",
    "active_from": "first moment the account can post in the period",
    "suspended_at": "suspension time (empty if never suspended)",
    "renamed_at": "time the account changed handle (empty if never)",
    "followers_initial": "followers at its first observation in the period",
    "followers": "followers at its last observation in the period",
    "n_posts": "posts written in the period (in the data)",
}
POST_COLUMNS = {
    "post_id": "post id as marsad reads it (Twitter id_str; Telegram '<chat id>:<message id>')",
    "account_id": "author's account id",
    "created_at": "UTC, ISO 8601",
    "kind": "original | repost | reply | quote | shoutout | coord-copy | coord-hashtag",
    "supportive": "true when the post supports the organisation (a repost takes its original's stance)",
    "lang": "language of the text",
    "country": "author's real country (ISO2)",
    "coord_group": "coordinated group whose event this post belongs to (empty otherwise)",
    "coord_event": "the coordinated event (one burst of the group) the post belongs to (empty otherwise)",
    "is_shoutout": "true for posts that announce/promote accounts",
    "promoted_account_ids": "accounts promoted by a shout-out, '|'-separated",
    "is_geotagged": "true when the post carries coordinates and a place",
    "geo_country": "country of the geotag (empty when not geotagged)",
    "target_post_id": "the reposted / replied-to / quoted post (empty otherwise)",
    "round": "collection round (output file number)",
}


_KINDS = pa.array(KIND_NAMES, pa.string())
_LANGS = pa.array(LANGS, pa.string())


def _id_or_empty(x: np.ndarray) -> pa.Array:
    """Decimal strings of the non-negative values, "" for the negative ones (no id)."""
    arr = pa.array(x)
    return pc.if_else(pc.greater_equal(arr, 0), pc.cast(arr, pa.string()), "")


def _iso_column(t: np.ndarray, d0: int) -> pa.Array:
    """ISO 8601 UTC times to the second ("2014-10-01T20:19:24Z"), vectorised for the day starting at ``d0``."""
    s = (t - d0) // 1000
    if len(t) and (s.min() < 0 or s.max() >= 86400):
        return pa.array(np.datetime_as_string(t.astype("datetime64[ms]"), unit="s").astype(object) + "Z")
    buf = np.empty((len(t), 20), np.uint8)
    buf[:] = np.frombuffer(_iso(d0).encode(), np.uint8)
    for col, v in ((11, s // 3600), (14, s // 60 % 60), (17, s % 60)):
        buf[:, col] = 48 + v // 10
        buf[:, col + 1] = 48 + v % 10
    return pa.array(buf.view("S20").ravel()).cast(pa.string())


def _iso(ms: int) -> str:
    if ms is None or ms >= NEVER:
        return ""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TruthWriter:
    def __init__(self, world: World, out: Path, account_prefix: str = ""):
        self.w = world
        self.dir = out / "truth"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.prefix = account_prefix
        self.ids = np.array([account_prefix + world.id_str(i) for i in range(world.n_accounts)], dtype=object)
        self.n_posts = np.zeros(world.n_accounts, np.int64)
        self.target_ids: dict | None = {} if account_prefix else None  # internal post id -> id in the data
        self.posts_writer = None
        self.ids_pa = self.countries_pa = None
        self.schema = pa.schema([(c, pa.string() if c not in ("supportive", "is_shoutout", "is_geotagged", "round")
                                  else (pa.int32() if c == "round" else pa.bool_())) for c in POST_COLUMNS])

    def add_day(self, day: Day, post_ids: np.ndarray | None = None) -> None:
        """Append the day's posts to posts.csv (columns built with Arrow kernels, not per post in Python)."""
        w = self.w
        a = w.a
        n = day.n
        np.add.at(self.n_posts, day.acc, 1)
        if self.ids_pa is None:
            self.ids_pa = pa.array(self.ids, pa.string())
            self.countries_pa = pa.array(w.countries, pa.string())
        country_idx = pa.array(a["country"][day.acc])
        geo = day.city >= 0
        promoted = [""] * n
        for i, accs in day.promoted.items():
            promoted[i] = "|".join(self.ids[accs])
        if self.target_ids is not None:  # formats with their own post ids (Telegram): map, keeping a window
            cut = (day.start_ms - (w.params.repost_window_days + 1) * DAY_MS - 1288834974657) << 22
            for k in [k for k in self.target_ids if k < cut]:
                del self.target_ids[k]
            self.target_ids.update(zip(day.pid.tolist(), post_ids if post_ids is not None else day.pid.astype(str)))
            tgt = pa.array([self.target_ids.get(x, "") if x >= 0 else "" for x in day.target.tolist()], pa.string())
        else:
            tgt = _id_or_empty(day.target)
        cols = {
            "post_id": pa.array(post_ids, pa.string()) if post_ids is not None else _id_or_empty(day.pid),
            "account_id": self.ids_pa.take(pa.array(day.acc)),
            "created_at": _iso_column(day.t, day.start_ms),
            "kind": _KINDS.take(pa.array(day.kind)),
            "supportive": pa.array(day.supportive),
            "lang": _LANGS.take(pa.array(day.lang)),
            "country": self.countries_pa.take(country_idx),
            "coord_group": _id_or_empty(day.coord_group),
            "coord_event": _id_or_empty(day.coord_event),
            "is_shoutout": pa.array(day.kind == SHOUTOUT),
            "promoted_account_ids": pa.array(promoted, pa.string()),
            "is_geotagged": pa.array(geo),
            "geo_country": pc.if_else(pa.array(geo), self.countries_pa.take(country_idx), ""),
            "target_post_id": tgt,
            "round": pa.array(np.full(n, day.index * w.params.rounds // w.params.days + 1, np.int32)),
        }
        table = pa.table(cols, schema=self.schema)
        if self.posts_writer is None:
            self.posts_writer = pacsv.CSVWriter(str(self.dir / "posts.csv"), self.schema)
        self.posts_writer.write_table(table)

    def close(self) -> None:
        if self.posts_writer is None:
            self.posts_writer = pacsv.CSVWriter(str(self.dir / "posts.csv"), self.schema)
        self.posts_writer.close()
        self._accounts()
        self._families()
        self._groups()
        (self.dir / "params.json").write_text(self.w.params.to_json() + "\n", encoding="utf-8")
        (self.dir / "README.md").write_text(readme(), encoding="utf-8")

    def _accounts(self) -> None:
        w, a = self.w, self.w.a
        last_obs = np.minimum(np.minimum(a["suspended"], w.end_ms), NEVER)
        f_end = w.followers_at(last_obs)
        f_start = w.followers_at(np.maximum(a["active_from"], w.start_ms))
        with open(self.dir / "accounts.csv", "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(ACCOUNT_COLUMNS)
            for i in range(w.n_accounts):
                cat = int(a["category"][i])
                handles = [w.handle[i]] + ([w.rename_handle[i]] if w.rename_handle[i] else [])
                prev = int(a["prev"][i])
                wr.writerow([
                    self.ids[i], w.handle[i], "|".join(handles), w.name[i], CATEGORY_NAMES[cat],
                    str(cat == SUPPORTER).lower(), str(cat == HARD_NEGATIVE).lower(), ROLES[a["role"][i]],
                    int(a["person"][i]), f"f{int(a['person'][i])}", int(a["seq"][i]),
                    self.ids[prev] if prev >= 0 else "", w.variant[i],
                    str(bool(a["avatar_same"][i])).lower() if prev >= 0 else "",
                    w.countries[a["country"][i]], LANGS[a["lang"][i]], w.location[i], w.loc_kind[i],
                    w.loc_country[i], w.tz_name[i], DEVICE_FAMILIES[a["device"][i]], SOURCES_NAME[a["client"][i]],
                    "" if a["coord_group"][i] < 0 else int(a["coord_group"][i]),
                    str(bool(a["hyper"][i])).lower(), str(bool(a["geotag"][i])).lower(),
                    _iso(int(a["created"][i])), _iso(int(a["active_from"][i])), _iso(int(a["suspended"][i])),
                    _iso(int(a["rename_ms"][i])), int(f_start[i]), int(f_end[i]), int(self.n_posts[i]),
                ])

    def _families(self) -> None:
        w, a = self.w, self.w.a
        with open(self.dir / "families.csv", "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(["family_id", "person_id", "n_accounts", "account_ids", "handles", "role", "country"])
            for person, accs in enumerate(w.person_accounts):
                if len(accs) < 2:
                    continue
                wr.writerow([f"f{person}", person, len(accs), "|".join(self.ids[accs]),
                             "|".join(w.handle[i] for i in accs), ROLES[a["role"][accs[0]]],
                             w.countries[a["country"][accs[0]]]])

    def _groups(self) -> None:
        w = self.w
        with open(self.dir / "groups.csv", "w", newline="", encoding="utf-8") as fh:
            wr = csv.writer(fh)
            wr.writerow(["coord_group", "side", "behaviour", "automated", "n_members", "account_ids", "hashtag",
                         "link", "n_events"])
            for g in w.groups:
                accs = [i for p in g.members for i in w.person_accounts[p]]
                wr.writerow([g.gid, "supporter" if g.side == SUPPORTER else "control", g.behaviour,
                             str(g.automated).lower(), len(g.members), "|".join(self.ids[accs]), g.hashtag, g.link,
                             g.events])


def readme() -> str:
    lines = ["# Ground truth of a simulated world", "",
             "Written by `marsad simulate`. Ids are the platform ids as they appear in the generated files.", "",
             "## accounts.csv (one row per account; re-created accounts are separate rows)", ""]
    lines += [f"- `{k}`: {v}" for k, v in ACCOUNT_COLUMNS.items()]
    lines += ["", "## posts.csv (one row per post in the data)", ""]
    lines += [f"- `{k}`: {v}" for k, v in POST_COLUMNS.items()]
    lines += ["", "## families.csv (people with more than one account)", "",
              "- `family_id`, `person_id`, `n_accounts`, `account_ids` ('|'-separated, in order), `handles`, "
              "`role`, `country`", "",
              "## groups.csv (coordinated groups)", "",
              "- `coord_group`, `side` (supporter | control), `behaviour` (repost: same repost within seconds; "
              "copypaste: near-identical text with the same link; hashtag: the same hashtag pushed within minutes), "
              "`automated` (members post through an automation client), `n_members` (people), `account_ids` "
              "(all their accounts), `hashtag`, `link`, `n_events`", "",
              "## params.json", "", "Every parameter of the world (see `marsad.simulate.params`).", ""]
    return "\n".join(lines)



__doc__ = (__doc__ or "") + "\n" + readme()  # the column documentation, as written to DIR/truth/README.md
