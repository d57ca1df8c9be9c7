"""Flask-Limiter's default storage (notifier-memory://) counts like limits' memory storage, without starting a
timer thread per burst of requests (notifier/core/ratelimit.py)."""

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from notifier.core.ratelimit import SweptMemoryStorage


def test_the_default_storage_uri_names_the_swept_memory_storage(app):
    assert isinstance(storage_from_string(app.config["RATELIMIT_STORAGE_URI"]), SweptMemoryStorage)


def test_hits_start_no_thread():
    storage = SweptMemoryStorage()
    storage.timer.join()  # the one timer limits starts when the storage is created
    first = storage.timer
    for _ in range(50):
        storage.incr("key", expiry=60)
    assert storage.timer is first and not first.is_alive()
    assert storage.get("key") == 50


def test_a_limit_still_refuses_past_its_ceiling_and_counts_each_address_apart():
    limiter = FixedWindowRateLimiter(SweptMemoryStorage())
    limit = parse("3 per minute")
    assert [limiter.hit(limit, "192.0.2.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit(limit, "192.0.2.2")


def test_expired_counters_are_swept_by_a_later_hit():
    storage = SweptMemoryStorage()
    storage.incr("old", expiry=0)  # its window is already over
    assert storage.get("old") == 0  # read: limits drops it at once
    storage.incr("forgotten", expiry=0)
    storage.swept = float("-inf")  # the sweep is due
    storage.incr("new", expiry=60)
    assert "forgotten" not in storage.storage and storage.get("new") == 1
