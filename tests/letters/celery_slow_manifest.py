"""The Celery app of test_celery's forced race for the manifest (issue 12, point 14), loaded with
`celery -A celery_slow_manifest worker`: the worker process that claims a job's manifest says so on Redis
(`race:claimed`) and writes it only once the test says go (`race:release`), so the command always loses the race."""

import os

import redis

from notifier.letters import jobs as letter_jobs
from notifier.letters.runners.celery_app import celery  # noqa: F401 - the app `celery -A` looks for

_redis = redis.Redis.from_url(os.environ["NOTIFIER_TEST_RACE_REDIS"])
_write_job_manifest = letter_jobs.write_job_manifest


def _write_when_released(job_id: int) -> int:
    _redis.rpush("race:claimed", str(job_id))
    if _redis.blpop(["race:release"], timeout=120) is None:
        raise RuntimeError("the test never released the manifest")
    return _write_job_manifest(job_id)


letter_jobs.write_job_manifest = _write_when_released
