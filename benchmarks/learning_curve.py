"""DMC learning curves on these cores: DouZero 1.1.0 and ours, trained alike, scored on the same decks.

The anchor behind docs/dmc.md's curve, made repeatable. Two halves, one after
the other (never at the same time), each on every core of this machine with
the same number of actor processes (default: cores - 1, ours' default,
leaving a core to the learner):

- DouZero: ``douzero.dmc.train`` from PyPI ``douzero`` 1.1.0, unchanged, with
  its defaults (ADP, batch 32 x 100, RMSprop 1e-4, epsilon 0.01, 4 learner
  threads per position) but ``--actor_device_cpu --training_device cpu
  --num_actors A --save_interval EVERY``, run as a subprocess with one torch
  thread per process (``OMP_NUM_THREADS=1``, as our actors and learner run on
  these cores), stopped once it has saved at EVERY, 2 x EVERY, ... MINUTES.
  It saves at the start, then each time ``save_interval`` has passed at its
  5-second check, so a save labelled 10 minutes comes a few seconds after 10
  minutes of its wall time: the table gives each save's minute since the
  process started. DouZero has no seed option: its games are unseeded.
- ours: ``selfplay train doudizhu --learner dmc --minutes MINUTES
  --snapshot-minutes EVERY --seed SEED --actors A`` (the installed CLI), its
  snapshots at each EVERY minutes of training time.

Every checkpoint then plays ``rlcard-rule`` (RLCard's rule model,
``selfplay/rlcard_rule.py``) in our arena on the same DECKS decks (from
``--eval-seed``), each deck once as landlord and once as the two peasants.
A DouZero save plays through ``douzero_compat.py``: its weights in our QNet,
reading our features, of which DouZero's are a selection (checked value for
value against DouZero's ``get_obs`` in tests/benchmarks/test_douzero_compat.py);
it is offered our (RLCard's) legal moves, a subset of DouZero's.

The work directory (``--out``, default runs/learning-curve) keeps both runs
(``douzero/``, ``ours/``), the converted DouZero checkpoints and every
evaluation (``evals.json``; one already made is not played again). Running
the same command again reuses a finished half and trains a missing one; to
rerun a half, remove its folder. ``--skip-douzero`` / ``--skip-ours`` train
nothing for that half and score whatever it left there.

Run: ``.venv/bin/python benchmarks/learning_curve.py [--minutes 20] [--every 10] [--decks 1000]
[--seed 0] [--eval-seed 1] [--out runs/learning-curve] [--json PATH]`` (needs
``pip install douzero==1.1.0 GitPython``); about 2 x MINUTES of training, then
the evaluations. Plot: ``benchmarks/plot_learning_curve.py --json PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    import douzero_compat  # beside this file: sys.path[0] when run as a script
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import douzero_compat

DOUZERO_TRAIN = ("import sys; from douzero.dmc import parser, train; flags = parser.parse_args(sys.argv[2:]); "
                 "flags.save_interval = float(sys.argv[1]); train(flags)")  # save_interval in minutes, any float


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fail(message: str) -> None:
    """One line (or a log tail) on stderr, exit code 2: what the project's commands do on a mistake."""
    log(message)
    raise SystemExit(2)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict:
    out = {"python": platform.python_version()}
    for name in ("selfplay", "douzero", "torch", "numpy", "rlcard"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, wait: float = 20.0) -> None:
    """End the process group this script started for ``proc`` (its actors included)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass
    try:  # stragglers of the group (spawned actors, resource tracker)
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---- training ------------------------------------------------------------------------
def finished_run(folder: Path, minutes: float, every: float, name: str) -> bool:
    """Whether ``folder`` holds a finished run of these minutes (reused); SystemExit for any other run there."""
    run_file = folder / "run.json"
    if run_file.exists():
        run = json.loads(run_file.read_text())
        if run.get("complete") and (run.get("minutes"), run.get("every")) == (minutes, every):
            log(f"{name}: reusing the finished run in {folder}")
            return True
        what = "an unfinished run" if not run.get("complete") else \
            f"a run of {run.get('minutes')} min, a checkpoint every {run.get('every')}"
        fail(f"{folder} holds {what}: remove it, or --skip-{name.lower()} to score what is there")
    if folder.exists() and any(folder.iterdir()):
        fail(f"{folder} is not empty but holds no finished run: remove it")
    return False


def train_douzero(work: Path, minutes: float, every: float, actors: int, threads: int) -> None:
    folder = work / "douzero"
    if finished_run(folder, minutes, every, "DouZero"):
        return
    folder.mkdir(parents=True, exist_ok=True)
    saves_dir = folder / "douzero"  # DouZero writes SAVEDIR/XPID/
    args = ["--actor_device_cpu", "--training_device", "cpu", "--num_actors", str(actors),
            "--savedir", str(folder), "--xpid", "douzero", "--objective", "adp"]
    command = [sys.executable, "-c", DOUZERO_TRAIN, repr(float(every)), *args]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    expected = 1 + int(minutes / every + 1e-9)  # its save at the start, then one per EVERY minutes
    deadline_s = minutes * 60 + 60 + 10 * expected  # its start-up, and its 5-second checks add up
    log(f"DouZero: training {minutes:g} min, a save every {every:g} min, {actors} actor(s) -> {saves_dir}")
    record = {"command": command, "env": {"OMP_NUM_THREADS": str(threads)}, "minutes": minutes, "every": every,
              "actors": actors, "threads": threads, "saves": []}
    seen: dict[int, float] = {}
    complete = False
    with open(folder / "train.log", "w") as out:
        launched = time.time()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            while True:
                time.sleep(1.0)
                for frames in douzero_compat.douzero_saves(saves_dir):
                    if frames not in seen:
                        seen[frames] = max((saves_dir / f"{r}_weights_{frames}.ckpt").stat().st_mtime
                                           for r in douzero_compat.ROLES) - launched
                        log(f"  DouZero save at {seen[frames] / 60:.2f} min: {frames:,} frames")
                if len(seen) >= expected:
                    time.sleep(3.0)  # let the last save's files finish (model.tar, then the three weights)
                    complete = True
                    break
                if proc.poll() is not None:
                    fail(f"DouZero stopped (code {proc.returncode}):\n{tail(folder / 'train.log')}")
                if time.time() - launched > deadline_s:
                    log(f"  DouZero made {len(seen)} of {expected} saves in {deadline_s / 60:.1f} min; stopping")
                    complete = True  # what it saved in its time is its curve
                    break
        finally:
            stop(proc)
            record.update(complete=complete, launched=launched, stopped_after_s=round(time.time() - launched, 1),
                          saves=[{"frames": f, "wall_s": round(s, 2)} for f, s in sorted(seen.items())])
            (folder / "run.json").write_text(json.dumps(record, indent=2) + "\n")


def douzero_checkpoints(work: Path, every: float) -> list[dict]:
    """DouZero's saves as curve points, each converted to a selfplay checkpoint (an agent spec)."""
    folder = work / "douzero"
    run_file = folder / "run.json"
    if not run_file.exists():
        return []
    run = json.loads(run_file.read_text())
    saves = [s for s in run["saves"] if s["frames"] in set(douzero_compat.douzero_saves(folder / "douzero"))]
    if not saves:
        return []
    start = saves[0]["wall_s"]  # its first save, at the start of its training loop
    every = float(run.get("every", every))
    points = []
    for s in saves[1:]:
        minute = every * round((s["wall_s"] - start) / (every * 60))
        path = folder / "converted" / f"douzero-{minute:07.2f}m.pt"
        if not path.exists():
            weights, _ = douzero_compat.read_douzero(folder / "douzero", s["frames"])
            douzero_compat.convert(weights, path, frames=s["frames"], elapsed_seconds=s["wall_s"],
                                   source=f"{folder / 'douzero'} {s['frames']} frames")
        points.append({"minute": minute, "wall_minutes": round(s["wall_s"] / 60, 2), "frames": s["frames"],
                       "path": str(path)})
    return points


def selfplay_cli() -> str:
    here = Path(sys.executable).parent / "selfplay"
    return str(here) if here.exists() else (shutil.which("selfplay") or "selfplay")


def train_ours(work: Path, minutes: float, every: float, seed: int, actors: int) -> None:
    folder = work / "ours"
    if finished_run(folder, minutes, every, "ours"):
        return
    command = [selfplay_cli(), "train", "doudizhu", "--learner", "dmc", "--out", str(folder),
               "--minutes", f"{minutes:g}",
               "--snapshot-minutes", f"{every:g}", "--seed", str(seed), "--actors", str(actors)]
    log(f"ours: {' '.join(command[1:])}")
    folder.mkdir(parents=True, exist_ok=True)
    with open(work / "ours-train.log", "w") as out:
        launched = time.time()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = proc.wait(timeout=minutes * 60 + 180)
        except subprocess.TimeoutExpired:
            log("  ours overran its minutes by 3 min: interrupting it (it saves)")
            stop(proc, signal.SIGINT, wait=60)
            code = proc.returncode
        finally:
            stop(proc)
    if code != 0:
        fail(f"selfplay train failed (code {code}):\n{tail(work / 'ours-train.log')}")
    (folder / "run.json").write_text(json.dumps({"complete": True, "command": command, "launched": launched,
                                                 "minutes": minutes, "every": every, "seed": seed, "actors": actors},
                                                indent=2) + "\n")


def ours_checkpoints(work: Path, every: float) -> list[dict]:
    """Our snapshots as curve points (the final checkpoint stands in for a missing last snapshot)."""
    from selfplay.checkpoints import load_checkpoint

    folder = work / "ours"
    run_file = folder / "run.json"
    if not run_file.exists():
        return []
    run = json.loads(run_file.read_text())
    every = float(run.get("every", every))
    found: dict[float, Path] = {}
    for f in sorted((folder / "snapshots").glob("checkpoint-*m.pt")):
        m = re.fullmatch(r"checkpoint-(\d+\.\d+)m\.pt", f.name)
        if m:
            found[float(m.group(1))] = f
    final = folder / "checkpoint.pt"
    points = []
    for minute, path in sorted(found.items()):
        data = load_checkpoint(path)
        points.append({"minute": minute, "wall_minutes": round((path.stat().st_mtime - run["launched"]) / 60, 2),
                       "train_minutes": round(float(data["elapsed_seconds"]) / 60, 2), "frames": int(data["frames"]),
                       "path": str(path)})
    if final.exists():
        data = load_checkpoint(final)
        minute = every * round(float(data["elapsed_seconds"]) / (every * 60))
        if minute > 0 and minute not in found:
            points.append({"minute": minute, "wall_minutes": round((final.stat().st_mtime - run["launched"]) / 60, 2),
                           "train_minutes": round(float(data["elapsed_seconds"]) / 60, 2),
                           "frames": int(data["frames"]), "path": str(final)})
    return points


# ---- evaluation ----------------------------------------------------------------------
def evaluate(points: list[dict], decks: int, seed: int, workers: int, cache_file: Path) -> None:
    """Fill each point with WP and ADP against rlcard-rule on the same decks (cached by file)."""
    from selfplay import arena
    from selfplay.agents import load
    from selfplay.games import make
    from selfplay.learners.dmc import load_agent

    cache = json.loads(cache_file.read_text()) if cache_file.exists() else {}
    game = make("doudizhu")
    for p in points:
        path = Path(p["path"])
        key = f"{path}|{path.stat().st_mtime_ns}|decks={decks}|seed={seed}"
        if key not in cache:
            started = time.monotonic()
            result = arena.play(game, [load_agent(path, game), load("rlcard-rule", game)], decks=decks, seed=seed,
                                workers=workers)
            stats = next(iter(result.stats().values()))  # agent 0: the checkpoint
            a = stats["all"]
            cache[key] = {"games": a.games, "wp": a.win_rate, "wp_low": a.win_rate_low, "wp_high": a.win_rate_high,
                          "wp_landlord": stats["landlord"].win_rate, "wp_peasants": stats["peasants"].win_rate,
                          "adp": a.score, "adp_ci": a.score_ci}
            log(f"  {path.name}: WP {a.win_rate:.3f} [{a.win_rate_low:.3f}, {a.win_rate_high:.3f}] "
                f"ADP {a.score:+.3f} ({a.games} games, {time.monotonic() - started:.0f} s)")
            cache_file.write_text(json.dumps(cache, indent=1) + "\n")
        p.update(cache[key])


# ---- report --------------------------------------------------------------------------
def side_table(title: str, points: list[dict]) -> list[str]:
    lines = [title, f"{'minute':>7} {'wall min':>9} {'frames':>12}  {'WP vs rlcard-rule [95% CI]':27} "
                    f"{'landlord':>8} {'peasants':>8}  {'ADP ± 95%':>15}"]
    for p in points:
        lines.append(f"{p['minute']:7g} {p['wall_minutes']:9.2f} {p['frames']:12,}  "
                     f"{p['wp']:.3f} [{p['wp_low']:.3f}, {p['wp_high']:.3f}]{'':7} "
                     f"{p['wp_landlord']:8.3f} {p['wp_peasants']:8.3f}  {p['adp']:+7.3f} ± {p['adp_ci']:.3f}")
    if not points:
        lines.append("  (no checkpoints)")
    return lines


def compare(douzero: list[dict], ours: list[dict]) -> list[dict]:
    theirs = {p["minute"]: p for p in douzero}
    rows = []
    for p in ours:
        q = theirs.get(p["minute"])
        if q is not None:
            rows.append({"minute": p["minute"], "wp_ours": p["wp"], "wp_douzero": q["wp"],
                         "wp_difference": p["wp"] - q["wp"], "wp_ratio": p["wp"] / q["wp"] if q["wp"] else None,
                         "adp_ours": p["adp"], "adp_douzero": q["adp"], "adp_difference": p["adp"] - q["adp"],
                         "frames_ratio": p["frames"] / q["frames"] if q["frames"] else None})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0, help="training minutes of each half (default 20)")
    parser.add_argument("--every", type=float, default=10.0, help="a checkpoint every this many minutes (default 10)")
    parser.add_argument("--decks", type=int, default=1000, help="decks per evaluation, each in both roles (1000)")
    parser.add_argument("--seed", type=int, default=0, help="our training seed (default 0; DouZero has none)")
    parser.add_argument("--eval-seed", type=int, default=1, help="seed of the evaluation decks (default 1, as dmc.md)")
    parser.add_argument("--actors", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="actor processes of each side (default: cores - 1, ours' default)")
    parser.add_argument("--douzero-threads", type=int, default=1, help="torch threads per DouZero process (default 1)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="arena processes (default: cores)")
    parser.add_argument("--out", type=Path, default=Path("runs/learning-curve"), help="work directory")
    parser.add_argument("--skip-douzero", action="store_true", help="train no DouZero: score what --out holds")
    parser.add_argument("--skip-ours", action="store_true", help="train none of ours: score what --out holds")
    parser.add_argument("--json", type=Path, help="also write the results here (always: OUT/result.json)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.every <= 0 or args.every > args.minutes or args.decks < 1:
        parser.error("need 0 < --every <= --minutes and --decks >= 1")
    work = args.out
    work.mkdir(parents=True, exist_ok=True)
    if not args.skip_douzero:
        try:
            import douzero.dmc  # noqa: F401  (GitPython too)
        except ImportError as err:
            fail(f"DouZero is not importable ({err}): pip install douzero==1.1.0 GitPython")
        train_douzero(work, args.minutes, args.every, args.actors, args.douzero_threads)
    if not args.skip_ours:
        train_ours(work, args.minutes, args.every, args.seed, args.actors)

    douzero, ours = douzero_checkpoints(work, args.every), ours_checkpoints(work, args.every)
    log(f"evaluating {len(douzero) + len(ours)} checkpoints against rlcard-rule, {args.decks} decks x 2 roles")
    evaluate(douzero, args.decks, args.eval_seed, args.workers, work / "evals.json")
    evaluate(ours, args.decks, args.eval_seed, args.workers, work / "evals.json")
    rows = compare(douzero, ours)
    dz_run = json.loads((work / "douzero" / "run.json").read_text()) if (work / "douzero" / "run.json").exists() else {}
    our_run = json.loads((work / "ours" / "run.json").read_text()) if (work / "ours" / "run.json").exists() else {}
    settings = {
        "cores": os.cpu_count(), "cpu": cpu_name(), "machine": platform.machine(),
        "douzero": {k: dz_run.get(k) for k in ("minutes", "every", "actors", "threads", "command")},
        "ours": {k: our_run.get(k) for k in ("minutes", "every", "actors", "seed", "command")},
        "evaluation": {"opponent": "rlcard-rule", "decks": args.decks, "games_per_checkpoint": 2 * args.decks,
                       "seed": args.eval_seed, "workers": args.workers},
        "versions": versions(), "date": time.strftime("%Y-%m-%d"),
    }
    result = {"settings": settings, "douzero": douzero, "ours": ours, "comparison": rows}
    (work / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")

    v = settings["versions"]
    print(f"DMC learning curve on DouDizhu: DouZero {v['douzero']} and selfplay {v['selfplay']}, trained one after the "
          f"other on the same {settings['cores']} core(s) ({settings['cpu']})")
    print(f"  DouZero: douzero.dmc.train, its defaults, CPU, {dz_run.get('actors', '-')} actor process(es), "
          f"{dz_run.get('threads', '-')} torch thread(s) per process, unseeded; minute: its save every "
          f"{dz_run.get('every', 0):g} min after the one it makes at its start")
    print(f"  ours:    selfplay train doudizhu --learner dmc, {our_run.get('actors', '-')} actor process(es), "
          f"seed {our_run.get('seed', '-')}; minute: the snapshot's training time")
    print("  wall min: when the checkpoint was written, minutes after its training process started")
    print(f"  scored against rlcard-rule on the same {args.decks} decks (eval seed {args.eval_seed}), each deck as "
          f"landlord and as peasants ({2 * args.decks} games per checkpoint)")
    print(f"  torch {v['torch']}, rlcard {v['rlcard']}, numpy {v['numpy']}, python {v['python']}, {settings['date']}")
    print()
    tables = side_table(f"DouZero {v['douzero']}", douzero) + [""] + side_table(f"ours (selfplay {v['selfplay']})", ours)
    print("\n".join(tables))
    print()
    print("ours vs DouZero at the same minute")
    print(f"{'minute':>7} {'WP ours':>8} {'WP DouZero':>11} {'difference':>11} {'ratio':>7} {'ADP difference':>15} "
          f"{'frames ratio':>13}")
    for r in rows:
        ratio = f"{r['wp_ratio']:.2f}x" if r["wp_ratio"] else "-"
        frames = f"{r['frames_ratio']:.1f}x" if r["frames_ratio"] else "-"
        print(f"{r['minute']:7g} {r['wp_ours']:8.3f} {r['wp_douzero']:11.3f} {r['wp_difference']:+11.3f} {ratio:>7} "
              f"{r['adp_difference']:+15.3f} {frames:>13}")
    if not rows:
        print("  (no minute with both)")
    print(f"\nresults: {work / 'result.json'}" + (f", {args.json}" if args.json else "")
          + f"; plot: python benchmarks/plot_learning_curve.py --json {args.json or work / 'result.json'} --out PNG")


if __name__ == "__main__":
    main()
