"""gunicorn settings read from the working directory (`.venv/bin/gunicorn wsgi:app`).

The access log leaves out the query string and the referrer: the patients page's search (`?q=NAME`) would otherwise
write a patient's name into the log of every request (docs/security.md, "Logs")."""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
accesslog = "-"
