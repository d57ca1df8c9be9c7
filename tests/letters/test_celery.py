"""The Celery path: real workers over Redis run the same chunks and produce the same manifest as the local pool."""

import os
import signal
import subprocess
import sys
import uuid

import pytest
import redis

from notifier.extensions import db
from notifier.letters import jobs as letter_jobs
from notifier.letters.models import LetterChunk
from notifier.letters.runners import child_environment, run_job

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


def free_redis_database() -> int:
    """An empty Redis database number, or skip (with the reason) when Redis does not answer."""
    try:
        for number in range(15, 0, -1):
            client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number, socket_connect_timeout=1)
            try:
                if client.dbsize() == 0:
                    return number
            finally:
                client.close()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"Redis at {REDIS_HOST}:{REDIS_PORT} does not answer: {type(error).__name__}")
    pytest.skip("no empty Redis database (1-15) to use")


@pytest.fixture
def celery_worker(app, tmp_path):
    """A Celery worker process (prefork, 2 processes) on the test's database, its own queue and Redis database."""
    yield from _celery_worker(app, tmp_path, "notifier.letters.runners.celery_app")


@pytest.fixture
def racing_celery_worker(app, tmp_path):
    """The same worker, whose process that claims the manifest waits for the test's go (celery_slow_manifest)."""
    yield from _celery_worker(app, tmp_path, "celery_slow_manifest", race=True)


def _celery_worker(app, tmp_path, module: str, race: bool = False):
    number = free_redis_database()
    url = f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    queue = f"notifier-test-{uuid.uuid4().hex[:8]}"
    env = {**child_environment(app), "NOTIFIER_CELERY_BROKER_URL": url, "NOTIFIER_CELERY_QUEUE": queue}
    if race:
        env["NOTIFIER_TEST_RACE_REDIS"] = url
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.path.dirname(__file__), env.get("PYTHONPATH")]))
    log = open(tmp_path / "celery.log", "wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", module, "worker", "--pool", "prefork",
         "--concurrency", "2", "--queues", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield {"process": worker, "log": tmp_path / "celery.log", "CELERY_BROKER_URL": url, "CELERY_QUEUE": queue,
               "redis": url}
    finally:
        app.config.update(CELERY_BROKER_URL=None, CELERY_QUEUE=None)
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        log.close()
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=number)
        client.flushdb()
        client.close()


@pytest.mark.parametrize("backend", ["sqlite"])  # the worker shares the test's SQLite file
def test_celery_workers_produce_the_same_manifest_as_the_local_pool(app, breach, approved, helpers, tmp_path,
                                                                    celery_worker):
    helpers.bulk_patients(breach, 20)  # 30 letters, lots of 8
    assert not app.config.get("CELERY_BROKER_URL")
    local = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "local", lot_size=8).job
    assert run_job(app, local.id, workers=2) == "done"

    app.config.update(CELERY_BROKER_URL=celery_worker["CELERY_BROKER_URL"], CELERY_QUEUE=celery_worker["CELERY_QUEUE"])
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "celery", lot_size=8).job
    status = run_job(app, job.id, timeout=120)
    assert status == "done", celery_worker["log"].read_text(errors="replace")[-3000:]
    assert (tmp_path / "celery" / "manifest.csv").read_text() == (tmp_path / "local" / "manifest.csv").read_text()
    db.session.commit()
    workers = {chunk.worker.rsplit(":", 2)[1] for chunk in LetterChunk.query.filter_by(job_id=job.id)}
    assert str(os.getpid()) not in workers  # run by the Celery worker's processes, not here
    assert str(celery_worker["process"].pid) not in workers  # by its prefork children
    for number in range(1, 5):
        name = f"lot-{number:04d}.pdf"
        assert (tmp_path / "celery" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


@pytest.mark.parametrize("backend", ["sqlite"])  # the worker shares the test's SQLite file
def test_the_command_that_loses_the_race_for_the_manifest_waits_and_reports_done(app, breach, approved, helpers,
                                                                                tmp_path, racing_celery_worker,
                                                                                monkeypatch):
    """Issue 12, point 14: `error: letter job 2 finishing`, exit 1, while a worker was still writing the manifest.
    Forced here: a worker always claims the manifest first and writes it only once the command has lost."""
    helpers.bulk_patients(breach, 20)
    app.config.update(CELERY_BROKER_URL=racing_celery_worker["CELERY_BROKER_URL"],
                      CELERY_QUEUE=racing_celery_worker["CELERY_QUEUE"])
    job = letter_jobs.start_job(breach, user=None, out_dir=tmp_path / "celery", lot_size=8).job
    client = redis.Redis.from_url(racing_celery_worker["redis"])
    finalize = letter_jobs.finalize
    outcomes = []

    def finalize_after_the_worker_claimed(job_id):
        assert client.blpop(["race:claimed"], timeout=120) is not None, "no worker claimed the manifest"
        outcomes.append(finalize(job_id))  # lost: the worker is writing the manifest
        client.rpush("race:release", "go")
        return outcomes[-1]

    monkeypatch.setattr(letter_jobs, "finalize", finalize_after_the_worker_claimed)
    try:
        status = run_job(app, job.id, timeout=120)
    finally:
        client.close()
    assert outcomes == ["finishing"]
    assert status == "done", racing_celery_worker["log"].read_text(errors="replace")[-3000:]
    assert len((tmp_path / "celery" / "manifest.csv").read_text().splitlines()) == job.total + 1
