"""The `dynamis` command line: `dynamis serve`, `dynamis --version`."""

from __future__ import annotations

import sys

import click

from dynamis import REDIS_VERSION, __version__
from dynamis.config import Config, ConfigError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-v", message=f"dynamis %(version)s (redis {REDIS_VERSION})")
def main() -> None:
    """dynamis: a Redis-compatible and DynamoDB-compatible server."""


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                "allow_interspersed_args": False})
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="redis.conf-style configuration file.")
@click.argument("directives", nargs=-1, type=click.UNPROCESSED)
def serve(config_file: str | None, directives: tuple[str, ...]) -> None:
    """Start the server. Every configuration directive is also an option, as with redis-server:

    dynamis serve --port 7000 --save "" --dynamo-port 0 --dir ./data
    """
    from dynamis.server import serve as run

    config = Config()
    args = list(directives)
    if args and not args[0].startswith("--"):
        config_file, args = args[0], args[1:]  # `dynamis serve redis.conf --port 7000`, like redis-server
    if "--config" in args:  # after a directive, click leaves `--config FILE` among the directives
        at = args.index("--config")
        if at + 1 >= len(args):
            click.echo("*** FATAL CONFIG FILE ERROR *** --config needs a file name", err=True)
            sys.exit(1)
        config_file = args[at + 1]
        del args[at : at + 2]
    if "--config" in args:  # after a directive, click leaves `--config FILE` among the directives
        at = args.index("--config")
        if at + 1 >= len(args):
            click.echo("*** FATAL CONFIG FILE ERROR *** --config needs a file name", err=True)
            sys.exit(1)
        config_file, args = args[at + 1], args[:at] + args[at + 2 :]
    try:
        if config_file:
            config.load_file(config_file)
        config.load_args(args)
    except (ConfigError, OSError) as exc:
        click.echo(f"*** FATAL CONFIG FILE ERROR *** {exc}", err=True)
        sys.exit(1)
    sys.exit(run(config))
