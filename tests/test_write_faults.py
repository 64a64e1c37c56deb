"""The write path under faults: a read-only file system, a read-only folder, a folder the user
may not write, a full disk, for ``import``, ``undo`` and ``restore`` through ``cli.main``; and
batch numbers that are never reused after a restore.

Real file systems, no mocks: a small tmpfs remounted ``ro`` (a read-only file system), a
read-only bind mount of one folder of a writable tmpfs (a read-only folder), a tiny tmpfs filled
up (a full disk), and a subprocess run as ``nobody`` through ``setpriv`` in a folder owned by root
(no permission; root itself ignores permission bits). The mount tests need root and a kernel that
lets this process mount; they are skipped, saying so, where it does not.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import access, cli
from analytics.importer import batch_history
from analytics.ledger import (
    LedgerWriteError,
    connect_read_only,
    create_ledger,
    write_transaction,
)
from analytics.untrusted import markdown_literal
from tests.ledgers import fingerprint

ROOT = Path(__file__).resolve().parent.parent
HEADER = "date,party,country,party_family,form,direction"


def _csv(path: Path, *lines: str) -> Path:
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[callable]:
    """Factory: tmpfs(size) mounts a fresh tmpfs of that size (``"16m"``) and returns its folder;
    every mount is undone after the test. Skips when this process cannot mount."""
    mounted: list[Path] = []

    def factory(size: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        try:
            _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point))
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", "") or error
            pytest.skip(f"cannot mount a tmpfs here (needs root and mount rights): {detail}")
        mounted.append(point)
        return point

    yield factory
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


def _ledger_with_batch(folder: Path, outside: Path) -> tuple[Path, Path]:
    """A ledger in ``folder`` with one import (batch 1), and a backup of it in ``outside``."""
    ledger = create_ledger(folder / "ledger.duckdb", demo=False)
    source = _csv(outside / "first.csv", "2020-05-01,Party A,VNM,communist,working_visit,inbound")
    assert cli.main(["import", str(source), "--db", str(ledger)]) == 0
    backup = outside / "backup.zip"
    assert cli.main(["backup", "--db", str(ledger), "--out", str(backup)]) == 0
    return ledger, backup


def _assert_one_line(code: int, err: str, words: str, where: Path) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert words in lines[0], lines[0]
    assert str(where) in lines[0], lines[0]


def _attempts(capsys, ledger: Path, backup: Path, outside: Path) -> list[tuple[int, str, str]]:
    second = _csv(outside / "second.csv", "2021-06-02,Party B,LAO,communist,working_visit,outbound")
    return [
        run(capsys, "import", second, "--db", ledger),
        run(capsys, "undo", "1", "--db", ledger),
        run(capsys, "restore", backup, "--db", ledger, "--force"),
    ]


@pytest.mark.slow
def test_read_only_file_system(tmpfs, tmp_path, capsys):
    folder = tmpfs("64m")
    ledger, backup = _ledger_with_batch(folder, tmp_path)
    content, file_hash = fingerprint(ledger), _sha(ledger)
    _mount("-o", "remount,ro", str(folder))
    for code, _, err in _attempts(capsys, ledger, backup, tmp_path):
        _assert_one_line(code, err, "read-only file system", folder)
    assert (fingerprint(ledger), _sha(ledger)) == (content, file_hash)


@pytest.mark.slow
def test_read_only_file_system_with_the_access_database_beside_the_ledger(tmpfs, tmp_path, capsys, monkeypatch):
    # The default place of the audit log is the ledger's folder: it cannot take the failure
    # either, and the line still says what is wrong with the folder.
    monkeypatch.delenv("LEDGER_ACCESS_DB")
    folder = tmpfs("64m")
    ledger, backup = _ledger_with_batch(folder, tmp_path)
    assert (folder / "access.sqlite").exists()
    content = fingerprint(ledger)
    _mount("-o", "remount,ro", str(folder))
    for code, _, err in _attempts(capsys, ledger, backup, tmp_path):
        _assert_one_line(code, err, "read-only file system", folder)
    assert fingerprint(ledger) == content


@pytest.mark.slow
def test_read_only_folder(tmpfs, tmp_path, capsys):
    # One folder made read-only by a read-only bind mount of it, on a file system that stays writable.
    base = tmpfs("64m")
    folder = base / "ledgers"
    folder.mkdir()
    ledger, backup = _ledger_with_batch(folder, tmp_path)
    content = fingerprint(ledger)
    _mount("--bind", str(folder), str(folder))
    _mount("-o", "remount,bind,ro", str(folder))
    (base / "beside.txt").write_text("the file system itself is writable")
    for code, _, err in _attempts(capsys, ledger, backup, tmp_path):
        _assert_one_line(code, err, "read-only", folder)
    assert fingerprint(ledger) == content
    assert not list(folder.glob(".*.tmp*"))


@pytest.mark.slow
def test_full_disk_refused_by_the_pre_flight(tmpfs, tmp_path, capsys):
    folder = tmpfs("16m")
    ledger, backup = _ledger_with_batch(folder, tmp_path)
    content, file_hash = fingerprint(ledger), _sha(ledger)
    _fill(folder, leave=4 * 1024 * 1024)  # more than the ledger, less than the ledger and the margin
    for code, _, err in _attempts(capsys, ledger, backup, tmp_path):
        _assert_one_line(code, err, "free", folder)
        assert "Free some space" in err
    assert (fingerprint(ledger), _sha(ledger)) == (content, file_hash)
    assert not list(folder.glob(".*.tmp*"))


@pytest.mark.slow
def test_full_disk_during_the_copy(tmpfs, tmp_path):
    # Past the pre-flight (a disk that filled up meanwhile): the copy itself fails, wrapped once.
    folder = tmpfs("8m")
    ledger = create_ledger(folder / "ledger.duckdb", demo=False)
    content = fingerprint(ledger)
    _fill(folder, leave=ledger.stat().st_size // 2)
    with pytest.raises(LedgerWriteError, match="is full") as caught, write_transaction(ledger):
        pass
    assert str(folder) in str(caught.value)
    assert fingerprint(ledger) == content
    assert not list(folder.glob(".*.tmp*"))


def _fill(folder: Path, *, leave: int) -> None:
    """Fill the file system of ``folder`` until about ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free
    with open(folder / "filler.bin", "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))
    assert shutil.disk_usage(folder).free <= leave + 64 * 1024


@pytest.mark.slow
def test_import_pre_flight_comes_before_the_file_is_read(tmpfs, tmp_path):
    # The file is a named pipe with no writer: reading it would block, so an import that returns
    # at once, and leaves the pipe without a reader, never opened it to run its check.
    folder = tmpfs("64m")
    ledger = create_ledger(folder / "ledger.duckdb", demo=False)
    _mount("-o", "remount,ro", str(folder))
    pipe = tmp_path / "huge.csv"
    os.mkfifo(pipe)
    done = subprocess.run(
        [sys.executable, "-m", "analytics", "import", str(pipe), "--db", str(ledger)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LEDGER_LANG": "en"},
    )
    assert done.returncode == 2, done.stderr
    assert "read-only file system" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(OSError):  # ENXIO: nobody has the pipe open for reading
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))


@pytest.mark.slow
def test_no_permission_as_another_user(tmp_path_factory):
    # Root ignores permission bits: the command runs as nobody (setpriv) in a folder owned by root.
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the command as another user")
    # pytest's own temporary folders are private to root: one that nobody may enter.
    tmp_path = Path(tempfile.mkdtemp(prefix="write-faults-", dir="/tmp"))
    try:
        _no_permission(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _no_permission(tmp_path: Path) -> None:
    folder = tmp_path / "ledgers"
    folder.mkdir()
    ledger = create_ledger(folder / "ledger.duckdb", demo=False)
    shared = tmp_path / "shared"
    shared.mkdir()
    source = _csv(shared / "rows.csv", "2020-05-01,Party A,VNM,communist,working_visit,inbound")
    tmp_path.chmod(0o755)
    shared.chmod(0o777)
    folder.chmod(0o755)
    ledger.chmod(0o644)
    source.chmod(0o644)
    content = fingerprint(ledger)
    probe = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", "import analytics"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run this program here: {probe.stderr.strip()[-200:]}")
    env = {**os.environ, "LEDGER_LANG": "en", "LEDGER_ACCESS_DB": str(shared / "access.sqlite"), "HOME": str(shared)}
    for argv in (["import", str(source)], ["undo", "1"]):
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "analytics"]
            + [*argv, "--db", str(ledger)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "no permission" in lines[0] and str(folder) in lines[0], done.stderr
    assert fingerprint(ledger) == content


def test_batch_numbers_are_never_reused_after_a_restore(tmp_path, capsys):
    ledger = create_ledger(tmp_path / "ledger.duckdb", demo=False)
    first = _csv(tmp_path / "first.csv", "2020-05-01,Party A,VNM,communist,working_visit,inbound")
    second = _csv(tmp_path / "second.csv", "2021-06-02,Party B,LAO,communist,working_visit,outbound")
    third = _csv(tmp_path / "third.csv", "2022-07-03,Party C,CUB,communist,working_visit,inbound")
    assert "as batch 1" in run(capsys, "import", first, "--db", ledger)[1]
    backup = tmp_path / "backup.zip"
    assert run(capsys, "backup", "--db", ledger, "--out", backup)[0] == 0
    assert "as batch 2" in run(capsys, "import", second, "--db", ledger)[1]
    assert run(capsys, "restore", backup, "--db", ledger, "--force")[0] == 0
    code, out, _ = run(capsys, "import", third, "--db", ledger)
    assert code == 0 and "as batch 3" in out
    con = connect_read_only(ledger)
    try:
        history = batch_history(con)
    finally:
        con.close()
    assert dict(zip(history["batch_id"], history["file_name"], strict=True)) == {1: "first.csv", 3: "third.csv"}
    # The audit log names each batch number with one file only.
    log = access.audit_log(action=access.Action.IMPORT)
    named: dict[str, set[str]] = {}
    for row in log.itertuples():
        found = re.match(r"batch (\d+):", row.details or "")
        if found:
            named.setdefault(found.group(1), set()).add(row.object)
    assert named == {"1": {"first.csv"}, "2": {"second.csv"}, "3": {"third.csv"}}


def test_restore_keeps_the_larger_high_water_of_a_backup(tmp_path, capsys):
    # A backup of a ledger that had issued more numbers than its history shows (a restore had
    # dropped batch 2), restored into a fresh ledger: the fresh ledger carries on from 3.
    source = create_ledger(tmp_path / "source.duckdb", demo=False)
    rows = {name: f"202{n}-05-01,Party {name},VNM,communist,working_visit,inbound" for n, name in enumerate("abc", 1)}
    assert run(capsys, "import", _csv(tmp_path / "a.csv", rows["a"]), "--db", source)[0] == 0
    early = tmp_path / "early.zip"
    assert run(capsys, "backup", "--db", source, "--out", early)[0] == 0
    assert "as batch 2" in run(capsys, "import", _csv(tmp_path / "b.csv", rows["b"]), "--db", source)[1]
    assert run(capsys, "restore", early, "--db", source, "--force")[0] == 0
    late = tmp_path / "late.zip"
    assert run(capsys, "backup", "--db", source, "--out", late)[0] == 0
    target = create_ledger(tmp_path / "target.duckdb", demo=False)
    assert run(capsys, "restore", late, "--db", target)[0] == 0
    assert "as batch 3" in run(capsys, "import", _csv(tmp_path / "c.csv", rows["c"]), "--db", target)[1]


def _data_page(monkeypatch, ledger: Path):
    from streamlit.testing.v1 import AppTest

    from analytics.settings import PROJECT_ROOT

    monkeypatch.setenv("LEDGER_DB", str(ledger))
    app = AppTest.from_file(str(PROJECT_ROOT / "pages" / "data.py"), default_timeout=60)
    app.run()
    assert not app.exception
    return app


@pytest.mark.slow
def test_the_data_page_says_the_folder_is_read_only(monkeypatch, tmpfs, tmp_path):
    # The page's upload and undo go through the same functions: the same words, on the page.
    folder = tmpfs("64m")
    ledger, _ = _ledger_with_batch(folder, tmp_path)
    content = fingerprint(ledger)
    _mount("-o", "remount,ro", str(folder))
    app = _data_page(monkeypatch, ledger)
    rows = f"{HEADER}\n2021-06-02,Party B,LAO,communist,working_visit,outbound\n".encode()
    app.file_uploader[0].set_value(("second.csv", rows, "text/csv"))
    app.run()
    assert not app.exception
    refused = [element.value for element in app.error]
    shown = markdown_literal(str(folder))  # the page escapes the path's underscores
    assert len(refused) == 1 and "read-only file system" in refused[0] and shown in refused[0]
    assert not app.dataframe or "party" not in app.dataframe[0].value  # no preview: the file was not checked
    app.button(key="data_undo_1").click().run()
    app.button(key="data_undo_confirm").click().run()
    assert not app.exception
    assert any("read-only file system" in element.value for element in app.error)
    assert fingerprint(ledger) == content
