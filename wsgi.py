"""Entry point for a WSGI server: `gunicorn -w 4 -b 127.0.0.1:8000 wsgi:app`.

The web processes never run the scheduler; start exactly one `fit-platform scheduler`.
"""

from fit_platform.app import create_app

app = create_app()
