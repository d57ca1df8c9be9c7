"""What a runner hands to the processes it starts: the config of the app they create (pool workers, the detached
job process), and the progress callback's type. Apart from runners/__init__.py so that local.py and celery_app.py,
which it imports, do not import it back."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

from flask import Flask

ProgressCallback = Callable[[dict[str, Any]], None]


AUDIT_SETTINGS = ("AUDIT_KEY", "AUDIT_SIGNING_KEY", "AUDIT_CHECKPOINT_FILE", "AUDIT_CHECKPOINT_EVERY", "AUDIT_SYSLOG",
                  "AUDIT_CHECKPOINT_MAILTO", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS",
                  "MAIL_FROM")


def worker_config(app: Flask) -> dict[str, Any]:
    """What a worker process needs to create the same app: the same database (and schema), storage and keys (a
    worker writes audit entries and checkpoints: with another chain key they would not verify)."""
    config = {key: app.config.get(key) for key in (
        "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "STORAGE_DIR", "SECRET_KEY",
        "TESTING", "LETTER_CHUNK_LEASE_SECONDS", "LETTER_WORKERS", "EMAIL_RATE", *AUDIT_SETTINGS)}
    return {key: value for key, value in config.items() if value is not None}


def child_environment(app: Flask) -> dict[str, str]:
    """The environment of a worker subprocess: NOTIFIER_* variables carrying `worker_config` (read back by
    create_app through from_prefixed_env, as JSON when they parse as JSON)."""
    env = dict(os.environ)
    env["NOTIFIER_INSTANCE_PATH"] = app.instance_path
    for key, value in worker_config(app).items():
        if key == "SQLALCHEMY_DATABASE_URI":
            continue
        try:
            env[f"NOTIFIER_{key}"] = value if isinstance(value, str) else json.dumps(value)
        except TypeError:
            continue  # engine options that are not plain data cannot travel; the defaults apply
    return env
