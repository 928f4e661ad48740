"""Ray tests: only inside a network namespace that holds nothing but loopback (``tests/ray/run``,
which ``make test`` calls after the other tests)."""

from __future__ import annotations

import os
import socket

import pytest


def loopback_only() -> bool:
    """Whether this process's network namespace has no interface but ``lo``."""
    return [name for _, name in socket.if_nameindex()] == ["lo"]


@pytest.fixture(scope="module", autouse=True)
def _hermetic():
    if not loopback_only():
        pytest.skip("Ray tests run only in a loopback-only network namespace: sh tests/ray/run")


@pytest.fixture(scope="module")
def ray_local(_hermetic):
    """A Ray on this machine, bound to 127.0.0.1, as `--backend ray` starts one (smaller)."""
    ray = pytest.importorskip("ray")
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", object_store_memory=150 * 2**20,
             log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
