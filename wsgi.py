"""Entry point for a WSGI server: `gunicorn -w 4 -b 127.0.0.1:8000 wsgi:app`.

The web processes never run the scheduler; start exactly one `fit-platform scheduler`.
"""

from fit_platform.app import create_app
from fit_platform.services.passwords import dummy_hash

app = create_app()
# Made now, not at the first login it is needed for: that login would take longer than the
# others and tell a username that does not exist (services/passwords.py).
dummy_hash()
