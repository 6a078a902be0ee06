"""Use cases. Each module opens its transaction, calls the domain and writes through the models.
Nothing here imports Flask, so the web, the CLI and the scheduler all call the same code."""
