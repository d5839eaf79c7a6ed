"""The workspace schema and its migrations.

Each migration is a list of SQL statements applied in order inside one transaction; ``schema_version`` records
which have run. Never edit a released migration: append a new one.

Tables
------
datasets            one row per ingested file (path, size, sha256, format, platform, counts, source note)
posts               canonical posts, one row per (platform, post_id); ``embedded`` rows were only seen inside
                    another record (e.g. the original of a retweet)
account_snapshots   every distinct observation of an account (handle, profile, counts) with the time span over
                    which it was observed; ``accounts`` is a view of the latest observation per account
quarantine          records that could not be loaded, with the reason and a bounded raw excerpt
runs                one row per analysis run (signal name, version, parameters, timing, counts)
evidence            the single table every analysis writes its per-subject results to (see docs/evidence.md)
"""
from __future__ import annotations

from ..records import ACCOUNT_SCHEMA, POST_SCHEMA

DUCK_TYPES = {
    "string": "VARCHAR",
    "int64": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp[us, tz=UTC]": "TIMESTAMPTZ",
    "list<item: string>": "VARCHAR[]",
}


def _columns(schema) -> str:
    return ",\n  ".join(f"{f.name} {DUCK_TYPES[str(f.type)]}" for f in schema)


MIGRATIONS: list[list[str]] = [
    # 1: the foundation
    [
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        """CREATE TABLE datasets (
  dataset_id VARCHAR PRIMARY KEY,
  path VARCHAR, size_bytes BIGINT, sha256 VARCHAR UNIQUE, format VARCHAR, platform VARCHAR,
  imported_at TIMESTAMPTZ, source_note VARCHAR,
  n_read BIGINT, n_loaded BIGINT, n_duplicate BIGINT, n_quarantined BIGINT,
  n_embedded BIGINT, n_repaired BIGINT, n_account_obs BIGINT, seconds DOUBLE
)""",
        f"CREATE TABLE posts (\n  {_columns(POST_SCHEMA)},\n  dataset_id VARCHAR\n)",
        f"""CREATE TABLE account_snapshots (
  {_columns(ACCOUNT_SCHEMA).replace('observed_at TIMESTAMPTZ', 'first_observed TIMESTAMPTZ, last_observed TIMESTAMPTZ')},
  n_observations BIGINT,
  dataset_id VARCHAR
)""",
        """CREATE TABLE quarantine (
  dataset_id VARCHAR, record_position BIGINT, reason VARCHAR, excerpt VARCHAR
)""",
        """CREATE TABLE runs (
  run_id VARCHAR PRIMARY KEY, signal VARCHAR, signal_version VARCHAR, params VARCHAR,
  started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, n_rows BIGINT, note VARCHAR
)""",
        """CREATE TABLE evidence (
  run_id VARCHAR,
  signal VARCHAR,
  signal_version VARCHAR,
  subject_type VARCHAR,
  platform VARCHAR,
  subject_id VARCHAR,
  label VARCHAR,
  score DOUBLE,
  ci_low DOUBLE,
  ci_high DOUBLE,
  refs STRUCT(kind VARCHAR, id VARCHAR, weight DOUBLE, note VARCHAR)[],
  details VARCHAR,
  created_at TIMESTAMPTZ
)""",
        """CREATE VIEW accounts AS
SELECT * EXCLUDE (rn) FROM (
  SELECT *, row_number() OVER (PARTITION BY platform, account_id
                               ORDER BY last_observed DESC NULLS LAST, dataset_id DESC) AS rn
  FROM account_snapshots) WHERE rn = 1""",
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
