"""``clearance witness init|trust|serve``: the auditor's witness. It reads only its own home
(``--home``), never Clearance's settings or database."""

from __future__ import annotations

from pathlib import Path

import click


def register(group: click.Group) -> None:
    group.add_command(witness)


_HOME = click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="The witness's own folder (key, trusted logs, state); keep it off the log's host.",
)


@click.group()
def witness() -> None:
    """A C2SP tlog-witness that cosigns the log's checkpoints (run by the auditor)."""


@witness.command("init")
@_HOME
@click.option("--name", required=True, help="The witness's key name, e.g. audit.example.vn/w1.")
def init_cmd(home: Path, name: str) -> None:
    """Create the witness key (idempotent) and print its vkey for the log's witness policy."""
    from clearance.witness.home import init_home

    click.echo(init_home(home, name))


@witness.command("trust")
@_HOME
@click.argument("log_vkey")
def trust_cmd(home: Path, log_vkey: str) -> None:
    """Trust the log whose public key is LOG_VKEY (its origin is the key's name)."""
    from clearance.witness.home import trust_log

    key = trust_log(home, log_vkey)
    click.echo(f"trusting log {key.name}")


@witness.command("serve")
@_HOME
@click.option("--listen", default="127.0.0.1:7380", show_default=True, help="HOST:PORT")
@click.option("--verbose", is_flag=True, help="Log every request.")
def serve_cmd(home: Path, listen: str, verbose: bool) -> None:
    """Answer add-checkpoint requests until stopped."""
    from clearance.errors import BadInput
    from clearance.witness.home import load_cosigner, load_logs
    from clearance.witness.protocol import Witness
    from clearance.witness.server import WitnessServer
    from clearance.witness.state import WitnessState
    from cli.common import serve_until_stopped

    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise BadInput(f"--listen {listen!r} is not HOST:PORT (e.g. 127.0.0.1:7380)")
    state = WitnessState(home / "state.db")
    server = WitnessServer(
        (host, int(port_text)),
        Witness(load_cosigner(home), load_logs(home), state),
        verbose=verbose,
    )
    click.echo(f"witness {load_cosigner(home).name} listening on {server.url}", err=True)
    serve_until_stopped(server.serve_forever, server.server_close, state.close)
