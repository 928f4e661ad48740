"""The package as users install it: a wheel (and an sdist) built from a clean copy of the
checkout hold the released models, and an install of the wheel outside the source tree has
the same default agents as a clone (DouDizhu: the released az model's policy network, not
rlcard-rule), and the DMC model that dmc+search plays out.

Builds without the network or build isolation (the environment's setuptools); nothing of
the checkout is importable in the subprocess that plays. (In a folder of its own: a test
file directly in tests/ would put tests/ on sys.path, where tests/selfplay/ shadows selfplay.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = "doudizhu-az.pt"  # the default agent's
DMC = "doudizhu-dmc.pt"  # dmc+search's blueprint
PIP_ENV = {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "PIP_NO_CACHE_DIR": "1"}

# Run with `python -I` (no PYTHONPATH, no script or current directory on sys.path): the
# environment's site-packages serve the dependencies; the editable install's finder and any
# path into the checkout are dropped, and the installed copy goes first.
PLAY = r"""
import json, pathlib, sys
site, root = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]).resolve()
env = pathlib.Path(sys.prefix).resolve()

def from_clone(path):
    p = pathlib.Path(path).resolve()
    return p.is_relative_to(root) and not p.is_relative_to(env) and not p.is_relative_to(site)

sys.meta_path[:] = [f for f in sys.meta_path if not str(getattr(f, "__module__", "")).startswith("__editable__")]
sys.path[:] = [str(site)] + [p for p in sys.path if "__editable__" not in p and not (p and from_clone(p))]

import selfplay
from selfplay import agents
from selfplay.games import make

spec = agents.default_spec("doudizhu")
default = agents.default_agent("doudizhu") if hasattr(agents, "default_agent") else None
game = make("doudizhu")
agent = agents.load(spec, game)
agent.reset(0)
state, moves = game.new_initial_state(seed=0), 0
while not state.is_terminal():
    state.apply(agent.act(state))
    moves += 1

from click.testing import CliRunner
from selfplay.cli.main import cli
listing = CliRunner().invoke(cli, ["agents", "--json"])
modules = [getattr(m, "__file__", None) for m in list(sys.modules.values())]
print(json.dumps({
    "selfplay": selfplay.__file__, "spec": spec, "source": default and default.source, "note": default and default.note,
    "released": str(agents.RELEASED["doudizhu"].model), "released_is_file": agents.RELEASED["doudizhu"].model.is_file(),
    "dmc": str(agents.RELEASED_DMC["doudizhu"]), "dmc_is_file": agents.RELEASED_DMC["doudizhu"].is_file(),
    "agent": type(agent).__module__ + "." + type(agent).__qualname__, "moves": moves, "returns": state.returns(),
    "cli": listing.stdout, "cli_exit": listing.exit_code,
    "from_clone": sorted(f for f in modules if f and from_clone(f)),
}))
"""


def _clean_copy(dest: Path) -> None:
    """The files a clean clone (plus this checkout's uncommitted work) has: tracked and
    untracked files, none that .gitignore names (no egg-info, build/, venv)."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                                capture_output=True, check=True).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git, to copy the checkout as a clean clone would hold it")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():  # deleted but not yet committed: not in a clean clone of this work
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _pip(*args: str, cwd: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd, capture_output=True, text=True,
                         env={**os.environ, **PIP_ENV})
    assert out.returncode == 0, f"pip {' '.join(args)} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"


def _wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as whl:
        return {n for n in whl.namelist() if ".dist-info/" not in n}


def test_wheel_and_sdist_ship_the_released_models_and_an_install_plays_them(tmp_path):
    src, dist, site, elsewhere = (tmp_path / d for d in ("src", "dist", "site", "elsewhere"))
    for d in (src, dist, elsewhere):
        d.mkdir()
    _clean_copy(src)

    # The wheel, as `pip wheel .` builds it from a clean clone, installed outside the source tree.
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(dist / "tree"), ".", cwd=src)
    (wheel,) = (dist / "tree").glob("*.whl")
    _pip("install", "--no-deps", "--no-compile", "--target", str(site), str(wheel), cwd=elsewhere)
    out = subprocess.run([sys.executable, "-I", "-c", PLAY, str(site), str(ROOT)], cwd=elsewhere,
                         capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "always"})
    assert out.returncode == 0, f"the installed package failed to play:\n{out.stderr[-4000:]}"
    got = json.loads(out.stdout.strip().splitlines()[-1])
    installed = (site / "selfplay" / "models" / MODEL).resolve()
    spec = f"az:path={installed},sims=0"
    assert Path(got["selfplay"]).resolve().is_relative_to(site.resolve()), f"imported {got['selfplay']}, not the install"
    assert not got["from_clone"], f"modules imported from the checkout: {got['from_clone']}"
    assert got["spec"] == spec, (
        f"an installed selfplay's default DouDizhu agent is {got['spec']!r} "
        f"({got['source'] or 'no default_agent'}: {got['note'] or 'RELEASED is ' + got['released']}), "
        f"not its released model {installed}")
    assert got["source"] == "released model" and got["released"] == str(installed) and got["released_is_file"]
    assert got["dmc"] == str(installed.with_name(DMC)) and got["dmc_is_file"]
    assert got["agent"] == "selfplay.learners.az.PolicyAgent" and got["moves"] > 0 and sorted(got["returns"]) != [0] * 3
    assert got["cli_exit"] == 0, f"`selfplay agents --json` failed: {got['cli']}"
    listing = json.loads(got["cli"])
    assert listing["defaults"][0] == {"game": "doudizhu", "spec": spec, "source": "released model",
                                      "path": str(installed), "note": f"selfplay.models/{MODEL}"}, listing["defaults"]
    assert "Warning" not in out.stderr, out.stderr[-2000:]
    files = _wheel_files(wheel)
    assert {f"selfplay/models/{MODEL}", f"selfplay/models/{DMC}", "selfplay/models/README.md"} <= files

    # The sdist: setuptools' PEP 517 hook (no `build` package needed), as `python -m build --sdist` calls it;
    # it holds the models, and the wheel pip builds from it is the tree's.
    out = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                          "print(build_meta.build_sdist(sys.argv[1]))", str(dist)],
                         cwd=src, capture_output=True, text=True)
    assert out.returncode == 0, f"build_sdist failed:\n{out.stderr[-3000:]}"
    sdist = dist / out.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = {f"models/{MODEL}", f"models/{DMC}", "models/__init__.py", "models/README.md"} - names
    assert not missing, f"the sdist {sdist.name} lacks {sorted(missing)}"
    _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(dist / "sdist"), str(sdist), cwd=elsewhere)
    (wheel_of_sdist,) = (dist / "sdist").glob("*.whl")
    assert _wheel_files(wheel_of_sdist) == files, "the wheel built from the sdist differs from the tree's: " \
        f"{sorted(_wheel_files(wheel_of_sdist) ^ files)}"


def test_a_missing_released_model_is_a_visible_fallback(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from selfplay import agents
    from selfplay.cli.main import cli

    missing = agents.Release(tmp_path / MODEL, "az:path={},sims=0", "rlcard-rule")
    monkeypatch.setitem(agents.RELEASED, "doudizhu", missing)
    with pytest.warns(UserWarning, match=f"doudizhu: released model selfplay.models/{MODEL} missing"):
        assert agents.default_spec("doudizhu") == "rlcard-rule"
    listing = json.loads(CliRunner().invoke(cli, ["agents", "--json"]).stdout)
    assert listing["defaults"][0] == {"game": "doudizhu", "spec": "rlcard-rule", "source": "fallback",
                                      "path": str(tmp_path / MODEL), "note": f"released model selfplay.models/{MODEL} "
                                      f"missing from this install: no file {tmp_path / MODEL}"}
    table = CliRunner().invoke(cli, ["agents"]).stdout
    row = next(line for line in table.splitlines() if line.startswith("│ doudizhu "))  # the fixed-landlord game
    assert row.split("│")[2].strip() == "rlcard-rule" and "fallback: released model" in row, table
