"""The race for the manifest (issue 12, point 14): with two Celery workers, a 100,000-letter job ended
`error: letter job 2 finishing`, exit 1, while a worker was still writing the manifest. The caller that loses the
race now waits for the winner to end the job, and reports its end."""

import threading
from types import SimpleNamespace

from sqlalchemy import update

from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters.models import LetterJob


def test_the_caller_that_loses_the_race_for_the_manifest_waits_for_the_end(app, breach, approved, helpers,
                                                                          tmp_path, monkeypatch):
    helpers.bulk_patients(breach, 12)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=5).job
    job_id, total = job.id, job.total
    with monkeypatch.context() as during_chunks:  # every chunk done, nobody finalized yet: the moment of the race
        during_chunks.setattr(letter_jobs, "finalize", lambda _job_id: "running")
        for number in range(1, len(letter_jobs.chunk_numbers(job_id, "pending")) + 1):
            assert letter_jobs.run_chunk(job_id, number) == "done"

    claimed, release = threading.Event(), threading.Event()
    write_manifest = letter_jobs.write_job_manifest

    def slow_manifest(claimed_job_id):  # the winner: it holds "finishing" until the loser is waiting
        claimed.set()
        assert release.wait(60)
        return write_manifest(claimed_job_id)

    monkeypatch.setattr(letter_jobs, "write_job_manifest", slow_manifest)
    winner_status = []

    def winner():
        with app.app_context():
            winner_status.append(letter_jobs.finalize(job_id))
            db.session.remove()

    thread = threading.Thread(target=winner)
    thread.start()
    try:
        assert claimed.wait(60)
        assert letter_jobs.finalize(job_id) == "finishing"  # what the command used to report as an error

        def sleep_then_release(seconds):  # the loser is polling: let the winner write the manifest now
            release.set()
            real_time.sleep(min(seconds, 0.05))

        import time as real_time

        monkeypatch.setattr(letter_jobs, "time", SimpleNamespace(monotonic=real_time.monotonic,
                                                                 sleep=sleep_then_release))
        assert letter_jobs.finalize_and_wait(job_id, timeout=60) == "done"
    finally:
        release.set()
        thread.join(60)
    assert winner_status == ["done"]
    db.session.expire_all()
    assert db.session.get(LetterJob, job_id).status == "done"
    assert len((tmp_path / "out" / "manifest.csv").read_text().splitlines()) == total + 1


def test_waiting_is_bounded_when_the_writer_never_ends(app, breach, approved, helpers, tmp_path, monkeypatch):
    helpers.bulk_patients(breach, 3)
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "out", lot_size=5).job
    db.session.execute(update(LetterJob).where(LetterJob.id == job.id).values(status="finishing"))
    db.session.commit()
    monkeypatch.setattr(letter_jobs, "finalize", lambda _job_id: "finishing")  # a writer killed mid-manifest
    polls = []
    clock = iter(range(0, 10_000, 10))
    monkeypatch.setattr(letter_jobs, "time", SimpleNamespace(monotonic=lambda: next(clock),
                                                             sleep=lambda seconds: polls.append(seconds)))
    assert letter_jobs.finalize_and_wait(job.id, timeout=100) == "finishing"
    assert 5 <= len(polls) <= 11
