# Read by gunicorn from the working directory: `gunicorn wsgi:app` picks this up.
# Every line gunicorn writes (error log and access log) is JSON like the app's own lines;
# access lines carry the request id and no patient link token (fit_platform/gunicorn_logging.py).
import os
from pathlib import Path

from fit_platform.config import ConfigurationError
from fit_platform.process_settings import (
    exit_on_configuration_error,
    settings_or_exit,
    web_bind,
    web_workers,
)

# The settings are checked here, in the master, before a worker is forked: a bad one stops
# gunicorn with one JSON line naming it and exit status 1, not a traceback from every worker
# and the master's "Worker failed to boot" (fit_platform/process_settings.py).
settings_or_exit("web")
try:
    bind = web_bind()
    workers = web_workers()
except ConfigurationError as error:
    exit_on_configuration_error(error, "web")

logger_class = "fit_platform.gunicorn_logging.RedactingLogger"
accesslog = "-"
errorlog = "-"

# gunicorn 25.1+ opens a control socket for `gunicornc` by default, in $XDG_RUNTIME_DIR or else
# ~/.gunicorn/. The service user has no writable home (ProtectHome, ProtectSystem=strict, the
# container's /app), so every start logged an error; where a home was writable, a socket that
# can stop or resize the web sat in it. Nothing here needs it (a reload is HUP), so it is off
# unless FIT_GUNICORN_CONTROL_SOCKET names a path (e.g. /run/fit-web/gunicorn.ctl).
control_socket_path = os.environ.get("FIT_GUNICORN_CONTROL_SOCKET", "")
if control_socket_path:
    control_socket = control_socket_path
else:
    control_socket_disable = True


def on_starting(server):  # type: ignore[no-untyped-def]
    """Metrics of several workers are kept in files under PROMETHEUS_MULTIPROC_DIR; start
    each run with an empty directory, or counters of a previous run would be added in."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for old in path.glob("*.db"):
            old.unlink()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A worker that ended (restart, crash) keeps its counters, but its live gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
