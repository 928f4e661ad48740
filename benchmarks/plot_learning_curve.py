"""Draw a DMC learning curve: docs/dmc-curve.png from docs/dmc.md's figures, or a learning_curve.py result.

- No ``--json``: the 2-hour reference run of docs/dmc.md (2026-11-24; every
  checkpoint on 10,000 decks in both roles, WP with its Wilson 95% interval,
  against ``rlcard-rule`` and against ``random``), DouZero 1.1.0's figures on
  the same 2 cores as docs/dmc.md quotes them (the issue's measurements, 2
  actors: not re-run there), and the 0.65 goal. Writes docs/dmc-curve.png.
- ``--json PATH``: the output of ``benchmarks/learning_curve.py`` (``--json``
  or ``OUT/result.json``): WP against ``rlcard-rule`` of DouZero's and our
  checkpoints, with their 95% intervals, by training minute.

Run: ``.venv/bin/python benchmarks/plot_learning_curve.py [--json PATH] [--out PNG]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DOCS_PNG = Path(__file__).resolve().parent.parent / "docs" / "dmc-curve.png"

# docs/dmc.md, "The 2-hour reference run (2026-11-24)": minute -> (WP, low, high) over 20,000 games
OURS_VS_RULE = {20: (0.598, 0.591, 0.605), 40: (0.629, 0.622, 0.636), 60: (0.632, 0.625, 0.638),
                80: (0.648, 0.641, 0.654), 100: (0.670, 0.664, 0.677), 120: (0.675, 0.669, 0.682)}
OURS_VS_RANDOM = {20: (0.943, 0.940, 0.946), 40: (0.955, 0.952, 0.957), 60: (0.956, 0.953, 0.959),
                  80: (0.959, 0.956, 0.962), 100: (0.965, 0.962, 0.967), 120: (0.969, 0.966, 0.971)}
# docs/dmc.md: DouZero 1.1.0 on the same cores (the figures, 2 actors; no intervals given)
DOUZERO_VS_RULE = {10: 0.32, 20: 0.53, 40: 0.57, 60: 0.59}
DOUZERO_VS_RANDOM = {60: 0.945}
GOAL = 0.65


def _errorbar(ax, points: dict, **style) -> None:
    xs = sorted(points)
    wp = [points[x][0] for x in xs]
    err = [[points[x][0] - points[x][1] for x in xs], [points[x][2] - points[x][0] for x in xs]]
    ax.errorbar(xs, wp, yerr=err, marker="o", capsize=3, **style)


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI

    fig = Figure(figsize=(7.7, 4.62), dpi=100)
    return fig, fig.add_subplot()


def plot_docs(out: Path) -> None:
    fig, ax = _figure()
    ax.plot(sorted(DOUZERO_VS_RULE), [DOUZERO_VS_RULE[m] for m in sorted(DOUZERO_VS_RULE)], "s--", color="tab:red",
            label="DouZero 1.1.0 vs rlcard-rule (issue's figures, same 2 cores)")
    ax.plot(list(DOUZERO_VS_RANDOM), list(DOUZERO_VS_RANDOM.values()), "s", color="tab:orange",
            label="DouZero vs random (60 min)")
    ax.axhline(GOAL, color="grey", linestyle=":", linewidth=0.8, label=f"goal {GOAL} vs rlcard-rule")
    _errorbar(ax, OURS_VS_RULE, color="tab:blue", label="selfplay DMC vs rlcard-rule")
    _errorbar(ax, OURS_VS_RANDOM, color="tab:green", label="selfplay DMC vs random")
    ax.set_title("DouDizhu DMC learning curve (2026-11-24)")
    ax.set_xlabel("training minutes (2 CPU cores)")
    ax.set_ylabel("WP (10,000 decks, both roles)")
    ax.set_ylim(0.25, 1.0)
    ax.set_xticks(range(20, 121, 20))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out)


def plot_result(result: dict, out: Path) -> None:
    fig, ax = _figure()
    s = result["settings"]
    v = s["versions"]
    for key, label, color in (("douzero", f"DouZero {v.get('douzero')}", "tab:red"),
                              ("ours", f"selfplay {v.get('selfplay')} DMC", "tab:blue")):
        points = {p["minute"]: (p["wp"], p["wp_low"], p["wp_high"]) for p in result[key]}
        if points:
            _errorbar(ax, points, color=color, linestyle="--" if key == "douzero" else "-", label=label)
    minutes = sorted({p["minute"] for k in ("douzero", "ours") for p in result[k]})
    ev = s["evaluation"]
    ax.set_title(f"DouDizhu DMC learning curve vs {ev['opponent']} ({s['date']})")
    ax.set_xlabel(f"training minutes ({s['cores']} CPU cores, {s['ours'].get('actors')} actor process(es) each)")
    ax.set_ylabel(f"WP vs {ev['opponent']} ({ev['decks']:,} decks, both roles)")
    if minutes:
        ax.set_xticks(minutes)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path,
                        help="a benchmarks/learning_curve.py result (default: docs/dmc.md's figures)")
    parser.add_argument("--out", type=Path, help="the PNG to write (default: docs/dmc-curve.png without --json, "
                                                 "else beside the JSON file)")
    args = parser.parse_args(argv)
    if args.json is None:
        out = args.out or DOCS_PNG
        plot_docs(out)
    else:
        out = args.out or args.json.with_suffix(".png")
        plot_result(json.loads(args.json.read_text()), out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
