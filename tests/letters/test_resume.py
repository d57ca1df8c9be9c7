"""Resuming: whatever dies mid-way (a worker, the command itself), the next run ends with exactly one letter per
patient, no duplicate and no gap, and the same manifest as a run that never stopped."""

import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters.models import LetterChunk, LetterJob, LetterOutput
from notifier.letters.runners import child_environment, run_job

NOTIFIER = str(Path(sys.executable).with_name("notifier"))


def manifest_text(folder: Path) -> str:
    return (folder / "manifest.csv").read_text(encoding="utf-8")


def a_dead_process() -> str:
    """The identity a worker would have recorded, of a process that has since ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:12345"


def clean_run(breach, folder: Path, lot_size: int, helpers) -> str:
    job = letter_jobs.start_job(breach, user=None, out_dir=folder, lot_size=lot_size).job
    assert set(helpers.run_here(job.id)) == {"done"}
    return manifest_text(folder)


@pytest.fixture
def mailing(breach, dpo, legal, helpers):
    """An approved letter for `count` plain patients."""

    def make(count):
        helpers.bulk_patients(breach, count)
        return helpers.make_template(breach, dpo, approver=legal)

    return make


def chunk(job_id: int, number: int) -> LetterChunk:
    db.session.commit()  # see what other processes committed
    return LetterChunk.query.filter_by(job_id=job_id, chunk_no=number).one()


def test_a_chunk_left_running_by_a_dead_worker_is_run_again_and_the_manifest_matches_a_clean_run(
        app, breach, mailing, tmp_path, helpers):
    mailing(24)  # lots of 6
    expected = clean_run(breach, tmp_path / "clean", 6, helpers)

    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "resumed", lot_size=6).job
    job_id = job.id
    assert [letter_jobs.run_chunk(job_id, number) for number in (1, 2, 3)] == ["done"] * 3
    lot_2 = (tmp_path / "resumed" / "lot-0002.pdf").read_bytes()
    # Chunk 2's worker "died" after its work was recorded: nothing is deleted or corrupted, the chunk is running.
    stuck = chunk(job_id, 2)
    stuck.status, stuck.worker = "running", a_dead_process()
    db.session.commit()

    resumed = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "resumed", lot_size=6)
    assert resumed.resumed and resumed.job.id == job_id and resumed.done_before == 12
    assert run_job(app, job_id, workers=1) == "done"
    assert manifest_text(tmp_path / "resumed") == expected
    assert LetterOutput.query.filter_by(job_id=job_id).count() == 24
    assert (chunk(job_id, 2).status, chunk(job_id, 2).attempts) == ("done", 2)
    assert (tmp_path / "resumed" / "lot-0002.pdf").read_bytes() == lot_2  # rendered again, byte for byte
    assert [chunk(job_id, n).attempts for n in (1, 3, 4)] == [1, 1, 1]  # done chunks were not run again


def test_rerunning_a_done_chunk_is_a_no_op(app, breach, mailing, tmp_path):
    mailing(3)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    assert letter_jobs.run_chunk(job.id, 1) == "done"
    lot = tmp_path / "out" / "lot-0001.pdf"
    before = (lot.stat().st_mtime_ns, LetterOutput.query.count())
    assert letter_jobs.run_chunk(job.id, 1) == "skipped"
    assert (lot.stat().st_mtime_ns, LetterOutput.query.count()) == before
    assert db.session.get(LetterJob, job.id).status == "done"


def test_a_chunk_running_in_a_live_process_is_left_to_it(app, breach, mailing, tmp_path):
    mailing(3)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    running = chunk(job.id, 1)
    running.status, running.worker, running.started_at = "running", letter_jobs.process_identity(), utcnow()
    db.session.commit()
    assert letter_jobs.run_chunk(job.id, 1) == "skipped"
    assert letter_jobs.reset_abandoned_chunks(job.id) == 0
    assert chunk(job.id, 1).status == "running"


def test_a_chunk_of_another_machine_is_taken_over_when_its_lease_ran_out(app, breach, mailing, tmp_path):
    mailing(3)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=20).job
    running = chunk(job.id, 1)
    running.status, running.worker = "running", "another-host.example:4242:99"
    running.started_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert letter_jobs.run_chunk(job.id, 1) == "skipped"  # 5 minutes: within the lease
    running = chunk(job.id, 1)
    running.started_at = utcnow() - timedelta(seconds=letter_jobs.DEFAULT_LEASE_SECONDS + 1)
    db.session.commit()
    assert letter_jobs.run_chunk(job.id, 1) == "done"


@pytest.mark.parametrize("backend", ["sqlite"])  # a real process tree; the database path is exercised above
def test_killing_the_command_mid_way_then_rerunning_it_ends_with_the_manifest_of_a_clean_run(
        app, breach, mailing, tmp_path, helpers):
    mailing(300)  # 12 lots of 25
    expected = clean_run(breach, tmp_path / "clean", 25, helpers)
    out = tmp_path / "killed"
    command = [NOTIFIER, "letters", "generate", str(breach.id), "--out", str(out), "--lot-size", "25",
               "--workers", "1"]
    env = {**child_environment(app), "NOTIFIER_LANG": "en"}  # the assertions read the English messages
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    job_id = None
    for _ in range(3000):  # bounded: 60 s at most
        db.session.commit()
        job = LetterJob.query.filter(LetterJob.out_dir == str(out.resolve())).one_or_none()
        if job is not None:
            job_id = job.id
            if LetterChunk.query.filter_by(job_id=job_id, status="done").count() >= 2:
                break
        assert process.poll() is None, process.stdout.read().decode()
        try:
            process.wait(timeout=0.02)
        except subprocess.TimeoutExpired:
            pass
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stdout.close()
    done = LetterChunk.query.filter_by(job_id=job_id, status="done").count()
    assert 2 <= done < 12 and not (out / "manifest.csv").exists()

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"resuming letter job {job_id}" in rerun.stdout
    assert manifest_text(out) == expected
    assert LetterOutput.query.filter_by(job_id=job_id).count() == 300
    assert sorted(path.name for path in out.iterdir()) == [f"lot-{n:04d}.pdf" for n in range(1, 13)] + ["manifest.csv"]


def test_a_job_whose_patients_changed_is_planned_again_instead_of_resumed(app, breach, mailing, helpers, tmp_path):
    mailing(4)
    first = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=2).job
    first_id = first.id
    assert letter_jobs.run_chunk(first_id, 1) == "done"
    helpers.bulk_patients(breach, 1, start=100)  # a late import, before the rerun
    again = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=2)
    assert not again.resumed and again.job.total == 5
    assert db.session.get(LetterJob, first_id).status == "superseded"
    assert set(helpers.run_here(again.job.id)) == {"done"}
    assert len(helpers.read_manifest(tmp_path / "out" / "manifest.csv")) == 5
    assert sorted(path.name for path in (tmp_path / "out").glob("lot-*.pdf")) == [
        "lot-0001.pdf", "lot-0002.pdf", "lot-0003.pdf"]
