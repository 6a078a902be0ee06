#!/bin/sh
# One image, every role: the first argument says which process this container is.
#   web                 gunicorn with the workers of gunicorn.conf.py (FIT_WEB_WORKERS, FIT_BIND)
#   scheduler           the one clock process, dispatching too
#   scheduler-no-dispatch   the clock without sending (when sending runs elsewhere)
#   migrate             fit-platform db upgrade (once per release, before the web restarts);
#                       as FIT_DATABASE_OWNER_URL when given (only to this role's container)
#   anything else       passed to fit-platform (e.g. create-admin ola@klinikk.no --name "Ola")
set -eu
role="${1:-web}"
[ "$#" -gt 0 ] && shift
case "$role" in
  web)
    # Counters of all workers are kept here and added up at scrape time.
    export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/fit-metrics}"
    export FIT_BIND="${FIT_BIND:-0.0.0.0:8000}"
    exec gunicorn wsgi:app "$@" ;;
  scheduler) exec fit-platform scheduler "$@" ;;
  scheduler-no-dispatch) exec fit-platform scheduler --no-dispatch "$@" ;;
  migrate) exec fit-platform db upgrade "$@" ;;
  *) exec fit-platform "$role" "$@" ;;
esac
