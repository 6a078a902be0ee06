# Benchmark only (`benchmarks/profile_patient_worker.py`): the project's gunicorn.conf.py,
# plus a CPU-time cProfile in each web worker, switched on once the worker has served its
# first requests (start-up and warm-up left out) and written to FIT_WORKER_PROFILE_DIR when
# the worker exits.
import cProfile
import os
import time
from pathlib import Path

_PROJECT = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
# The project's settings and hooks first (this file only adds two hooks it does not have).
exec(compile(_PROJECT.read_text(), str(_PROJECT), "exec"))

WARM_UP_REQUESTS = int(os.environ.get("FIT_WORKER_PROFILE_AFTER", "300"))
_profile: cProfile.Profile | None = None


def pre_request(worker, req):  # type: ignore[no-untyped-def]
    global _profile
    if _profile is None and worker.nr >= WARM_UP_REQUESTS:
        _profile = cProfile.Profile(time.process_time)
        _profile.enable()


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    if _profile is not None:
        _profile.disable()
        directory = os.environ["FIT_WORKER_PROFILE_DIR"]
        _profile.dump_stats(os.path.join(directory, f"worker-{os.getpid()}.prof"))
