"""gunicorn settings of the legacy app: sync workers, sane timeouts.

The configuration is checked here, in the master, before any worker forks: a bad
DATABASE_URL or SECRET_KEY stops gunicorn with one line and exit 2, not a respawn loop.

Example:
    gunicorn --config python:legacy_flask.gunicorn_conf --bind 127.0.0.1:8000 legacy_flask.wsgi:app
"""

from __future__ import annotations

import os

from legacy_flask.config import load_settings
from legacy_flask.serving import workers_from_env
from legacy_flask.startup import exit_on_config_error

exit_on_config_error(load_settings)

wsgi_app = "legacy_flask.wsgi:app"
worker_class = "sync"
workers = exit_on_config_error(lambda: workers_from_env(os.environ))
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
# The default access log format has no Authorization or Cookie values; keep it that way.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
