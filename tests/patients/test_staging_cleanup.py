"""Staged uploads do not outlive their import (issue 12, point 15): a kill -9 of the importing process left its
upload (and its partial rejected rows) in STORAGE_DIR/imports for ever. The next import, or
`notifier patients clean-staging`, marks the dead import failed and deletes what no import needs any more."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import PatientImport

ROOT = Path(__file__).resolve().parents[2]

# The web path in a process of its own: stage the upload, inspect it, confirm the columns, then import until the
# first rejected row is written; there it says "ready" and waits on stdin, to be killed at a known point.
CHILD = textwrap.dedent("""
    import json, sys
    from notifier import create_app
    from notifier.breaches.models import Breach
    from notifier.extensions import db
    from notifier.patients import services as patients

    config, breach_id, source = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    app = create_app(config)
    original = patients.write_rejected_csv

    def write_then_wait(out, headers, rows, **options):
        def rows_then_wait():
            for row in rows:
                yield row
                print("ready", flush=True)
                sys.stdin.readline()
        return original(out, headers, rows_then_wait(), **options)

    patients.write_rejected_csv = write_then_wait
    with app.app_context():
        breach = db.session.get(Breach, breach_id)
        with open(source, "rb") as upload:
            staged, sha256 = patients.stage_upload(upload)
        imp = patients.begin_import(breach, patients.storage_path(staged), "patients.csv", user=None,
                                    sha256=sha256, staged=staged)
        patients.confirm_mapping(imp, imp.mapping, user=None)
        patients.process_import(imp.id)
""")


def staged_files(app) -> list[str]:
    folder = Path(app.config["STORAGE_DIR"]) / "imports"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_killed_import_leaves_no_staged_file_after_the_next_sweep(app, files, breach, tmp_path):
    source = files.write_csv(tmp_path / "patients.csv", [files.person("")] + [
        files.person(f"{100000 + n}", last=f"Nom{n}") for n in range(50)])
    config = {key: app.config[key] for key in ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI",
                                               "SQLALCHEMY_ENGINE_OPTIONS", "STORAGE_DIR", "SECRET_KEY")}
    with subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(config), str(breach.id), str(source)],
                          cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout.readline().strip() == "ready"  # blocks until the first rejected row is written
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    left = staged_files(app)
    assert any(name.endswith(".upload") for name in left) and any(name.endswith(".rejects.csv") for name in left)
    db.session.expire_all()
    assert PatientImport.query.one().status == "running"  # as the killed process left it

    result = app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["patients", "clean-staging"])
    assert result.exit_code == 0, result.output
    assert "1 interrupted import(s) marked failed, 2 file(s) deleted" in result.output
    assert staged_files(app) == []
    db.session.expire_all()
    imp = PatientImport.query.one()
    assert (imp.status, imp.error_code, imp.upload_file) == ("failed", "interrupted", None)


def test_the_next_import_sweeps_what_ended_and_keeps_what_is_still_needed(app, files, breach, dpo, tmp_path):
    folder = Path(app.config["STORAGE_DIR"]) / "imports"
    folder.mkdir(parents=True)
    an_hour_ago = time.time() - 2 * 3600
    orphan = folder / "0123abcd.upload"  # staged, then the process died before the import row existed
    orphan.write_bytes(b"IPP;Nom\n1;Martin\n")
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    being_staged = folder / "4567ef01.upload"  # a request staging it right now: no row yet, but recent
    being_staged.write_bytes(b"IPP;")
    partial = folder / "89ab.999.rejects.csv"  # rejected rows of an import that no longer runs
    partial.write_bytes(b"x")
    os.utime(partial, (an_hour_ago, an_hour_ago))

    done = patients.import_file(breach, files.write_csv(tmp_path / "a.csv", [files.person(""),
                                                                              files.person("100001")]), user=dpo)
    assert done.status == "done" and done.rejected_file  # the rejected rows stay, for download
    assert not orphan.exists() and not partial.exists() and being_staged.exists()
    assert patients.rejected_path(done).exists()

    assert patients.sweep_staging() == {"interrupted": 0, "deleted": 0}
    assert patients.rejected_path(done).exists() and being_staged.exists()


def test_a_finished_import_removes_its_staged_upload(app, files, dpo_client, breach, finished, tmp_path):
    data = files.write_csv(tmp_path / "up.csv", [files.person("100001")]).read_bytes()
    import io
    import re

    response = dpo_client.post(f"/breaches/{breach.id}/patients/imports",
                               data={"file": (io.BytesIO(data), "patients.csv")}, content_type="multipart/form-data")
    imp = finished(int(re.search(r"/imports/(\d+)", response.headers["Location"]).group(1)))
    assert imp.status == "done" and staged_files(app) == []
