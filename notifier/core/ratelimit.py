"""Where Flask-Limiter counts, in one process: `notifier-memory://`, the default of RATELIMIT_STORAGE_URI.

It is limits' own memory storage (the same counters, windows and strategies) except for one thing: limits sweeps its
expired keys on a timer thread that lives 10 ms, and starts a new one on the next hit after it ended, so under
steady traffic (the public page after a news article) almost every request started a thread (profiled: the largest
cost of a verification after the database). Here the sweep runs in the request that hits the storage, at most once
per SWEEP_SECONDS. Counts stay exact: limits' `get` already drops an expired key when it is read; the sweep only
frees the memory of keys nobody reads again. `memory://` still works; Redis (`redis://...`) shares the counts
between gunicorn workers."""

import time

from limits.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["notifier-memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.swept = time.monotonic()

    def _MemoryStorage__schedule_expiry(self) -> None:  # limits calls this before every hit (limits 5.x)
        now = time.monotonic()
        if now - self.swept >= self.SWEEP_SECONDS:
            self.swept = now
            self._MemoryStorage__expire_events()
