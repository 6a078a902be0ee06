# Read by gunicorn from the working directory: `gunicorn wsgi:app` picks this up.
# Access log lines go through a logger that removes patient link tokens from URLs.
logger_class = "fit_platform.gunicorn_logging.RedactingLogger"
bind = "127.0.0.1:8000"
workers = 4
