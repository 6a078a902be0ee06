"""`fit-platform check-env-file`: is the settings file read alike by systemd and sh?"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("check-env-file")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def check_env_file_command(path: Path) -> None:
    """Refuse an env file that systemd's EnvironmentFile= and `set -a; . file` would read
    differently (docs/deploy.md, "The settings file"): one line per problem, naming the line
    and the variable, never the value; exit status 1. The systemd units run it first."""
    from fit_platform.env_file import check_env_file

    try:
        # Bytes, not read_text: universal newlines would hide a Windows line end.
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot be read ({exc.strerror})") from exc
    problems = check_env_file(text)
    for problem in problems:
        click.echo(f"{path}: {problem}", err=True)
    if problems:
        raise SystemExit(1)
