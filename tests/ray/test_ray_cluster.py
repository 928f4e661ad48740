"""Two Ray nodes on this machine (``ray.cluster_utils.Cluster``): the actors pinned to the
worker node by a custom resource, and that node unable to open any file of the league."""

from __future__ import annotations

import os
import textwrap

import pytest

from selfplay.backends import Backend
from selfplay.league import loop
from selfplay.league.evaluation import EvaluationConfig
from selfplay.league.store import LeagueStore

# Imported by every Python process of the worker node (PYTHONPATH): opening any path under
# SELFPLAY_TEST_HIDDEN raises, as if the head's disk were not there.
HIDE = textwrap.dedent("""
    import os, sys
    hidden = os.environ.get("SELFPLAY_TEST_HIDDEN")
    if hidden:
        def _hide(event, args):
            if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
                if os.path.abspath(os.fsdecode(args[0])).startswith(hidden):
                    raise PermissionError(f"{args[0]}: not on this node")
        sys.addaudithook(_hide)
""")


@pytest.fixture
def cluster(tmp_path):
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HIDE)
    hidden = tmp_path / "head"
    hidden.mkdir()
    node = {"node_ip_address": "127.0.0.1", "object_store_memory": 100 * 2**20}
    cluster = Cluster(initialize_head=True, head_node_args={**node, "num_cpus": 1, "include_dashboard": False})
    cluster.add_node(**node, num_cpus=1, resources={"actors": 1},
                     env_vars={"PYTHONPATH": f"{hook}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
                               "SELFPLAY_TEST_HIDDEN": str(hidden)})
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    yield ray, hidden
    ray.shutdown()
    cluster.shutdown()


def test_actors_on_a_worker_node_that_cannot_see_the_snapshot_files_train_a_league(cluster):
    ray, hidden = cluster
    (hidden / "probe").write_text("x")

    @ray.remote(resources={"actors": 1}, num_cpus=0)
    def read(path):
        with open(path) as f:
            return f.read()

    with pytest.raises(ray.exceptions.RayTaskError, match="not on this node"):
        ray.get(read.remote(str(hidden / "probe")))  # the worker node really cannot see the head's files

    directory = hidden / "league"
    config = loop.LeagueConfig(snapshot_minutes=None, snapshot_frames=10_000, actors=1, seed=5,
                               evaluation=EvaluationConfig(decks=10, min_games=20), final_eval_seconds=10,
                               settings={"mlp": (64, 64), "batch_size": 8, "unroll_length": 32, "envs_per_actor": 32,
                                         "send_frames": 256, "actor_dtype": "float32", "log_interval_seconds": 0.5})
    with loop.run("leduc", directory, frames=40_000, config=config,
                  backend=Backend("ray", actor_resources={"actors": 1})) as store:
        snapshots = store.players("snapshot")
    assert len(snapshots) >= 3  # the actors played them (shipped as objects) from the second on
    with LeagueStore.open(directory) as store:
        assert store.match_count("eval") > 0
