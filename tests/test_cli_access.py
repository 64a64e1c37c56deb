"""The ``user`` and ``audit`` commands, and the guarded commands through the CLI: the local
operator (an admin) may do each and is audited; an operator of a lower role would be refused in
one line with exit 2 (the role is swapped in by the test, the CLI itself is always admin)."""

from __future__ import annotations

import io

import pytest

from analytics import access, cli
from analytics.access import Action, Actor, Role

pytestmark = pytest.mark.slow  # whole commands with argon2id hashing, slow by design

PASSWORD = "correct horse battery"
CSV = "date,party,country,party_family,form,direction\n2003-02-01,Party of Files,FRA,socialist,working_visit,inbound\n"


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ledger(make_ledger, tmp_path):
    path = make_ledger([{"date": "2001-05-04", "party": "Party of Tests"}])
    (tmp_path / "file.csv").write_text(CSV, encoding="utf-8")
    return path


def _prepare_undo(capsys, ledger):
    assert run(capsys, "import", str(ledger.parent / "file.csv"), "--db", str(ledger))[0] == 0


def _prepare_restore(capsys, ledger):
    assert run(capsys, "backup", "--out", str(ledger.parent / "b.zip"), "--db", str(ledger))[0] == 0


# command words, the action it needs, what to run first (as the admin), the arguments ({d}: the ledger folder)
COMMANDS = [
    (Action.IMPORT, None, ["import", "{d}/file.csv"]),
    (Action.UNDO, _prepare_undo, ["undo", "1"]),
    (Action.BACKUP, None, ["backup", "--out", "{d}/backup.zip"]),
    (Action.RESTORE, _prepare_restore, ["restore", "{d}/b.zip", "--force"]),
    (Action.REPLACE_LEDGER, None, ["init", "--empty", "--force"]),
    (Action.EXPORT, None, ["export", "exchanges-per-year", "--out", "{d}/chart.csv"]),
    (Action.DOWNLOAD, None, ["export-ledger", "--out", "{d}/rows.csv"]),
    (Action.MANAGE_USERS, None, ["user", "role", "alice", "analyst"]),
    (Action.READ_AUDIT, None, ["audit"]),
]


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.word)
@pytest.mark.parametrize(("action", "prepare", "argv"), COMMANDS, ids=[c[2][0] for c in COMMANDS])
def test_each_role_against_each_guarded_command(capsys, monkeypatch, ledger, role, action, prepare, argv):
    access.add_user("alice", "viewer", PASSWORD)
    if prepare is not None:
        prepare(capsys, ledger)
    monkeypatch.setattr(access, "local_operator", lambda: Actor("op", role, "cli"))
    args = [a.replace("{d}", str(ledger.parent)) for a in argv] + ["--db", str(ledger)]
    code, out, err = run(capsys, *args)
    entries = access.audit_log(user="op")
    word = "user_role" if action is Action.MANAGE_USERS else action.value
    if role >= access.MINIMUM_ROLE[action]:
        assert code == 0, err
        assert entries.iloc[-1][["action", "role", "via", "outcome"]].tolist() == [word, role.word, "cli", "ok"]
    else:
        assert code == 2
        assert err.count("\n") == 1 and err.startswith(f"error: {role.word} op may not ")
        assert entries.iloc[-1][["action", "outcome"]].tolist() == [word, "refused"]


def test_user_commands(capsys, monkeypatch):
    monkeypatch.setenv("LEDGER_USER", "chief")
    assert run(
        capsys,
        "user",
        "add",
        "alice",
        "--role",
        "analyst",
        "--password-stdin",
        stdin=PASSWORD + "\n",
        monkeypatch=monkeypatch,
    ) == (
        0,
        "Added analyst alice\n",
        "",
    )
    assert access.verify("alice", PASSWORD, "c", sleep=lambda s: None) == Actor("alice", Role.ANALYST, "web")
    assert (
        run(
            capsys,
            "user",
            "passwd",
            "alice",
            "--password-stdin",
            stdin="a new long password\n",
            monkeypatch=monkeypatch,
        )[0]
        == 0
    )
    assert access.verify("alice", "a new long password", "c", sleep=lambda s: None) is not None
    assert run(capsys, "user", "role", "alice", "admin")[1] == "alice is now admin\n"
    code, out, _ = run(capsys, "user", "list")
    assert code == 0 and out.startswith("alice  admin") and "$argon2" not in out
    assert run(capsys, "user", "remove", "alice")[1] == "Removed alice\n"
    assert run(capsys, "user", "list")[1].startswith("No users yet")
    log = access.audit_log(user="chief")
    assert log["action"].tolist() == ["user_add", "user_passwd", "user_role", "user_remove"]
    assert set(log["via"]) == {"cli"} and set(log["role"]) == {"admin"}


def test_the_password_is_asked_twice_without_echo(capsys, monkeypatch):
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "something else!"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert run(capsys, "user", "add", "alice", "--role", "viewer")[0] == 0
    code, _, err = run(capsys, "user", "passwd", "alice")
    assert code == 2 and err == "error: The two passwords differ; nothing changed.\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "remove", "nobody"], "error: There is no user 'nobody' (see: python -m analytics user list).\n"),
        (
            ["user", "role", "nobody", "viewer"],
            "error: There is no user 'nobody' (see: python -m analytics user list).\n",
        ),
        (["audit", "--since", "someday"], "error: 'someday' is not a date: use YYYY-MM-DD.\n"),
    ],
)
def test_user_and_audit_errors_are_one_line(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert (code, err) == (2, message)


def test_a_short_password_from_stdin_is_refused(capsys, monkeypatch):
    code, _, err = run(
        capsys, "user", "add", "bob", "--role", "viewer", "--password-stdin", stdin="short\n", monkeypatch=monkeypatch
    )
    assert (code, err) == (2, "error: A password needs at least 10 characters.\n")
    assert access.list_users() == []


def test_audit_command_filters_and_formats(capsys):
    access.audit(Actor("a", Role.VIEWER), "export", "by-region", "png; filters: All exchanges")
    access.audit(Actor("b", Role.ANALYST), "download", "=HYPERLINK(1)", "csv")
    code, out, _ = run(capsys, "audit", "--user", "a")
    assert code == 0 and "by-region" in out and "download" not in out
    code, out, _ = run(capsys, "audit", "--action", "download", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == "at,user,role,via,action,object,details,outcome"
    assert len(lines) == 2 and ",'=HYPERLINK(1)," in lines[1]  # a formula is neutralised
    assert run(capsys, "audit", "--since", "2999-01-01")[1] == "(no entries)\n"
    assert access.audit_log(action="read_audit")["details"].tolist()[0] == "user a"


def test_audit_rejects_an_unknown_action(capsys):
    with pytest.raises(SystemExit):
        cli.main(["audit", "--action", "dance"])
    assert "invalid choice" in capsys.readouterr().err


def test_the_export_command_audits_chart_format_and_filters(capsys, ledger):
    out = ledger.parent / "chart.csv"
    code, _, err = run(
        capsys, "export", "regions", "--out", str(out), "--from", "1990", "--to", "2005", "--db", str(ledger)
    )
    assert code == 0, err
    entry = access.audit_log(action="export").iloc[-1]
    assert entry["object"] == "regions"
    assert entry["details"] == f"csv; filters: 1990–2005; to {out}"
