"""The clock: a few APScheduler interval jobs that only call services."""
