"""The backend options of ``train``, ``league run`` and ``tournament`` (docs/ray.md)."""

from __future__ import annotations

import functools
import json

import click


def backend_options(command):
    """``--backend``, ``--address``, ``--cpus-per-actor`` and ``--actor-resources``, given to the
    command as one ``backend`` (a ``selfplay.backends.Backend``); docs/ray.md."""
    @functools.wraps(command)
    def wrapper(*args, backend, address, cpus_per_actor, actor_resources, **kwargs):
        from selfplay.backends import Backend
        from selfplay.cli.main import UserError

        resources = {}
        if actor_resources:
            try:
                resources = json.loads(actor_resources)
            except json.JSONDecodeError as err:
                raise UserError(f"--actor-resources expects JSON such as '{{\"actors\": 1}}': {err}") from None
            if not isinstance(resources, dict) or not all(
                    isinstance(k, str) and isinstance(v, (int, float)) and v > 0 for k, v in resources.items()):
                raise UserError("--actor-resources expects a JSON object of positive amounts, e.g. '{\"actors\": 1}'")
        try:
            chosen = Backend(backend, address, cpus_per_actor, resources)
        except ValueError as err:
            raise UserError(str(err)) from None
        return command(*args, backend=chosen, **kwargs)

    options = [
        click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="Where actors, matches and evaluations run: local processes, or a Ray cluster (docs/ray.md)."),
        click.option("--address", default=None, metavar="ADDR",
                     help="ray: the cluster to join (auto, or HOST:6379) [default: start a Ray on this machine]."),
        click.option("--cpus-per-actor", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                     help="ray: CPUs each actor reserves (its torch threads)."),
        click.option("--actor-resources", default=None, metavar="JSON",
                     help="ray: custom resources each actor needs, e.g. '{\"actors\": 1}' (pins them to nodes that have them)."),
    ]
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper
