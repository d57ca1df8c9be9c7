"""WSGI entry point from a checkout: `gunicorn wsgi:app` (an installed wheel: `gunicorn notifier.wsgi:app`)."""

from notifier.wsgi import app

__all__ = ["app"]
