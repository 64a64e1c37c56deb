"""Who may do what, who signed in, and what they did: roles, users, sessions and the audit log.

Called by every function that writes or hands out the ledger (the importer, undo, backup and
restore, ledger creation, briefings, exports), by the ``user`` and ``audit`` commands and by the
dashboard's sign-in. Everything lives in a small SQLite database of its own (``access.sqlite``
beside the ledger, or ``LEDGER_ACCESS_DB``), never in the DuckDB ledger: a sign-in or an audit
entry must never rewrite the ledger, and several processes (the app, a CLI import) share the file
safely through WAL mode and a busy timeout. Passwords are argon2id hashes; sessions are random
tokens stored as their SHA-256; refusals and every guarded action are written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import enum
import getpass
import hashlib
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from analytics import vocab
from analytics.errors import DomainError, InvalidInputError
from analytics.i18n import t, t_in
from analytics.settings import load_settings


class AccessError(DomainError):
    """The access database cannot be used (missing folder, locked too long, unreadable)."""


class AccessDeniedError(DomainError):
    """The actor's role does not allow the action; the message says who can."""


class UserError(InvalidInputError):
    """A user name, role or password that cannot be used, or a user that does not exist."""


class Role(enum.IntEnum):
    """What a user may do; each role may do everything the roles below it may."""

    VIEWER = 1
    ANALYST = 2
    ADMIN = 3

    @property
    def word(self) -> str:
        """The role's code, as the CLI and the audit log write it: viewer, analyst, admin."""
        return self.name.lower()

    @property
    def title(self) -> str:
        """The role's name in the current language (查阅人员 for viewer)."""
        return t(f"error.access.role.{self.word}")

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise UserError(
                t("error.access.unknown_role", role=repr(text), valid=", ".join(r.word for r in cls))
            ) from None


class Action(enum.Enum):
    """The guarded actions; ``MINIMUM_ROLE`` gives the least role allowed each."""

    IMPORT = "import"
    EDIT = "edit"  # add, correct, delete records; rename, merge, reclassify parties; undo such a change
    UNDO = "undo"
    BACKUP = "backup"
    RESTORE = "restore"
    REPLACE_LEDGER = "replace_ledger"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    SAVE_BRIEFING = "save_briefing"
    EXPORT = "export"
    DOWNLOAD = "download"
    VIEW = "view"


# The one table of who may do what (docs/security.md shows it; a test checks they agree).
MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.VIEWER,
    Action.EXPORT: Role.VIEWER,  # a viewer sees everything and exports it
    Action.DOWNLOAD: Role.VIEWER,
    Action.SAVE_BRIEFING: Role.ANALYST,
    Action.EDIT: Role.ANALYST,
    Action.IMPORT: Role.ADMIN,
    Action.UNDO: Role.ADMIN,
    Action.BACKUP: Role.ADMIN,
    Action.RESTORE: Role.ADMIN,
    Action.REPLACE_LEDGER: Role.ADMIN,
    Action.MANAGE_USERS: Role.ADMIN,
    Action.READ_AUDIT: Role.ADMIN,
}

VIAS = ("web", "cli", "oidc")
AUTH_MODES = ("off", "local", "oidc")
OUTCOMES = ("ok", "refused", "failed")
# Audit words for what is not a guarded action.
SIGN_IN, SIGN_IN_FAILED, SIGN_OUT = "sign_in", "sign_in_failed", "sign_out"
USER_ADD, USER_PASSWD, USER_ROLE, USER_REMOVE = "user_add", "user_passwd", "user_role", "user_remove"
# Every word the audit log's ``action`` column holds (for ``audit --action``).
AUDIT_ACTIONS: tuple[str, ...] = (
    *(action.value for action in Action),
    SIGN_IN,
    SIGN_IN_FAILED,
    SIGN_OUT,
    USER_ADD,
    USER_PASSWD,
    USER_ROLE,
    USER_REMOVE,
    *vocab.CHANGE_KINDS,  # the audit words of Action.EDIT, one per kind of change
)

# The same for an unknown name and a wrong password; the sign-in form shows it in its language.
SIGN_IN_REFUSED_KEY = "signin.refused"
SIGN_IN_REFUSED = t_in("en", SIGN_IN_REFUSED_KEY)
MIN_PASSWORD = 10
MAX_NAME = 64
FAILURE_DELAY_S = 0.5  # every failed sign-in waits this long
FREE_FAILURES = 3  # failures within the window before throttling starts
THROTTLE_BASE_S = 1.0
THROTTLE_MAX_S = 60.0
THROTTLE_WINDOW = dt.timedelta(minutes=15)
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'analyst', 'admin')),
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    via TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_signins (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    client TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failed_signins_name ON failed_signins (name, at);
CREATE INDEX IF NOT EXISTS failed_signins_client ON failed_signins (client, at);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT NOT NULL,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed'))
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
"""

AUDIT_COLUMNS = ["at", "user", "role", "via", "action", "object", "details", "outcome"]


@dataclass(frozen=True)
class Actor:
    """Who acts: a name, a role and the way in (``web``, ``cli`` or ``oidc``)."""

    name: str
    role: Role
    via: str = "web"

    def may(self, action: Action) -> bool:
        return self.role >= MINIMUM_ROLE[action]


@dataclass(frozen=True)
class User:
    """One row of ``list_users``: never the hash."""

    name: str
    role: Role
    created_at: dt.datetime
    updated_at: dt.datetime


# ---------------------------------------------------------------------------------------------
# The database


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _stamp(moment: dt.datetime | None) -> str:
    moment = moment or _utcnow()
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment.isoformat(sep=" ", timespec="seconds")


def access_path(ledger: Path | str | None = None) -> Path:
    """The access database: ``LEDGER_ACCESS_DB`` when set, else ``access.sqlite`` beside the
    ledger (``ledger``, or the configured ledger path)."""
    settings = load_settings()
    if settings.access_db:
        return Path(settings.access_db).expanduser()
    return Path(ledger if ledger is not None else settings.db_path).parent / "access.sqlite"


def _path(db: Path | str | None) -> Path:
    return Path(db) if db is not None else access_path()


@contextmanager
def _connect(db: Path | str | None, *, write: bool = False) -> Iterator[sqlite3.Connection]:
    """One short-lived connection; with ``write`` one IMMEDIATE transaction, committed on exit."""
    path = _path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():  # hashes and the audit log: readable by the service account only
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except (OSError, sqlite3.Error) as error:
        raise AccessError(t("error.access.cannot_open", path=path, error=error)) from None
    with closing(con):
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _prepare(con, path)
            if write:
                con.execute("BEGIN IMMEDIATE")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
            else:
                yield con
        except sqlite3.Error as error:
            raise AccessError(t("error.access.unusable", path=path, error=error)) from None


_prepared: set[str] = set()


def _prepare(con: sqlite3.Connection, path: Path) -> None:
    """WAL mode and the tables, once per file and process (both are idempotent)."""
    key = str(path.resolve())
    if key in _prepared and path.exists():
        return
    # Two processes preparing a new file at once: SQLite answers "locked" at once, without its
    # busy handler, where waiting could deadlock (switching to WAL, or a read upgraded to a write);
    # the schema is written in an IMMEDIATE transaction, and the switch is retried until the timeout.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript("BEGIN IMMEDIATE;\n" + _SCHEMA + "\nCOMMIT;")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            if con.in_transaction:
                con.execute("ROLLBACK")
            time.sleep(0.05)
    _prepared.add(key)


# ---------------------------------------------------------------------------------------------
# Settings and actors


def auth_mode() -> str:
    """``LEDGER_AUTH``: off, local or oidc."""
    mode = load_settings().auth.strip().lower()
    if mode not in AUTH_MODES:
        raise InvalidInputError(t("error.access.auth_mode", mode=repr(mode), valid=", ".join(AUTH_MODES)))
    return mode


def idle_limit() -> dt.timedelta:
    """``LEDGER_SESSION_IDLE_MINUTES`` as a time span."""
    minutes = load_settings().session_idle_minutes
    if minutes < 1:
        raise InvalidInputError(t("error.access.idle_minutes", minutes=minutes))
    return dt.timedelta(minutes=minutes)


def local_operator() -> Actor:
    """The command line's actor: whoever can run it can read the files, so an admin, named by
    ``LEDGER_USER`` or the login name."""
    name = load_settings().user.strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
    return Actor(name=name, role=Role.ADMIN, via="cli")


def _actor(actor: Actor | None) -> Actor:
    return actor if actor is not None else local_operator()


def acting(actor: Actor | None) -> Actor:
    """Who acts: ``actor``, or the local operator for None (the name a batch records)."""
    return _actor(actor)


def _who_can(role: Role) -> str:
    """Who may do what needs ``role``: 'an analyst or an admin'."""
    return t(f"error.access.who.{role.word}")


def require(
    actor: Actor | None, action: Action, object: str = "", details: str = "", *, db: Path | str | None = None
) -> Actor:
    """The actor (the local operator for None) when its role allows the action; else write a
    refusal to the audit log and raise AccessDeniedError."""
    return _require(_actor(actor), action, action.value, object, details, db)


def _require(actor: Actor, action: Action, word: str, object: str, details: str, db: Path | str | None) -> Actor:
    if actor.may(action):
        return actor
    needed = MINIMUM_ROLE[action]
    audit(actor, word, object, _joined(details, f"needs {needed.word}"), "refused", db=db)
    raise AccessDeniedError(
        t(
            "error.access.denied",
            role=actor.role.title,
            name=actor.name,
            action=t(f"error.access.action.{action.value}"),
            who=_who_can(needed),
            needed=needed.word,
        )
    )


@dataclass
class Entry:
    """The audit entry a ``guard`` block writes on exit; the block may add to ``details``."""

    object: str = ""
    details: str = ""


@contextmanager
def guard(
    actor: Actor | None,
    action: Action,
    object: str = "",
    details: str = "",
    *,
    db: Path | str | None = None,
    word: str | None = None,
) -> Iterator[Entry]:
    """``require`` the action, run the block, then write one audit entry (under ``word``, else
    the action's name): ``ok``, or ``failed`` with the error's message when the block raises a
    DomainError (which goes on). The block may change the entry's object and details."""
    actor = _require(_actor(actor), action, word or action.value, object, details, db)
    entry = Entry(object, details)
    try:
        yield entry
    except DomainError as error:
        try:
            audit(actor, word or action.value, entry.object, _joined(entry.details, str(error)), "failed", db=db)
        except AccessError:
            # The audit log cannot take the failure either (beside a ledger on a read-only file
            # system, a full disk): the action's own error says what is wrong, and nothing was done.
            raise error from None
        raise
    audit(actor, word or action.value, entry.object, entry.details, "ok", db=db)


def _joined(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# ---------------------------------------------------------------------------------------------
# The audit log


def audit(
    actor: Actor | None,
    action: Action | str,
    object: str = "",
    details: str = "",
    outcome: str = "ok",
    *,
    db: Path | str | None = None,
    now: dt.datetime | None = None,
) -> None:
    """Write one audit entry (time in UTC)."""
    actor = _actor(actor)
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {OUTCOMES}")
    word = action.value if isinstance(action, Action) else action
    with _connect(db, write=True) as con:
        con.execute(
            "INSERT INTO audit_log (at, user_name, role, via, action, object, details, outcome)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [_stamp(now), actor.name, actor.role.word, actor.via, word, object, details, outcome],
        )


def _day(value: dt.date | dt.datetime | str) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInputError(t("error.access.not_a_date", value=repr(value))) from None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return _stamp(value)


def audit_log(
    since: dt.date | dt.datetime | str | None = None,
    user: str | None = None,
    action: Action | str | None = None,
    *,
    db: Path | str | None = None,
) -> pd.DataFrame:
    """The audit entries, oldest first, optionally from ``since`` (UTC), of one user, of one action."""
    clauses, params = [], []
    if since is not None:
        clauses.append("at >= ?")
        params.append(_day(since))
    if user:
        clauses.append("user_name = ?")
        params.append(user)
    if action:
        clauses.append("action = ?")
        params.append(action.value if isinstance(action, Action) else action)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with _connect(db) as con:
        rows = con.execute(
            f"SELECT at, user_name, role, via, action, object, details, outcome FROM audit_log {where} ORDER BY id",
            params,
        ).fetchall()
    frame = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"])
    return frame


# ---------------------------------------------------------------------------------------------
# Users


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with a random salt per hash


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def _check_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(not c.isprintable() for c in name):
        raise UserError(t("error.access.user_name", most=MAX_NAME, name=repr(name[:MAX_NAME])))
    return name


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(t("error.access.password_short", least=MIN_PASSWORD))
    return password


def _role_of(con: sqlite3.Connection, name: str) -> Role | None:
    row = con.execute("SELECT role FROM users WHERE name = ?", [name]).fetchone()
    return Role.parse(row[0]) if row else None


def _missing(name: str) -> UserError:
    return UserError(t("error.access.no_user", name=repr(name)))


def add_user(
    name: str, role: Role | str, password: str, *, actor: Actor | None = None, db: Path | str | None = None
) -> User:
    """Add a user with an argon2id hash of the password."""
    name, role = _check_name(name), role if isinstance(role, Role) else Role.parse(role)
    with guard(actor, Action.MANAGE_USERS, name, f"role {role.word}", db=db, word=USER_ADD):
        hashed = _hasher().hash(_check_password(password))
        stamp = _stamp(None)
        with _connect(db, write=True) as con:
            if _role_of(con, name) is not None:
                raise UserError(t("error.access.user_exists", name=repr(name)))
            con.execute(
                "INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [name, role.word, hashed, stamp, stamp],
            )
    return User(name, role, dt.datetime.fromisoformat(stamp), dt.datetime.fromisoformat(stamp))


def _update_user(name: str, sql: str, params: list, db: Path | str | None) -> None:
    with _connect(db, write=True) as con:
        if _role_of(con, name) is None:
            raise _missing(name)
        con.execute(sql, params)


def set_password(name: str, password: str, *, actor: Actor | None = None, db: Path | str | None = None) -> None:
    """Give a user a new password; their open sessions end."""
    name = _check_name(name)
    with guard(actor, Action.MANAGE_USERS, name, "new password, ending their sessions", db=db, word=USER_PASSWD):
        hashed = _hasher().hash(_check_password(password))
        _update_user(
            name, "UPDATE users SET password_hash = ?, updated_at = ? WHERE name = ?", [hashed, _stamp(None), name], db
        )
        with _connect(db, write=True) as con:
            con.execute("DELETE FROM sessions WHERE user_name = ?", [name])


def set_role(name: str, role: Role | str, *, actor: Actor | None = None, db: Path | str | None = None) -> None:
    """Change a user's role; it applies to their open sessions at the next page."""
    name, role = _check_name(name), role if isinstance(role, Role) else Role.parse(role)
    with guard(actor, Action.MANAGE_USERS, name, f"role {role.word}", db=db, word=USER_ROLE):
        _update_user(
            name, "UPDATE users SET role = ?, updated_at = ? WHERE name = ?", [role.word, _stamp(None), name], db
        )


def remove_user(name: str, *, actor: Actor | None = None, db: Path | str | None = None) -> None:
    """Remove a user and end their sessions; their audit entries stay."""
    name = _check_name(name)
    with guard(actor, Action.MANAGE_USERS, name, "remove, ending their sessions", db=db, word=USER_REMOVE):
        _update_user(name, "DELETE FROM users WHERE name = ?", [name], db)
        with _connect(db, write=True) as con:
            con.execute("DELETE FROM sessions WHERE user_name = ?", [name])


def list_users(*, db: Path | str | None = None) -> list[User]:
    """The users by name: name, role, created and updated (never the hash)."""
    with _connect(db) as con:
        rows = con.execute("SELECT name, role, created_at, updated_at FROM users ORDER BY name").fetchall()
    return [User(n, Role.parse(r), dt.datetime.fromisoformat(c), dt.datetime.fromisoformat(u)) for n, r, c, u in rows]


def user_role(name: str, *, db: Path | str | None = None) -> Role | None:
    """The role of a listed user, None when the name is not listed."""
    with _connect(db) as con:
        return _role_of(con, name.strip())


# ---------------------------------------------------------------------------------------------
# Sign-in


def throttle_delay(failures: int) -> float:
    """Seconds to wait before checking a password after ``failures`` recent failures (for the
    name or the client, whichever has more): none for the first few, then doubling, capped."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(THROTTLE_MAX_S, THROTTLE_BASE_S * 2 ** (failures - FREE_FAILURES))


def recent_failures(name: str, client: str, *, db: Path | str | None = None, now: dt.datetime | None = None) -> int:
    """Failed sign-ins within the throttle window for this name or this client, the larger."""
    since = _stamp((now or _utcnow()) - THROTTLE_WINDOW)
    with _connect(db) as con:
        by_name = con.execute(
            "SELECT count(*) FROM failed_signins WHERE name = ? AND at >= ?", [name, since]
        ).fetchone()
        by_client = con.execute(
            "SELECT count(*) FROM failed_signins WHERE client = ? AND at >= ?", [client, since]
        ).fetchone()
    return max(by_name[0], by_client[0])


def verify(
    name: str,
    password: str,
    client: str,
    *,
    via: str = "web",
    db: Path | str | None = None,
    now: dt.datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Actor | None:
    """The actor when the name and password match, else None (show ``SIGN_IN_REFUSED``).

    An unknown name is checked against a dummy hash and waits like a wrong password, so neither
    the answer nor its time tells which it was. Repeated failures per name and per client wait
    ``throttle_delay`` before the check; every attempt goes to the audit log.
    """
    name = name.strip()[:MAX_NAME]
    delay = throttle_delay(recent_failures(name, client, db=db, now=now))
    if delay:
        audit(
            Actor(name or "?", Role.VIEWER, via),
            SIGN_IN_FAILED,
            name,
            f"throttled {delay:g} s, client {client}",
            "refused",
            db=db,
            now=now,
        )
        sleep(delay)
    with _connect(db) as con:
        row = con.execute("SELECT role, password_hash FROM users WHERE name = ?", [name]).fetchone()
    stored = row[1] if row else _dummy_hash()
    try:
        matched = _hasher().verify(stored, password) and row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        matched = False
    if not matched:
        with _connect(db, write=True) as con:
            con.execute("INSERT INTO failed_signins (name, client, at) VALUES (?, ?, ?)", [name, client, _stamp(now)])
        reason = "unknown name" if row is None else "wrong password"
        audit(
            Actor(name or "?", Role.parse(row[0]) if row else Role.VIEWER, via),
            SIGN_IN_FAILED,
            name,
            f"{reason}, client {client}",
            "refused",
            db=db,
            now=now,
        )
        sleep(FAILURE_DELAY_S)
        return None
    actor = Actor(name, Role.parse(row[0]), via)
    with _connect(db, write=True) as con:
        con.execute("DELETE FROM failed_signins WHERE name = ?", [name])
        if _hasher().check_needs_rehash(stored):
            con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [_hasher().hash(password), name])
    audit(actor, SIGN_IN, name, f"client {client}", db=db, now=now)
    return actor


def actor_from_claims(claims: Mapping[str, object], *, db: Path | str | None = None) -> Actor:
    """The actor of an OIDC sign-in: named by the email (else preferred_username, name, sub); the
    role from ``LEDGER_OIDC_ROLE_CLAIM`` when the claim holds one, else the user list, else viewer."""
    name = next((str(claims[k]) for k in ("email", "preferred_username", "name", "sub") if claims.get(k)), "")
    name = _check_name(name)
    claim = load_settings().oidc_role_claim.strip()
    value = claims.get(claim) if claim else None
    values = value if isinstance(value, list | tuple) else [value] if value else []
    roles = [Role[str(v).upper()] for v in values if str(v).upper() in Role.__members__]
    role = max(roles) if roles else (user_role(name, db=db) or Role.VIEWER)
    return Actor(name, role, "oidc")


# ---------------------------------------------------------------------------------------------
# Sessions


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(actor: Actor, *, db: Path | str | None = None, now: dt.datetime | None = None) -> str:
    """A new random session token for a signed-in actor (only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    stamp = _stamp(now)
    with _connect(db, write=True) as con:
        con.execute(
            "INSERT INTO sessions (token_sha256, user_name, role, via, created_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
            [_token_key(token), actor.name, actor.role.word, actor.via, stamp, stamp],
        )
    return token


def resume_session(token: str, *, db: Path | str | None = None, now: dt.datetime | None = None) -> Actor | None:
    """The actor of a live session, or None when the token is unknown, idle longer than
    ``LEDGER_SESSION_IDLE_MINUTES`` (then it ends) or its local user was removed. A local user's
    role is the one listed now; an OIDC user's the one given at sign-in."""
    if not token:
        return None
    moment = now or _utcnow()
    key = _token_key(token)
    with _connect(db, write=True) as con:
        row = con.execute(
            "SELECT user_name, role, via, last_seen FROM sessions WHERE token_sha256 = ?", [key]
        ).fetchone()
        if row is None:
            return None
        name, signed_in_as, via, last_seen = row
        # A local user's role is the listed one now; an OIDC user's the one the sign-in gave.
        role = Role.parse(signed_in_as) if via == "oidc" else _role_of(con, name)
        expired = moment.replace(tzinfo=None) - dt.datetime.fromisoformat(last_seen) > idle_limit()
        if expired or role is None:
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", [key])
        else:
            con.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", [_stamp(moment), key])
    if role is None:
        return None
    actor = Actor(name, role, via)
    if expired:
        audit(actor, SIGN_OUT, name, "idle expiry", db=db, now=now)
        return None
    return actor


def end_session(token: str, *, db: Path | str | None = None, now: dt.datetime | None = None) -> None:
    """Sign out: forget the session and audit it."""
    key = _token_key(token)
    with _connect(db, write=True) as con:
        row = con.execute("SELECT user_name, via FROM sessions WHERE token_sha256 = ?", [key]).fetchone()
        con.execute("DELETE FROM sessions WHERE token_sha256 = ?", [key])
        role = _role_of(con, row[0]) if row else None
    if row is not None:
        audit(Actor(row[0], role or Role.VIEWER, row[1]), SIGN_OUT, row[0], "signed out", db=db, now=now)


__all__ = [
    "AUDIT_ACTIONS",
    "AUDIT_COLUMNS",
    "AccessDeniedError",
    "AccessError",
    "Action",
    "Actor",
    "Entry",
    "MINIMUM_ROLE",
    "Role",
    "SIGN_IN_REFUSED",
    "User",
    "UserError",
    "access_path",
    "actor_from_claims",
    "add_user",
    "audit",
    "audit_log",
    "auth_mode",
    "end_session",
    "guard",
    "idle_limit",
    "list_users",
    "local_operator",
    "recent_failures",
    "remove_user",
    "require",
    "resume_session",
    "set_password",
    "set_role",
    "start_session",
    "throttle_delay",
    "user_role",
    "verify",
]
