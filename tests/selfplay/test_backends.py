"""Backend choice and its errors, without starting Ray (tests/ray runs Ray itself)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from selfplay.backends import LOCAL, Backend, BackendError
from selfplay.backends import ray_cluster


def selfplay(*args):
    return subprocess.run([sys.executable, "-m", "selfplay.cli.main", *args], capture_output=True, text=True,
                          timeout=120)


def test_the_local_backend_is_the_default_and_ray_options_belong_to_ray():
    assert LOCAL.name == "local" and not LOCAL.is_ray
    assert Backend("ray", "auto", 2.0, {"actors": 1}).is_ray
    with pytest.raises(ValueError, match="unknown backend"):
        Backend("spark")
    with pytest.raises(ValueError, match="options of --backend ray"):
        Backend("local", address="auto")
    with pytest.raises(ValueError, match="positive"):
        Backend("ray", cpus_per_actor=0)


@pytest.mark.parametrize("args, message", [
    (["--address", "auto"], "options of --backend ray"),
    (["--backend", "ray", "--actor-resources", "{actors: 1}"], "expects JSON"),
    (["--backend", "ray", "--actor-resources", '{"actors": -1}'], "positive amounts"),
    (["--backend", "spark"], "Invalid value for '--backend'"),
])
def test_bad_backend_options_are_one_line_errors_with_exit_code_2(tmp_path, args, message):
    for command in (["train", "kuhn", "--out", str(tmp_path / "run"), "--frames", "10"],
                    ["tournament", "kuhn", "-a", "random", "-a", "random", "--games", "2"],
                    ["league", "run", "kuhn", "--dir", str(tmp_path / "lg"), "--frames", "10"]):
        result = selfplay(*command, *args)
        assert result.returncode == 2, (command, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "lg").exists()


def test_without_ray_installed_the_ray_backend_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails
    with pytest.raises(BackendError, match=r"pip install 'selfplay\[ray\]'"):
        ray_cluster.connect(Backend("ray"))
