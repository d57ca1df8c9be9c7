"""A kill -9 of `notifier patients import` half-way: the batches already committed stay, the interrupted import is
recognised at once (its process is gone: no ten-minute wait), and importing the file again completes the list with
every patient exactly once: the rows of the first run come back as duplicates, the rest are added."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from notifier.bench.imports import make_patient_csv

ROOT = Path(__file__).resolve().parents[2]
ROWS = 120_000  # a few seconds of import: room to kill it between two batches of 10,000


def notifier(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "notifier.cli", *map(str, args)], env=env, text=True,
                          capture_output=True, timeout=300, cwd=ROOT)


def new_breach(env) -> int:
    result = notifier(env, "breach", "import", ROOT / "docs/examples/breach.json")
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def latest_import(database: Path, breach_id: int):
    with sqlite3.connect(database, timeout=5) as connection:
        return connection.execute("SELECT status, accepted, error_code FROM patient_import WHERE breach_id = ? "
                                  "ORDER BY id DESC LIMIT 1", (breach_id,)).fetchone()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_an_import_killed_half_way_is_completed_by_importing_the_file_again(tmp_path):
    database = tmp_path / "crash.db"
    env = {**os.environ, "NOTIFIER_DATABASE_URL": f"sqlite:///{database}", "NOTIFIER_INSTANCE_PATH": str(tmp_path),
           "NOTIFIER_STORAGE_DIR": str(tmp_path / "storage")}
    assert notifier(env, "db", "upgrade").returncode == 0 and notifier(env, "demo").returncode == 0
    killed_breach, reference_breach = new_breach(env), new_breach(env)
    source = tmp_path / "patients.csv"
    make_patient_csv(source, ROWS)

    process = subprocess.Popen([sys.executable, "-m", "notifier.cli", "patients", "import", str(killed_breach),
                                str(source), "--json"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    committed = 0
    try:
        for _ in range(3000):  # bounded: 60 s
            row = latest_import(database, killed_breach)
            if row and row[0] == "running" and row[1] > 0:
                break
            assert process.poll() is None, "the import ended before it could be killed"
            time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    status, committed, _ = latest_import(database, killed_breach)
    assert status == "running" and 0 < committed < ROWS  # left as the killed process left it

    again = notifier(env, "patients", "import", killed_breach, source, "--json")
    assert again.returncode == 0, again.stderr  # not refused as "an import is already running"
    second = json.loads(again.stdout)
    reference = json.loads(notifier(env, "patients", "import", reference_breach, source, "--json").stdout)

    with sqlite3.connect(database) as connection:
        first_status, first_code = connection.execute(
            "SELECT status, error_code FROM patient_import WHERE breach_id = ? ORDER BY id LIMIT 1",
            (killed_breach,)).fetchone()
        stored, distinct = connection.execute(
            "SELECT count(*), count(DISTINCT patient_id) FROM patient WHERE breach_id = ?", (killed_breach,)).fetchone()
        expected = connection.execute("SELECT count(*) FROM patient WHERE breach_id = ?",
                                      (reference_breach,)).fetchone()[0]
    assert (first_status, first_code) == ("failed", "interrupted")
    assert stored == distinct == expected == reference["accepted"]  # no duplicate, no gap
    assert second["read"] == reference["read"] == ROWS
    assert second["accepted"] == reference["accepted"] - committed
    assert second["rejected"] == reference["rejected"] + committed  # the first run's patients, as duplicates
