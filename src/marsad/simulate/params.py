"""Parameters of a simulated world, each documented with where its default comes from.

Defaults are drawn from the studies summarised in ``shared/reference/studies.md``:

- Berger & Morgan, *The ISIS Twitter Census* (2015): interface language ~75% Arabic / 20% English / 5% French;
  primary client Android 69%, iPhone 30%, BlackBerry 1%; about 1,000 followers on average, none above 50,000;
  a hyperactive core; only 1.5% of accounts with any geotagged tweet; profile-location ranking led by Saudi
  Arabia, Syria, Iraq, USA, Egypt, Kuwait, Turkey...; ~3.4% of accounts suspended over three months.
- Vidino & Hughes (GWU 2015): roles **node / amplifier / shout-out**; serial handle variants for re-created
  accounts; black-flag / lion / green-bird avatars.
- Berger & Perez (GWU 2016): under 2% of listed accounts suspended on an average day; returning users lose most
  of their followers each time; a shout-out account announced returning accounts.
- Ceron, Curini & Iacus (2014): share of supportive posts by country (Qatar ~47%, Pakistan 35%, Belgium 31%...).
- Magdy et al. (2015): the full name "الدولة الإسلامية" goes with support, the acronym "داعش" with opposition.

Every share-like parameter is validated (non-negative, sums to one where it is a distribution); impossible values
raise :class:`marsad.errors.MarsadError` with one clear line.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from ..errors import MarsadError

ROLES = ("node", "amplifier", "shoutout", "other")
DEVICE_FAMILIES = ("android", "iphone", "ipad", "web", "blackberry", "automation", "third-party")
LANGS = ("ar", "en", "fr")
CATEGORIES = ("supporter", "hard_negative", "ordinary")
FORMATS = ("v1", "v2", "telegram")
COORD_BEHAVIOURS = ("repost", "copypaste", "hashtag")
HANDLE_VARIANTS = ("suffix", "underscore", "translit")


def _d(**kw: float) -> Any:
    return field(default_factory=lambda: dict(kw))


@dataclass
class SimParams:
    # --- size and time ---------------------------------------------------------------------------------------------
    #: people at the start of the period; every person has one account, re-created accounts come on top
    accounts: int = 2000
    #: days simulated
    days: int = 30
    #: random seed: the same seed and parameters give byte-identical output
    seed: int = 1
    #: first day (UTC), inside the Brookings census collection period by default
    start: str = "2014-10-01"
    #: collection rounds: the posts are written to this many files (consecutive day ranges); account observations
    #: change between them (followers, renames, accounts gone after suspension)
    rounds: int = 3
    #: output format: v1 (Twitter API v1.1 JSON lines), v2 (twarc2 API pages), telegram (Telegram Desktop export)
    format: str = "v1"

    # --- population -------------------------------------------------------------------------------------------------
    #: overall share of people who support the organisation (the rest is the larger control population)
    supporter_share: float = 0.25
    #: share of the control population who talk about the organisation without supporting it (journalists,
    #: researchers, critics): the hard negatives
    hard_negative_share: float = 0.25
    #: roles of supporters after the GWU typology ("other": ordinary low-activity supporters); non-supporters are
    #: always "other"
    supporter_roles: dict = _d(node=0.08, amplifier=0.72, shoutout=0.05, other=0.15)
    #: population weight of each country (where accounts are); ISO 3166-1 alpha-2
    country_weights: dict = _d(
        SA=20, EG=10, KW=5, IQ=6, SY=5, AE=4, QA=2, JO=3, LB=3, PS=3, YE=2, LY=2, TN=2, MA=2, DZ=2,
        TR=4, US=8, GB=5, FR=3, BE=1, DE=2, ES=1, CA=1, PK=2, ID=2,
    )
    #: relative share of supporters in each country (Ceron et al. 2014 shares of supportive posts; others 0.12);
    #: rescaled so that the overall supporter share is ``supporter_share``
    country_support: dict = _d(
        QA=0.47, PK=0.35, BE=0.31, ID=0.26, GB=0.238, LY=0.23, ES=0.22, TR=0.22, EG=0.215, US=0.214, FR=0.208,
        IQ=0.198, SA=0.197, DE=0.157, CA=0.153, SY=0.076,
    )
    #: default relative support share for countries not in ``country_support``
    country_support_default: float = 0.12

    # --- clients / devices (primary client family of each account; Berger & Morgan for supporters) ----------------
    devices_supporter: dict = _d(android=0.69, iphone=0.30, blackberry=0.01)
    devices_control: dict = _d(android=0.44, iphone=0.33, web=0.11, ipad=0.04, blackberry=0.02,
                               **{"third-party": 0.04, "automation": 0.02})
    #: share of an account's posts sent from a secondary client (the web client), the rest from its primary one
    secondary_client_share: float = 0.08

    # --- followers and activity (log-normal, heavy-tailed) ----------------------------------------------------------
    #: median followers of supporters (mean ~1,000 with sigma 1.5: Berger & Morgan)
    followers_median_supporter: float = 330.0
    followers_sigma_supporter: float = 1.5
    #: "none above 50,000" (Berger & Morgan)
    followers_cap_supporter: int = 50_000
    followers_median_control: float = 250.0
    followers_sigma_control: float = 1.8
    followers_cap_control: int = 2_000_000
    #: daily follower growth while an account is active (share of its followers)
    follower_growth_per_day: float = 0.004
    #: median posts per day; sigma of the log-normal
    posts_per_day_supporter: float = 3.0
    posts_per_day_control: float = 1.5
    posts_per_day_sigma: float = 0.9
    #: share of supporters in the hyperactive core, their activity multiplier, and their burst days
    hyperactive_share: float = 0.03
    hyperactive_multiplier: float = 8.0
    burst_day_share: float = 0.2
    burst_multiplier: float = 3.0
    #: role multipliers on activity (a role left out counts as 1)
    activity_by_role: dict = _d(node=2.0, amplifier=1.5, shoutout=1.2, other=0.5)

    # --- what each kind of account posts: shares of original / repost / reply / quote / shout-out (keys left out
    # --- count as 0; the shares must sum to 1) ----------------------------------------------------------------
    mix_node: dict = _d(original=0.80, repost=0.12, reply=0.06, quote=0.02, shoutout=0.0)
    mix_amplifier: dict = _d(original=0.08, repost=0.82, reply=0.08, quote=0.02, shoutout=0.0)
    mix_shoutout: dict = _d(original=0.10, repost=0.40, reply=0.05, quote=0.0, shoutout=0.45)
    mix_supporter_other: dict = _d(original=0.40, repost=0.50, reply=0.10, quote=0.0, shoutout=0.0)
    mix_hard_negative: dict = _d(original=0.70, repost=0.18, reply=0.06, quote=0.06, shoutout=0.0)
    mix_ordinary: dict = _d(original=0.65, repost=0.28, reply=0.07, quote=0.0, shoutout=0.0)
    #: share of supporters' originals that are ordinary chatter / religious text (not supportive)
    supporter_chatter_share: float = 0.12
    #: share of hard negatives' originals that are ordinary chatter
    hard_negative_chatter_share: float = 0.2
    #: weight of a node's original, relative to other supporters' originals, when amplifiers choose what to repost
    node_repost_weight: float = 6.0
    #: how long an original stays in the pool of things to repost, reply to or quote (days)
    repost_window_days: int = 3

    # --- locations ------------------------------------------------------------------------------------------------
    #: share of profiles with an empty location, a joke / non-place ("dar al-kufr"), an ambiguous multi-place string
    location_empty_share: float = 0.30
    location_joke_share: float = 0.08
    location_ambiguous_share: float = 0.03
    #: share of supporters in Syria / Iraq / Libya / Yemen writing a "wilayah" name instead of a city
    location_wilayah_share: float = 0.35
    #: share of profiles with a time zone set (utc_offset and time_zone)
    timezone_share: float = 0.5
    #: share of accounts that geotag, and the share of their posts that carry coordinates (1.5%: Berger & Morgan)
    geotag_account_share: float = 0.015
    geotag_post_share: float = 0.4

    # --- suspensions and re-created accounts ----------------------------------------------------------------------
    #: suspension waves every N days; the share of active supporter accounts suspended in each wave
    suspension_wave_every_days: int = 7
    suspension_wave_share: float = 0.05
    #: multiplier of the suspension probability by role (conspicuous accounts are suspended more; a role left out
    #: counts as 1)
    suspension_by_role: dict = _d(node=2.0, amplifier=1.0, shoutout=2.0, other=0.5)
    #: share of control accounts suspended over the whole period (spam etc.), never re-created
    control_suspension_share: float = 0.003
    #: share of suspended supporters who come back with a new account, and the delay in days (min, max)
    recreate_share: float = 0.65
    recreate_delay_days: tuple = (0.3, 4.0)
    #: share of the old followers a returning account regains (min, max): "lost most of their followers"
    follower_regain: tuple = (0.08, 0.45)
    #: how a returning handle varies: numeric suffix / moved or doubled underscores / transliteration variant
    handle_variants: dict = _d(suffix=0.5, underscore=0.25, translit=0.25)
    #: share of returning accounts that upload the same avatar image again (else a near-identical one)
    avatar_same_share: float = 0.7
    #: shout-outs announcing each return (min, max), and the delay after the return in hours (max)
    shoutouts_per_return: tuple = (1, 3)
    shoutout_delay_hours: float = 18.0
    #: share of accounts that change handle once during the period (not a suspension)
    rename_share: float = 0.02

    # --- coordinated groups ---------------------------------------------------------------------------------------
    #: share of supporters (amplifiers first) in coordinated groups, and group sizes (min, max)
    coord_supporter_share: float = 0.12
    coord_group_size: tuple = (5, 20)
    #: coordinated groups in the control population (commercial / spam hashtag pushing)
    coord_control_groups: int = 1
    #: behaviours of groups: same repost within seconds, near-identical text with the same link, same hashtag push
    coord_behaviours: dict = _d(repost=0.45, copypaste=0.35, hashtag=0.20)
    #: events per group per day; share of members taking part in an event; their delay after the first (seconds)
    coord_events_per_day: float = 3.0
    coord_participation: float = 0.85
    coord_delay_seconds: float = 45.0
    #: share of groups whose members post through an automation client
    coord_automation_share: float = 0.3

    # ----------------------------------------------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SimParams":
        if not isinstance(d, dict):
            raise MarsadError("simulation parameters must be a mapping of names to values")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise MarsadError(f"unknown simulation parameter(s): {', '.join(unknown)}")
        default = cls()
        p = cls(**{k: (tuple(v) if isinstance(getattr(default, k), tuple) and isinstance(v, list) else v)
                   for k, v in d.items()})
        return p.validate()

    @property
    def start_dt(self) -> datetime:
        return datetime.fromisoformat(self.start).replace(tzinfo=timezone.utc)

    def mixes(self) -> dict[str, dict]:
        return {
            "node": self.mix_node, "amplifier": self.mix_amplifier, "shoutout": self.mix_shoutout,
            "supporter_other": self.mix_supporter_other, "hard_negative": self.mix_hard_negative,
            "ordinary": self.mix_ordinary,
        }

    def validate(self) -> "SimParams":
        def bad(msg: str) -> None:
            raise MarsadError(f"impossible simulation parameters: {msg}")

        for name in ("accounts", "days", "rounds"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                bad(f"{name} must be a positive whole number (got {v!r})")
        if self.accounts < 20:
            bad(f"accounts must be at least 20 to hold every kind of account (got {self.accounts})")
        if self.rounds > self.days:
            bad(f"rounds ({self.rounds}) cannot exceed days ({self.days})")
        if self.format not in FORMATS:
            bad(f"format must be one of {', '.join(FORMATS)} (got {self.format!r})")
        try:
            start = self.start_dt
        except ValueError:
            bad(f"start must be a date like 2014-10-01 (got {self.start!r})")
        from datetime import timedelta

        if start.year < 2007:
            bad(f"start {self.start} is before 2007 (accounts are created before the first day)")
        if self.format == "telegram" and start < datetime(2013, 9, 1, tzinfo=timezone.utc):
            bad(f"start {self.start} is before Telegram existed (2013-08)")
        if start + timedelta(days=self.days) > datetime.now(timezone.utc):
            bad(f"the period {self.start} + {self.days} days ends in the future")
        if self.accounts > 20_000_000 or self.days > 3650:
            bad("at most 20,000,000 accounts and 3,650 days")
        if not isinstance(self.seed, int) or self.seed < 0:
            bad(f"seed must be a non-negative whole number (got {self.seed!r})")

        for name in (
            "supporter_share", "hard_negative_share", "secondary_client_share", "hyperactive_share",
            "burst_day_share", "supporter_chatter_share", "hard_negative_chatter_share", "location_empty_share",
            "location_joke_share", "location_ambiguous_share", "location_wilayah_share", "timezone_share",
            "geotag_account_share", "geotag_post_share", "suspension_wave_share", "control_suspension_share",
            "recreate_share", "avatar_same_share", "rename_share", "coord_supporter_share", "coord_participation",
            "coord_automation_share", "follower_growth_per_day",
        ):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0.0 <= v <= 1.0:
                bad(f"{name} must be a share between 0 and 1 (got {v!r})")
        if not 0.0 < self.supporter_share < 1.0:
            bad(f"supporter_share must be strictly between 0 and 1 (got {self.supporter_share})")
        if self.location_empty_share + self.location_joke_share + self.location_ambiguous_share > 1.0:
            bad("location_empty_share + location_joke_share + location_ambiguous_share exceed 1")

        for name in (
            "followers_median_supporter", "followers_sigma_supporter", "followers_median_control",
            "followers_sigma_control", "posts_per_day_supporter", "posts_per_day_control", "posts_per_day_sigma",
            "hyperactive_multiplier", "burst_multiplier", "node_repost_weight", "coord_events_per_day",
            "coord_delay_seconds", "shoutout_delay_hours", "country_support_default",
        ):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                bad(f"{name} must be a non-negative number (got {v!r})")
        for name in ("followers_cap_supporter", "followers_cap_control", "suspension_wave_every_days",
                     "repost_window_days", "coord_control_groups"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 0:
                bad(f"{name} must be a non-negative whole number (got {v!r})")
        if self.suspension_wave_every_days < 1 or self.repost_window_days < 1:
            bad("suspension_wave_every_days and repost_window_days must be at least 1")

        self._distribution("supporter_roles", self.supporter_roles, ROLES)
        self._distribution("devices_supporter", self.devices_supporter, DEVICE_FAMILIES)
        self._distribution("devices_control", self.devices_control, DEVICE_FAMILIES)
        self._distribution("handle_variants", self.handle_variants, HANDLE_VARIANTS)
        self._distribution("coord_behaviours", self.coord_behaviours, COORD_BEHAVIOURS)
        for k, mix in self.mixes().items():
            self._distribution(f"mix_{k}", mix, ("original", "repost", "reply", "quote", "shoutout"))
        self._distribution("activity_by_role", self.activity_by_role, ROLES, normalised=False)
        self._distribution("suspension_by_role", self.suspension_by_role, ROLES, normalised=False)
        self._distribution("country_weights", self.country_weights, None, normalised=False)
        if not sum(self.country_weights.values()) > 0:
            bad("country_weights must have a positive total")
        from .places import COUNTRY_INFO

        for c in list(self.country_weights) + list(self.country_support):
            if c not in COUNTRY_INFO:
                bad(f"country {c!r} is not one the simulator knows ({', '.join(sorted(COUNTRY_INFO))})")
        for c, v in self.country_support.items():
            if not isinstance(v, (int, float)) or not 0 <= v <= 1:
                bad(f"country_support[{c}] must be a share between 0 and 1 (got {v!r})")

        for name in ("recreate_delay_days", "follower_regain", "shoutouts_per_return", "coord_group_size"):
            v = getattr(self, name)
            if (not isinstance(v, (tuple, list)) or len(v) != 2 or any(not isinstance(x, (int, float)) for x in v)
                    or v[0] < 0 or v[1] < v[0]):
                bad(f"{name} must be a (min, max) pair with 0 <= min <= max (got {v!r})")
        if self.coord_group_size[0] < 2:
            bad("coord_group_size minimum must be at least 2")
        if self.follower_regain[1] > 1:
            bad("follower_regain maximum must be at most 1")
        return self

    @staticmethod
    def _distribution(name: str, d: Any, keys: tuple | None, normalised: bool = True) -> None:
        if not isinstance(d, dict) or not d:
            raise MarsadError(f"impossible simulation parameters: {name} must be a non-empty mapping")
        for k, v in d.items():
            if keys is not None and k not in keys:
                raise MarsadError(
                    f"impossible simulation parameters: {name} has unknown key {k!r} (known: {', '.join(keys)})"
                )
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise MarsadError(f"impossible simulation parameters: {name}[{k}] must be >= 0 (got {v!r})")
        if normalised and abs(sum(d.values()) - 1.0) > 1e-6:
            raise MarsadError(
                f"impossible simulation parameters: the shares in {name} sum to {sum(d.values()):.4g}, not 1"
            )
