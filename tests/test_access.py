"""Access control: roles against guarded actions (through the functions that write), argon2id
users, the sign-in's equal answers and throttling, idle-expiring sessions, the audit log, and two
processes writing the access database at once."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from analytics import access, backup, briefing, export, importer, ledger, parties, records
from analytics.access import Action, Actor, Role
from analytics.filters import Filters

pytestmark = pytest.mark.slow  # argon2id hashing is slow by design, and writer processes

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
NOW = dt.datetime(2026, 12, 1, 12, 0, 0)
ROW = {"date": "2001-05-04", "party": "Party of Tests"}
CSV = "date,party,country,party_family,form,direction\n2003-02-01,Party of Files,FRA,socialist,working_visit,inbound\n"


def no_sleep(seconds: float) -> None:
    pass


def _actor(role: Role) -> Actor:
    return Actor(f"a-{role.word}", role, "web")


# ---------------------------------------------------------------------------------------------
# Each role against each guarded action, through the function that does it.


def _import(path: Path, actor: Actor) -> None:
    source = path.parent / "file.csv"
    source.write_text(CSV, encoding="utf-8")
    importer.import_file(source, path, actor=actor)


def _commit(path: Path, actor: Actor) -> None:
    prepared = importer.prepare_import(CSV.encode(), "other.csv", path)
    importer.commit_import(prepared, path, actor=actor)


def _undo(path: Path, actor: Actor) -> None:
    _import(path, access.local_operator())
    importer.undo_batch(path, 1, actor=actor)


def _backup(path: Path, actor: Actor) -> None:
    backup.backup_ledger(path, path.parent / "backup.zip", actor=actor)


def _backup_bytes(path: Path, actor: Actor) -> None:
    backup.backup_bytes(path, actor=actor)


def _restore(path: Path, actor: Actor) -> None:
    data, _ = backup.backup_bytes(path)
    backup.restore_ledger(path, data, force=True, actor=actor)


def _replace(path: Path, actor: Actor) -> None:
    ledger.create_ledger(path, demo=False, force=True, actor=actor)


def _briefing(path: Path, actor: Actor) -> None:
    spec = briefing.BriefingSpec(items=(briefing.BriefingItem("exchanges-per-year"),))
    con = ledger.connect_read_only(path)
    try:
        briefing.build_briefing(con, spec, "pptx", is_demo=False, actor=actor)
    finally:
        con.close()


def _export(path: Path, actor: Actor) -> None:
    export.audit_export(actor, "exchanges-per-year", "png", Filters(year_from=2000))


def _download(path: Path, actor: Actor) -> None:
    export.audit_export(actor, "ledger rows", "csv", Filters(), action=Action.DOWNLOAD)


def _users(path: Path, actor: Actor) -> None:
    access.add_user("newcomer", "viewer", PASSWORD, actor=actor)


def _read_audit(path: Path, actor: Actor) -> None:
    access.require(actor, Action.READ_AUDIT)


def _view(path: Path, actor: Actor) -> None:
    access.require(actor, Action.VIEW)


def _record_edit(path: Path, actor: Actor) -> None:
    records.edit_record(path, 1, {"level": "leader"}, actor=actor)


def _party_rename(path: Path, actor: Actor) -> None:
    parties.rename_party(path, 1, "Party of Renamed Tests", actor=actor)


def _undo_change(path: Path, actor: Actor) -> None:
    done = records.add_record(
        path,
        {
            "date": "2002",
            "party": "Party of Tests",
            "country": "FRA",
            "party_family": "socialist",
            "form": "other",
            "direction": "inbound",
        },
    )
    importer.undo_batch(path, done.batch_id, actor=actor)


GUARDED = {
    "import_file": (Action.IMPORT, _import),
    "commit_import": (Action.IMPORT, _commit),
    "undo_batch": (Action.UNDO, _undo),
    "backup_ledger": (Action.BACKUP, _backup),
    "backup_bytes": (Action.BACKUP, _backup_bytes),
    "restore_ledger": (Action.RESTORE, _restore),
    "create_ledger --force": (Action.REPLACE_LEDGER, _replace),
    "build_briefing": (Action.SAVE_BRIEFING, _briefing),
    "audit_export": (Action.EXPORT, _export),
    "audit_export download": (Action.DOWNLOAD, _download),
    "add_user": (Action.MANAGE_USERS, _users),
    "read audit": (Action.READ_AUDIT, _read_audit),
    "view": (Action.VIEW, _view),
    "edit_record": (Action.EDIT, _record_edit),
    "rename_party": (Action.EDIT, _party_rename),
    "undo_batch of a change": (Action.EDIT, _undo_change),
}
# The audit word of each case when it is not the action's name.
AUDIT_WORDS = {
    "add_user": "user_add",
    "edit_record": "record_edit",
    "rename_party": "party_rename",
    "undo_batch of a change": "undo",
}


def test_every_action_has_a_minimum_role_and_a_test():
    assert set(access.MINIMUM_ROLE) == set(Action)
    assert {action for action, _ in GUARDED.values()} == set(Action)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.word)
@pytest.mark.parametrize("case", list(GUARDED))
def test_each_role_against_each_guarded_action(case, role, make_ledger, monkeypatch):
    action, run = GUARDED[case]
    if case == "build_briefing":
        monkeypatch.setattr(briefing, "prepare", lambda *a, **k: None)
        monkeypatch.setitem(briefing.BUILDERS, "pptx", lambda content: b"deck")
    path = make_ledger([ROW])
    actor = _actor(role)
    if role >= access.MINIMUM_ROLE[action]:
        run(path, actor)
        outcome = "ok"
    else:
        with pytest.raises(access.AccessDeniedError, match=rf"{role.word} {actor.name} may not"):
            run(path, actor)
        outcome = "refused"
    if action is Action.VIEW or (action is Action.READ_AUDIT and outcome == "ok"):
        return  # a check, not an act: only refusals are logged
    entries = access.audit_log(user=actor.name)
    word = AUDIT_WORDS.get(case, action.value)
    assert (entries["action"] == word).any(), entries
    assert entries.iloc[-1]["outcome"] == outcome
    assert entries.iloc[-1]["role"] == role.word


def test_a_refused_write_changes_nothing(make_ledger):
    path = make_ledger([ROW])
    before = path.stat().st_mtime_ns, path.read_bytes()
    with pytest.raises(access.AccessDeniedError, match="an admin can"):
        _replace(path, _actor(Role.ANALYST))
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before


def test_the_security_doc_shows_the_roles_table():
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    roles_section = text.split("## Roles", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")[2].strip()
        for line in roles_section.splitlines()
        if line.startswith("| `")
    }
    assert rows == {action.value: role.word for action, role in access.MINIMUM_ROLE.items()}


def test_the_refusal_says_who_can():
    with pytest.raises(access.AccessDeniedError) as caught:
        access.require(Actor("alice", Role.VIEWER), Action.SAVE_BRIEFING)
    assert str(caught.value) == (
        "viewer alice may not save briefing: an analyst or an admin can "
        "(ask an admin to run: python -m analytics user role alice analyst)."
    )


def test_old_callers_act_as_the_local_operator(make_ledger, monkeypatch):
    monkeypatch.setenv("LEDGER_USER", "operator-x")
    path = make_ledger([ROW])
    source = path.parent / "file.csv"
    source.write_text(CSV, encoding="utf-8")
    result = importer.import_file(source, path)
    assert result.written
    assert access.local_operator() == Actor("operator-x", Role.ADMIN, "cli")
    history = importer.batch_history(ledger.connect_read_only(path))
    assert history.iloc[0]["imported_by"] == "operator-x"
    entry = access.audit_log(action=Action.IMPORT).iloc[-1]
    assert (entry["user"], entry["via"], entry["outcome"]) == ("operator-x", "cli", "ok")
    assert "batch 1" in entry["details"] and "1 rows written" in entry["details"]


def test_the_batch_records_the_actor(make_ledger):
    path = make_ledger([ROW])
    _import(path, Actor("web-analyst", Role.ADMIN, "web"))
    history = importer.batch_history(ledger.connect_read_only(path))
    assert history.iloc[0]["imported_by"] == "web-analyst"


def test_a_failed_write_is_audited_as_failed(make_ledger):
    path = make_ledger([ROW])
    with pytest.raises(importer.BatchError):
        importer.undo_batch(path, 99)
    entry = access.audit_log(action="undo").iloc[-1]
    assert entry["outcome"] == "failed" and "no batch 99" in entry["details"]


def test_the_access_database_lives_beside_the_ledger(make_ledger, monkeypatch):
    monkeypatch.delenv("LEDGER_ACCESS_DB")
    path = make_ledger([ROW])
    assert access.access_path(path) == path.parent / "access.sqlite"
    _undo(path, access.local_operator())
    assert (path.parent / "access.sqlite").exists()
    assert access.audit_log(db=path.parent / "access.sqlite")["action"].tolist() == ["import", "undo"]


def test_the_access_database_is_sqlite_in_wal_mode(access_db):
    access.audit(None, "import", "x")
    import sqlite3

    con = sqlite3.connect(access_db)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    assert access_db.stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------------------------------------
# Users and passwords


def test_hashes_are_salted_argon2id_and_verify(access_db):
    access.add_user("alice", "viewer", PASSWORD)
    access.add_user("bob", Role.ANALYST, PASSWORD)
    import sqlite3

    con = sqlite3.connect(access_db)
    hashes = dict(con.execute("SELECT name, password_hash FROM users").fetchall())
    con.close()
    assert all(h.startswith("$argon2id$") for h in hashes.values())
    assert hashes["alice"] != hashes["bob"]
    assert PASSWORD not in "".join(hashes.values())
    assert access.verify("alice", PASSWORD, "10.0.0.1", sleep=no_sleep) == Actor("alice", Role.VIEWER, "web")
    assert access.verify("bob", PASSWORD, "10.0.0.1", sleep=no_sleep) == Actor("bob", Role.ANALYST, "web")


def test_user_list_never_shows_hashes():
    access.add_user("alice", "admin", PASSWORD)
    (user,) = access.list_users()
    assert (user.name, user.role) == ("alice", Role.ADMIN)
    assert not hasattr(user, "password_hash")


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("", PASSWORD, "1 to 64 printable characters"),
        ("x" * 65, PASSWORD, "1 to 64 printable characters"),
        ("bad\x1b[31m", PASSWORD, "printable"),
        ("carol", "short", "at least 10 characters"),
    ],
)
def test_bad_names_and_passwords_are_refused(name, password, message):
    with pytest.raises(access.UserError, match=message):
        access.add_user(name, "viewer", password)


def test_role_and_password_changes_and_removal():
    access.add_user("alice", "viewer", PASSWORD)
    with pytest.raises(access.UserError, match="exists already"):
        access.add_user("alice", "viewer", PASSWORD)
    access.set_role("alice", "analyst")
    assert access.user_role("alice") is Role.ANALYST
    token = access.start_session(Actor("alice", Role.ANALYST))
    access.set_password("alice", "another long password")
    assert access.resume_session(token) is None  # a new password ends the sessions
    assert access.verify("alice", PASSWORD, "c", sleep=no_sleep) is None
    assert access.verify("alice", "another long password", "c", sleep=no_sleep) is not None
    access.remove_user("alice")
    assert access.list_users() == []
    with pytest.raises(access.UserError, match="no user 'alice'"):
        access.set_role("alice", "admin")
    with pytest.raises(access.UserError, match="Unknown role 'boss'"):
        access.add_user("dave", "boss", PASSWORD)


# ---------------------------------------------------------------------------------------------
# Sign-in


def test_a_wrong_password_and_an_unknown_user_look_alike(monkeypatch):
    access.add_user("alice", "viewer", PASSWORD)
    checked: list[str] = []
    real = access._hasher()

    class Spy:
        def hash(self, password):
            return real.hash(password)

        def verify(self, stored, password):
            checked.append(stored[:10])
            return real.verify(stored, password)

    monkeypatch.setattr(access, "_hasher", Spy)
    waits: list[float] = []
    assert access.verify("alice", "wrong password!", "c1", sleep=waits.append) is None
    assert access.verify("nobody", "wrong password!", "c2", sleep=waits.append) is None
    assert waits == [access.FAILURE_DELAY_S, access.FAILURE_DELAY_S]
    assert checked == ["$argon2id$", "$argon2id$"]  # the unknown name is checked against a dummy hash
    failed = access.audit_log(action="sign_in_failed")
    assert failed["outcome"].tolist() == ["refused", "refused"]
    assert access.SIGN_IN_REFUSED == "Wrong name or password."


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0.0), (2, 0.0), (3, 1.0), (4, 2.0), (5, 4.0), (8, 32.0), (9, 60.0), (50, 60.0)],
)
def test_throttling_delays_grow(failures, delay):
    assert access.throttle_delay(failures) == delay


def test_repeated_failures_are_throttled_per_name_and_per_client():
    access.add_user("alice", "viewer", PASSWORD)
    waits: list[float] = []
    for _ in range(5):
        access.verify("alice", "wrong password!", "c1", sleep=waits.append, now=NOW)
    assert access.recent_failures("alice", "elsewhere", now=NOW) == 5
    assert access.recent_failures("other", "c1", now=NOW) == 5  # the same client, another name
    assert access.recent_failures("alice", "c1", now=NOW + access.THROTTLE_WINDOW * 2) == 0
    throttled = [w for w in waits if w != access.FAILURE_DELAY_S]
    assert throttled == [1.0, 2.0]
    assert access.audit_log(action="sign_in_failed")["details"].str.contains("throttled").sum() == 2
    access.verify("alice", PASSWORD, "c2", sleep=waits.append, now=NOW)
    assert access.recent_failures("alice", "c2", now=NOW) == 0  # a good sign-in clears the name


# ---------------------------------------------------------------------------------------------
# Sessions


def test_sessions_expire_after_the_idle_time(monkeypatch):
    monkeypatch.setenv("LEDGER_SESSION_IDLE_MINUTES", "30")
    access.add_user("alice", "analyst", PASSWORD)
    actor = access.verify("alice", PASSWORD, "c", sleep=no_sleep)
    assert actor is not None
    token = access.start_session(actor, now=NOW)
    assert access.resume_session(token, now=NOW + dt.timedelta(minutes=29)) == actor
    # use moves the idle clock on
    assert access.resume_session(token, now=NOW + dt.timedelta(minutes=58)) == actor
    assert access.resume_session(token, now=NOW + dt.timedelta(minutes=89)) is None
    assert access.resume_session(token, now=NOW + dt.timedelta(minutes=90)) is None  # ended for good
    assert access.audit_log(action="sign_out")["details"].tolist() == ["idle expiry"]


def test_sessions_follow_role_changes_and_removal():
    access.add_user("alice", "viewer", PASSWORD)
    token = access.start_session(Actor("alice", Role.VIEWER))
    access.set_role("alice", "admin")
    assert access.resume_session(token) == Actor("alice", Role.ADMIN, "web")
    access.remove_user("alice")
    assert access.resume_session(token) is None


def test_sign_out_ends_the_session_and_tokens_are_not_stored(access_db):
    access.add_user("alice", "viewer", PASSWORD)
    token = access.start_session(Actor("alice", Role.VIEWER))
    assert token not in access_db.read_bytes().decode("latin-1")
    access.end_session(token)
    assert access.resume_session(token) is None
    assert access.resume_session("") is None and access.resume_session("forged") is None


@pytest.mark.parametrize(
    ("claims", "claim", "listed", "role"),
    [
        ({"email": "a@x", "roles": ["analyst"]}, "roles", None, Role.ANALYST),
        ({"email": "a@x", "roles": ["viewer", "admin"]}, "roles", None, Role.ADMIN),
        ({"email": "a@x", "role": "analyst"}, "role", None, Role.ANALYST),
        ({"email": "a@x"}, "roles", "admin", Role.ADMIN),
        ({"email": "a@x", "roles": ["boss"]}, "roles", None, Role.VIEWER),
        ({"email": "a@x"}, "", None, Role.VIEWER),
    ],
)
def test_oidc_roles(claims, claim, listed, role, monkeypatch):
    monkeypatch.setenv("LEDGER_OIDC_ROLE_CLAIM", claim)
    if listed:
        access.add_user("a@x", listed, PASSWORD)
    assert access.actor_from_claims(claims) == Actor("a@x", role, "oidc")


def test_an_oidc_session_keeps_the_role_of_its_sign_in(monkeypatch):
    monkeypatch.setenv("LEDGER_OIDC_ROLE_CLAIM", "roles")
    actor = access.actor_from_claims({"email": "b@x", "roles": ["analyst"]})
    token = access.start_session(actor)
    assert access.resume_session(token) == Actor("b@x", Role.ANALYST, "oidc")


@pytest.mark.parametrize(("value", "mode"), [("", "off"), ("local", "local"), ("OIDC", "oidc")])
def test_auth_mode(value, mode, monkeypatch):
    monkeypatch.setenv("LEDGER_AUTH", value)
    assert access.auth_mode() == mode


def test_a_bad_auth_mode_is_refused(monkeypatch):
    monkeypatch.setenv("LEDGER_AUTH", "ldap")
    with pytest.raises(access.InvalidInputError, match="off, local, oidc"):
        access.auth_mode()


# ---------------------------------------------------------------------------------------------
# The audit log


def test_the_audit_log_holds_each_action(make_ledger):
    path = make_ledger([ROW])
    access.add_user("alice", "analyst", PASSWORD)
    access.set_password("alice", "another long password")
    access.set_role("alice", "admin")
    actor = access.verify("alice", "another long password", "c", sleep=no_sleep)
    assert actor is not None
    access.verify("alice", "wrong password!", "c", sleep=no_sleep)
    token = access.start_session(actor)
    access.end_session(token)
    _import(path, actor)
    backup.backup_ledger(path, path.parent / "b.zip", actor=actor)
    importer.undo_batch(path, 1, actor=actor)
    backup.restore_ledger(path, path.parent / "b.zip", force=True, actor=actor)
    ledger.create_ledger(path, demo=False, force=True, actor=actor)
    export.audit_export(actor, "by-region", "svg", Filters(year_from=1990, year_to=1999))
    access.remove_user("alice")
    log = access.audit_log()
    assert log["action"].tolist() == [
        "user_add",
        "user_passwd",
        "user_role",
        "sign_in",
        "sign_in_failed",
        "sign_out",
        "import",
        "backup",
        "undo",
        "restore",
        "replace_ledger",
        "export",
        "user_remove",
    ]
    assert set(log["outcome"]) == {"ok", "refused"}
    exported = log[log["action"] == "export"].iloc[0]
    assert exported["object"] == "by-region" and exported["details"] == "svg; filters: 1990–1999"
    assert log["at"].dt.year.eq(dt.datetime.now(dt.UTC).year).all()


def test_the_audit_log_filters():
    access.audit(Actor("a", Role.VIEWER), "export", "x", now=dt.datetime(2026, 1, 1))
    access.audit(Actor("b", Role.VIEWER), "export", "y", now=dt.datetime(2026, 3, 1))
    access.audit(Actor("b", Role.VIEWER), "download", "z", now=dt.datetime(2026, 3, 2))
    assert access.audit_log(since="2026-02-01")["object"].tolist() == ["y", "z"]
    assert access.audit_log(user="a")["object"].tolist() == ["x"]
    assert access.audit_log(action=Action.DOWNLOAD)["object"].tolist() == ["z"]
    assert access.audit_log(since=dt.date(2026, 3, 2), user="b", action="download")["object"].tolist() == ["z"]
    with pytest.raises(access.InvalidInputError, match="not a date"):
        access.audit_log(since="yesterday")


WRITER = """
import sys
from analytics import access
from analytics.access import Actor, Role
for i in range(int(sys.argv[2])):
    access.audit(Actor(sys.argv[1], Role.VIEWER), "export", f"chart {i}", db=sys.argv[3])
"""


@pytest.mark.slow  # two interpreters
def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    db = tmp_path / "shared.sqlite"
    count = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, str(count), str(db)], cwd=ROOT, stderr=subprocess.PIPE)
        for name in ("first", "second")
    ]
    for writer in writers:
        _, error = writer.communicate(timeout=120)
        assert writer.returncode == 0, error.decode()
    log = access.audit_log(db=db)
    assert log["user"].value_counts().to_dict() == {"first": count, "second": count}
