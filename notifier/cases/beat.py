"""Reminders by Celery beat, for installations that run Celery (NOTIFIER_CELERY_BROKER_URL) rather than cron or the
systemd timer (docs/deploy/notifier-reminders.timer):

    celery -A notifier.cases.beat beat       # the schedule: one task every REMINDER_EVERY_SECONDS
    celery -A notifier.cases.beat worker -Q notifier-reminders -c 1

The task runs the same function as `notifier reminders send` (cases/reminders.send_due), idempotent: a task delivered
twice, or a beat running beside the timer, sends nothing twice."""

from __future__ import annotations

import os

from celery import Celery

TASK_NAME = "notifier.cases.send_reminders"
QUEUE = "notifier-reminders"
REMINDER_EVERY_SECONDS = int(os.environ.get("NOTIFIER_REMINDER_EVERY_SECONDS") or 300)

celery = Celery("notifier-reminders")
celery.conf.update(
    broker_url=os.environ.get("NOTIFIER_CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0",
    task_default_queue=QUEUE,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    beat_schedule={"send-reminders": {"task": TASK_NAME, "schedule": float(REMINDER_EVERY_SECONDS)}},
)


_app = None
_app_pid = None


def flask_app():
    """The app of this worker process, created once (after the fork of a prefork child, never before)."""
    global _app, _app_pid
    if _app is None or _app_pid != os.getpid():
        from notifier import create_app

        _app, _app_pid = create_app(), os.getpid()
    return _app


@celery.task(name=TASK_NAME)
def send_reminders() -> dict:
    from notifier.cases import reminders
    from notifier.extensions import db

    app = flask_app()
    with app.app_context():
        report = reminders.send_due(app.config, period_hours=app.config["CNIL_PERIOD_HOURS"])
        db.session.commit()
        return {"sent": report.sent, "already": report.already, "failed": len(report.failed)}
