"""Tenant state in SQLite.

Every object is a row with the columns that constraints need (so that uniqueness
is enforced by SQLite itself, not by check-then-insert code) plus a ``doc`` column
holding the object's API representation *exactly as set* — fields the caller never
set are absent from ``doc``, which is how responses leave unset fields out the way
Auth0 does.  Secrets live in their own columns and never in ``doc``.

Concurrency: one connection, used under a lock, with ``BEGIN IMMEDIATE`` for every
write unit, so parallel requests serialize on the database write lock and no write
is lost.  Constraints that would need a count (the 100 client grants per
organization cap) are triggers, so they hold even for concurrent inserts.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DB_FILE = "tenant.sqlite3"

# Auth0 public cloud limit: M2M client grants per organization (docs: entity limits).
ORG_CLIENT_GRANT_LIMIT = 100

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    kid         TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    cert_pem    TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resource_servers (
    id             TEXT PRIMARY KEY,
    identifier     TEXT NOT NULL UNIQUE,
    is_system      INTEGER NOT NULL DEFAULT 0,
    -- HS256 key when the caller did not set one (Auth0 generates it and does not show it)
    hs_secret      TEXT,
    doc            TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    client_id     TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL,
    doc           TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS client_credentials (
    id        TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
    doc       TEXT NOT NULL,
    -- the registered public key (Auth0 never returns it); verifies client assertions
    pem       TEXT
);
CREATE TABLE IF NOT EXISTS client_grants (
    id           TEXT PRIMARY KEY,
    client_id    TEXT REFERENCES clients(client_id) ON DELETE CASCADE,
    default_for  TEXT,
    audience     TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    doc          TEXT NOT NULL
);
-- One grant per (client, audience, subject_type); default grants per (default_for, ...).
CREATE UNIQUE INDEX IF NOT EXISTS client_grants_one_per_client
    ON client_grants(client_id, audience, subject_type) WHERE client_id IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS client_grants_one_per_default
    ON client_grants(default_for, audience, subject_type) WHERE default_for IS NOT NULL;
CREATE INDEX IF NOT EXISTS client_grants_audience ON client_grants(audience);
CREATE TABLE IF NOT EXISTS organizations (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    doc  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS organization_client_grants (
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    grant_id        TEXT NOT NULL REFERENCES client_grants(id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, grant_id)
);
CREATE INDEX IF NOT EXISTS organization_client_grants_grant ON organization_client_grants(grant_id);
CREATE TRIGGER IF NOT EXISTS organization_client_grants_quota
BEFORE INSERT ON organization_client_grants
WHEN (SELECT COUNT(*) FROM organization_client_grants
      WHERE organization_id = NEW.organization_id) >= {ORG_CLIENT_GRANT_LIMIT}
BEGIN
    SELECT RAISE(ABORT, 'organization_client_grant_quota');
END;
-- Client assertions (private_key_jwt) are single-use: a jti is kept until its assertion expires.
CREATE TABLE IF NOT EXISTS used_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX IF NOT EXISTS used_assertions_expiry ON used_assertions(expires_at);
-- Tokens issued per quota bucket (token_quota of a client or an organization) in the current window.
CREATE TABLE IF NOT EXISTS token_quota_usage (
    subject_kind TEXT NOT NULL,     -- client | organization
    subject_id   TEXT NOT NULL,
    bucket       TEXT NOT NULL,     -- per_hour | per_day
    window_start INTEGER NOT NULL,  -- epoch second the window began (UTC hour / UTC day)
    used         INTEGER NOT NULL,
    PRIMARY KEY (subject_kind, subject_id, bucket)
);
"""

# Columns added after the first release: (table, column, declaration). Data directories made by an older
# emulator get them on start.
MIGRATIONS = (("client_credentials", "pem", "TEXT"),)


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


class Store:
    def __init__(self, data_dir: Path, *, read_only: bool = False) -> None:
        self.path = Path(data_dir) / DB_FILE
        if read_only:
            if not self.path.exists():
                raise FileNotFoundError(self.path)
            uri = f"file:{self.path}?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a write the API acknowledged survives a crash or a SIGKILL.
            self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=10000")
        self.conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        if not read_only:
            self.conn.executescript(SCHEMA)
            for table, column, declaration in MIGRATIONS:
                columns = {row["name"] for row in self.conn.execute(f"PRAGMA table_info({table})")}
                if column not in columns:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: all or nothing, serialized with every other one."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read snapshot."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                yield self.conn
            finally:
                self.conn.execute("COMMIT")


# ---------------------------------------------------------------------------------
# Row helpers (all take the connection of an open transaction).

def load(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else json.loads(row["doc"])


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row["value"]


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


# Clients --------------------------------------------------------------------------

def get_client(conn: sqlite3.Connection, client_id: str) -> tuple[dict[str, Any], str] | None:
    row = conn.execute(
        "SELECT doc, client_secret FROM clients WHERE client_id = ?", (client_id,)
    ).fetchone()
    if row is None:
        return None
    return json.loads(row["doc"]), row["client_secret"]


def list_clients(conn: sqlite3.Connection) -> list[tuple[dict[str, Any], str]]:
    rows = conn.execute("SELECT doc, client_secret FROM clients ORDER BY rowid").fetchall()
    return [(json.loads(r["doc"]), r["client_secret"]) for r in rows]


def insert_client(conn: sqlite3.Connection, doc: dict[str, Any], secret: str) -> None:
    conn.execute(
        "INSERT INTO clients(client_id, client_secret, doc) VALUES (?, ?, ?)",
        (doc["client_id"], secret, dumps(doc)),
    )


def update_client(conn: sqlite3.Connection, doc: dict[str, Any], secret: str) -> None:
    conn.execute(
        "UPDATE clients SET doc = ?, client_secret = ? WHERE client_id = ?",
        (dumps(doc), secret, doc["client_id"]),
    )


def delete_client(conn: sqlite3.Connection, client_id: str) -> bool:
    return conn.execute("DELETE FROM clients WHERE client_id = ?", (client_id,)).rowcount > 0


def list_credentials(conn: sqlite3.Connection, client_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT doc FROM client_credentials WHERE client_id = ? ORDER BY rowid", (client_id,)
    ).fetchall()
    return [json.loads(r["doc"]) for r in rows]


def credential_keys(conn: sqlite3.Connection, client_id: str) -> dict[str, str]:
    """Credential id -> registered PEM (public key or certificate), for the client's credentials."""
    rows = conn.execute(
        "SELECT id, pem FROM client_credentials WHERE client_id = ? AND pem IS NOT NULL", (client_id,)
    ).fetchall()
    return {r["id"]: r["pem"] for r in rows}


def insert_credential(conn: sqlite3.Connection, client_id: str, doc: dict[str, Any], pem: str | None = None) -> None:
    conn.execute(
        "INSERT INTO client_credentials(id, client_id, doc, pem) VALUES (?, ?, ?, ?)",
        (doc["id"], client_id, dumps(doc), pem),
    )


def update_credential(conn: sqlite3.Connection, client_id: str, doc: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE client_credentials SET doc = ? WHERE client_id = ? AND id = ?", (dumps(doc), client_id, doc["id"])
    )


def delete_credential(conn: sqlite3.Connection, client_id: str, cred_id: str) -> bool:
    return (
        conn.execute(
            "DELETE FROM client_credentials WHERE client_id = ? AND id = ?", (client_id, cred_id)
        ).rowcount
        > 0
    )


# Resource servers -----------------------------------------------------------------

def _rs_row(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    doc = json.loads(row["doc"])
    doc["_is_system"] = bool(row["is_system"])
    doc["_hs_secret"] = row["hs_secret"]
    return doc


def get_resource_server(conn: sqlite3.Connection, id_or_identifier: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT doc, is_system, hs_secret FROM resource_servers WHERE id = ? OR identifier = ? "
        "ORDER BY (id = ?) DESC LIMIT 1",
        (id_or_identifier, id_or_identifier, id_or_identifier),
    ).fetchone()
    return _rs_row(row)


def get_resource_server_by_identifier(conn: sqlite3.Connection, identifier: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT doc, is_system, hs_secret FROM resource_servers WHERE identifier = ?", (identifier,)
    ).fetchone()
    return _rs_row(row)


def list_resource_servers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT doc, is_system, hs_secret FROM resource_servers ORDER BY rowid"
    ).fetchall()
    return [_rs_row(r) for r in rows]  # type: ignore[misc]


def insert_resource_server(
    conn: sqlite3.Connection, doc: dict[str, Any], *, is_system: bool = False, hs_secret: str | None = None
) -> None:
    conn.execute(
        "INSERT INTO resource_servers(id, identifier, is_system, hs_secret, doc) VALUES (?, ?, ?, ?, ?)",
        (doc["id"], doc["identifier"], int(is_system), hs_secret, dumps(doc)),
    )


def update_resource_server(conn: sqlite3.Connection, doc: dict[str, Any], hs_secret: str | None) -> None:
    conn.execute(
        "UPDATE resource_servers SET doc = ?, identifier = ?, hs_secret = ? WHERE id = ?",
        (dumps(doc), doc["identifier"], hs_secret, doc["id"]),
    )


def delete_resource_server(conn: sqlite3.Connection, rs_id: str) -> bool:
    return conn.execute("DELETE FROM resource_servers WHERE id = ?", (rs_id,)).rowcount > 0


# Client grants --------------------------------------------------------------------

def get_grant(conn: sqlite3.Connection, grant_id: str) -> dict[str, Any] | None:
    return load(conn.execute("SELECT doc FROM client_grants WHERE id = ?", (grant_id,)).fetchone())


def find_grant(
    conn: sqlite3.Connection, client_id: str, audience: str, subject_type: str
) -> dict[str, Any] | None:
    return load(
        conn.execute(
            "SELECT doc FROM client_grants WHERE client_id = ? AND audience = ? AND subject_type = ?",
            (client_id, audience, subject_type),
        ).fetchone()
    )


def list_grants(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT doc FROM client_grants ORDER BY rowid").fetchall()
    return [json.loads(r["doc"]) for r in rows]


def insert_grant(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO client_grants(id, client_id, default_for, audience, subject_type, doc) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            doc["id"],
            doc.get("client_id"),
            doc.get("default_for"),
            doc["audience"],
            doc.get("subject_type", "client"),
            dumps(doc),
        ),
    )


def update_grant(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE client_grants SET doc = ?, audience = ? WHERE id = ?",
        (dumps(doc), doc["audience"], doc["id"]),
    )


def delete_grant(conn: sqlite3.Connection, grant_id: str) -> bool:
    return conn.execute("DELETE FROM client_grants WHERE id = ?", (grant_id,)).rowcount > 0


def delete_grants_for_audience(conn: sqlite3.Connection, audience: str) -> None:
    conn.execute("DELETE FROM client_grants WHERE audience = ?", (audience,))


# Organizations --------------------------------------------------------------------

def get_org(conn: sqlite3.Connection, org_id: str) -> dict[str, Any] | None:
    return load(conn.execute("SELECT doc FROM organizations WHERE id = ?", (org_id,)).fetchone())


def get_org_by_name(conn: sqlite3.Connection, name: str) -> dict[str, Any] | None:
    return load(conn.execute("SELECT doc FROM organizations WHERE name = ?", (name,)).fetchone())


def list_orgs(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT doc FROM organizations ORDER BY rowid").fetchall()
    return [json.loads(r["doc"]) for r in rows]


def insert_org(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO organizations(id, name, doc) VALUES (?, ?, ?)", (doc["id"], doc["name"], dumps(doc))
    )


def update_org(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE organizations SET doc = ?, name = ? WHERE id = ?", (dumps(doc), doc["name"], doc["id"])
    )


def delete_org(conn: sqlite3.Connection, org_id: str) -> bool:
    return conn.execute("DELETE FROM organizations WHERE id = ?", (org_id,)).rowcount > 0


# Organization <-> client grant links ----------------------------------------------

def insert_link(conn: sqlite3.Connection, org_id: str, grant_id: str) -> None:
    conn.execute(
        "INSERT INTO organization_client_grants(organization_id, grant_id) VALUES (?, ?)",
        (org_id, grant_id),
    )


def delete_link(conn: sqlite3.Connection, org_id: str, grant_id: str) -> bool:
    return (
        conn.execute(
            "DELETE FROM organization_client_grants WHERE organization_id = ? AND grant_id = ?",
            (org_id, grant_id),
        ).rowcount
        > 0
    )


def link_exists(conn: sqlite3.Connection, org_id: str, grant_id: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM organization_client_grants WHERE organization_id = ? AND grant_id = ?",
            (org_id, grant_id),
        ).fetchone()
        is not None
    )


def grants_of_org(conn: sqlite3.Connection, org_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT g.doc FROM organization_client_grants l JOIN client_grants g ON g.id = l.grant_id "
        "WHERE l.organization_id = ? ORDER BY l.rowid",
        (org_id,),
    ).fetchall()
    return [json.loads(r["doc"]) for r in rows]


def orgs_of_grant(conn: sqlite3.Connection, grant_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT o.doc FROM organization_client_grants l JOIN organizations o ON o.id = l.organization_id "
        "WHERE l.grant_id = ? ORDER BY l.rowid",
        (grant_id,),
    ).fetchall()
    return [json.loads(r["doc"]) for r in rows]


def list_links(conn: sqlite3.Connection) -> list[dict[str, str]]:
    rows = conn.execute(
        "SELECT organization_id, grant_id FROM organization_client_grants ORDER BY rowid"
    ).fetchall()
    return [{"organization_id": r["organization_id"], "grant_id": r["grant_id"]} for r in rows]


# Signing keys ---------------------------------------------------------------------

def signing_keys(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT kid, private_pem, cert_pem, created_at FROM signing_keys ORDER BY rowid"
    ).fetchall()


def insert_signing_key(conn: sqlite3.Connection, kid: str, private_pem: str, cert_pem: str, created_at: str) -> None:
    conn.execute(
        "INSERT INTO signing_keys(kid, private_pem, cert_pem, created_at) VALUES (?, ?, ?, ?)",
        (kid, private_pem, cert_pem, created_at),
    )


# Client assertions ----------------------------------------------------------------

def use_assertion(conn: sqlite3.Connection, client_id: str, jti: str, expires_at: int, now: int) -> bool:
    """Record a client assertion's jti; False when it was used before (a replay)."""
    conn.execute("DELETE FROM used_assertions WHERE expires_at < ?", (now,))
    inserted = conn.execute(
        "INSERT OR IGNORE INTO used_assertions(client_id, jti, expires_at) VALUES (?, ?, ?)",
        (client_id, jti, expires_at),
    ).rowcount
    return inserted > 0


# Token quotas ---------------------------------------------------------------------

def quota_used(conn: sqlite3.Connection, kind: str, subject_id: str, bucket: str, window_start: int) -> int:
    """Tokens counted against a quota bucket in the window that began at ``window_start``."""
    row = conn.execute(
        "SELECT window_start, used FROM token_quota_usage WHERE subject_kind = ? AND subject_id = ? AND bucket = ?",
        (kind, subject_id, bucket),
    ).fetchone()
    if row is None or row["window_start"] != window_start:
        return 0
    return int(row["used"])


def set_quota_used(conn: sqlite3.Connection, kind: str, subject_id: str, bucket: str, window_start: int, used: int) -> None:
    conn.execute(
        "INSERT INTO token_quota_usage(subject_kind, subject_id, bucket, window_start, used) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(subject_kind, subject_id, bucket) DO UPDATE SET window_start = excluded.window_start, "
        "used = excluded.used",
        (kind, subject_id, bucket, window_start, used),
    )


def list_quota_usage(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT subject_kind, subject_id, bucket, window_start, used FROM token_quota_usage ORDER BY rowid"
    ).fetchall()
    return [dict(r) for r in rows]


# Dump -----------------------------------------------------------------------------

def dump(conn: sqlite3.Connection) -> dict[str, Any]:
    """The whole tenant, without secrets (client secrets, signing secrets, private keys)."""
    clients = []
    for doc, _secret in list_clients(conn):
        doc.pop("client_secret", None)
        doc["credentials"] = list_credentials(conn, doc["client_id"])
        clients.append(doc)
    servers = []
    for doc in list_resource_servers(conn):
        doc.pop("signing_secret", None)
        doc["is_system"] = doc.pop("_is_system")
        doc.pop("_hs_secret", None)
        servers.append(doc)
    return {
        "tenant": {
            "domain": get_meta(conn, "domain"),
            "management_client_id": get_meta(conn, "management_client_id"),
            "signing_keys": [r["kid"] for r in signing_keys(conn)],
        },
        "clients": clients,
        "client_grants": list_grants(conn),
        "organizations": list_orgs(conn),
        "organization_client_grants": list_links(conn),
        "resource_servers": servers,
        "token_quota_usage": list_quota_usage(conn),
    }
