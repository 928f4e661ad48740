"""Frames per second of DMC self-play actors: ours beside DouZero's, same machine, same run.

Both sides play DouDizhu with a DouZero-sized network (an LSTM of 128 over the
move history, then five 512-unit layers), K actor processes (default: one per
core), and are timed the same way: start the actors, let them warm up, then
count for a fixed wall time the frames that reach the learner's side. A frame
is one decision of one seat, stored for training (DouZero counts
``unroll_length`` frames per buffer it fills; we count the samples in each
trajectory). Nothing is trained: only the actors are timed.

- ours: ``selfplay.actors.ActorPool``: each process steps 64 games at once and
  scores every pending decision of a role in one forward pass
  (bfloat16 where the CPU has bf16 units, and float32 for comparison);
- DouZero: the actor loop of PyPI ``douzero`` (``douzero.dmc.utils.act``) run
  unchanged, with its ``Model`` on the CPU and its shared buffers, one torch
  thread per actor process (its fastest setting on a shared CPU; its default
  of one thread per core for each actor only oversubscribes the cores).

It then times the learner alone on each device this machine has (the CPU,
and CUDA where present): updates per second and frames per second consumed,
each update one DouZero batch (32 unrolls x 100 frames) of the landlord's
network, float32 and bfloat16, as ``selfplay.learners.dmc.learn_step`` runs
it during training.

Usage: ``python benchmarks/dmc_throughput.py [--seconds 30] [--warmup 10] [--actors K] [--learner-seconds 20]``
(DouZero needs ``pip install douzero GitPython``; without it, ours alone is printed).
"""

from __future__ import annotations

import argparse
import os
import platform
import threading
import time
import types

import torch

UNROLL = 100  # DouZero's --unroll_length: frames per buffer


def measure_ours(actors: int, seconds: float, warmup: float, dtype: str) -> float:
    from selfplay.actors import ActorPool, ActorSettings
    from selfplay.encoders import encoder_for
    from selfplay.games import make
    from selfplay.learners.dmc import DMCConfig, net_configs, resolve_dtype
    from selfplay.nets import QNet

    config = DMCConfig()  # DouZero-sized network, our actor defaults
    game = make("doudizhu")
    configs = net_configs(encoder_for(game), config)
    nets = [QNet(c) for c in configs]
    settings = ActorSettings("doudizhu", dict(game.info.options), tuple(configs), config.envs_per_actor,
                             config.exp_epsilon, "adp", resolve_dtype(dtype), config.send_frames)
    pool = ActorPool(actors, [1000 + i for i in range(actors)], settings, nets, max_queued=64)
    try:
        pool.publish(nets)
        end_warmup = time.monotonic() + warmup
        while time.monotonic() < end_warmup:
            pool.get(timeout=0.1)
        frames, start = 0, time.monotonic()
        while time.monotonic() - start < seconds:
            traj = pool.get(timeout=0.1)
            if traj is not None:
                frames += traj.frames
        return frames / (time.monotonic() - start)
    finally:
        pool.close()


def measure_learner(device: str, dtype: str, seconds: float) -> tuple[float, float]:
    """(updates/s, frames/s) of ``learn_step`` on ``device``: DouZero-sized batches of random features."""
    from selfplay.actors import Samples
    from selfplay.encoders import encoder_for
    from selfplay.games import make
    from selfplay.learners.dmc import DMCConfig, learn_step, net_configs
    from selfplay.nets import QNet

    config = DMCConfig()
    spec = encoder_for(make("doudizhu")).spec
    cfg = net_configs(encoder_for(make("doudizhu")), config)[0]
    torch.manual_seed(0)
    net = QNet(cfg).to(device)
    opt = torch.optim.RMSprop(net.parameters(), lr=config.learning_rate, alpha=config.rmsprop_alpha,
                              eps=config.rmsprop_eps)
    n = config.batch_size * config.unroll_length
    gen = torch.Generator().manual_seed(1)
    batch = Samples(torch.rand(n, spec.state_dim, generator=gen).numpy(),
                    torch.rand(n, 15, spec.history_dim, generator=gen).numpy() if spec.history_dim else None,
                    torch.rand(n, spec.move_dim, generator=gen).numpy(), torch.randn(n, generator=gen).numpy())
    learn_step(net, opt, batch, config.max_grad_norm, dtype)  # warm-up (kernels, allocator)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    steps, start = 0, time.monotonic()
    while time.monotonic() - start < seconds:
        learn_step(net, opt, batch, config.max_grad_norm, dtype)  # float(loss) waits for the device
        steps += 1
    rate = steps / (time.monotonic() - start)
    return rate, rate * n


def _douzero_actor(i, free_queue, full_queue, model, buffers, flags):
    torch.set_num_threads(1)
    from douzero.dmc.utils import act

    act(i, "cpu", free_queue, full_queue, model, buffers, flags)


def measure_douzero(actors: int, seconds: float, warmup: float) -> float:
    from douzero.dmc.models import Model
    from douzero.dmc.utils import create_buffers

    # DouZero's defaults (douzero/dmc/arguments.py) for what its actor loop reads
    flags = types.SimpleNamespace(unroll_length=UNROLL, exp_epsilon=0.01, objective="adp", num_buffers=50,
                                  batch_size=32, actor_device_cpu=True, training_device="cpu")
    positions = ["landlord", "landlord_up", "landlord_down"]
    ctx = torch.multiprocessing.get_context("spawn")  # as DouZero starts its actors
    buffers = create_buffers(flags, ["cpu"])["cpu"]
    free_queue = {p: ctx.SimpleQueue() for p in positions}
    full_queue = {p: ctx.SimpleQueue() for p in positions}
    for p in positions:
        for m in range(flags.num_buffers):
            free_queue[p].put(m)
    model = Model(device="cpu")
    model.share_memory()
    model.eval()
    procs = [ctx.Process(target=_douzero_actor, args=(i, free_queue, full_queue, model, buffers, flags), daemon=True)
             for i in range(actors)]
    for proc in procs:
        proc.start()
    filled = {p: 0 for p in positions}
    counting = threading.Event()
    stop = threading.Event()

    def drain(position: str) -> None:  # the learner's side: take full buffers, hand them back
        while not stop.is_set():
            index = full_queue[position].get()
            if counting.is_set():
                filled[position] += 1
            free_queue[position].put(index)

    for p in positions:
        threading.Thread(target=drain, args=(p,), daemon=True).start()
    try:
        time.sleep(warmup)
        counting.set()
        start = time.monotonic()
        time.sleep(seconds)
        buffers_filled = sum(filled.values())
        return buffers_filled * UNROLL / (time.monotonic() - start)
    finally:
        stop.set()
        for proc in procs:
            proc.kill()
            proc.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="counting time per measurement")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before counting starts")
    parser.add_argument("--actors", type=int, default=os.cpu_count() or 1, help="actor processes (default: one per core)")
    parser.add_argument("--learner-seconds", type=float, default=20.0, help="timing of the learner per device and dtype")
    args = parser.parse_args()
    from selfplay.learners.dmc import resolve_dtype

    fast = resolve_dtype("auto")
    print(f"DMC actor throughput on DouDizhu, DouZero-sized network (LSTM 128 + 5x512 MLP), {args.actors} actor "
          f"process(es) on {os.cpu_count()} core(s) ({platform.processor() or platform.machine()}), "
          f"torch {torch.__version__}; {args.seconds:.0f} s counted after {args.warmup:.0f} s warm-up")
    ours = {fast: measure_ours(args.actors, args.seconds, args.warmup, fast)}
    if fast != "float32":
        ours["float32"] = measure_ours(args.actors, args.seconds, args.warmup, "float32")
    for dtype, fps in ours.items():
        print(f"  ours    selfplay.actors, {dtype:8}, 64 games per actor: {fps:9,.0f} frames/s")
    try:
        import douzero.dmc.utils  # noqa: F401  (needs GitPython too)
    except ImportError as err:
        print(f"  DouZero not importable ({err}; pip install douzero GitPython): no comparison")
    else:
        theirs = measure_douzero(args.actors, args.seconds, args.warmup)
        from importlib.metadata import version

        print(f"  DouZero douzero {version('douzero')} dmc.utils.act, cpu:         {theirs:9,.0f} frames/s")
        for dtype, fps in ours.items():
            print(f"  ratio ours ({dtype}) / DouZero: {fps / theirs:.1f}x")
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"DMC learner alone, one network, batches of 32 x 100 frames, {args.learner_seconds:.0f} s each "
          f"(devices here: {', '.join(devices)}; torch threads {torch.get_num_threads()})")
    for device in devices:
        for dtype in ("float32", "bfloat16"):
            updates, frames = measure_learner(device, dtype, args.learner_seconds)
            print(f"  learner {device:4} {dtype:8}: {updates:7.2f} updates/s  {frames:9,.0f} frames/s consumed")


if __name__ == "__main__":
    main()
