"""WSGI entry point: `gunicorn wsgi:app`."""

from notifier import create_app

app = create_app()
