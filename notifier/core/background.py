"""Long work started by a request and run in a thread of the web process (a patient import, a large tracking file),
so that the request answers at once and its page follows the work's progress from the database.

Each piece of work runs in its own application context, and so its own database session; a failure is logged
without its message's detail (core.logs.short_error: it may hold patient data) and was recorded on the work's row
by the work itself when it got that far."""

import threading
from collections.abc import Callable

from flask import Flask

from notifier.core.logs import short_error


class BackgroundWork:
    """The threads of one kind of work in this process, by the id of their row."""

    def __init__(self, kind: str):
        self.kind = kind
        self._running: dict[int, threading.Thread] = {}

    def start(self, app: Flask, work_id: int, work: Callable[[], object]) -> threading.Thread:
        def run():
            with app.app_context():
                try:
                    work()
                except Exception as error:  # noqa: BLE001 - recorded on the work's row when it got that far
                    app.logger.error("%s %s: %s", self.kind, work_id, short_error(error))
                finally:
                    self._running.pop(work_id, None)

        thread = threading.Thread(target=run, name=f"{self.kind.replace(' ', '-')}-{work_id}", daemon=True)
        self._running[work_id] = thread
        thread.start()
        return thread

    def wait_for(self, work_id: int, timeout: float | None = None) -> None:
        """Wait for the work of this process with that id to end (tests, shutdown)."""
        thread = self._running.get(work_id)
        if thread is not None:
            thread.join(timeout)
