"""WSGI entry point of an installed package: `gunicorn -c gunicorn.conf.py notifier.wsgi:app` (the checkout's
top-level wsgi.py imports this, for `gunicorn wsgi:app`)."""

from notifier import create_app

app = create_app()
