"""A poker league judged exactly: snapshot exploitability in the report, the meta-Nash
mixture (PSRO's) of the snapshots and its exploitability."""

import numpy as np
import pytest

from selfplay.agents import load
from selfplay.games import make
from selfplay.league import report as lr
from selfplay.league.exact import meta_nash, payoff_matrix
from selfplay.league.ratings import WinsLosses
from selfplay.league.store import LeagueStore, Match
from selfplay.learners.dmc import DMCConfig, train
from selfplay.search.exploitability import exploitability, mixture_policy

TINY = DMCConfig(mlp=(16,), batch_size=4, unroll_length=16, envs_per_actor=8, send_frames=64)


def test_meta_nash_of_rock_paper_scissors_is_uniform_and_a_dominant_strategy_takes_all():
    rps = np.array([[0, -0.5, 0.5], [0.5, 0, -0.5], [-0.5, 0.5, 0]])
    assert meta_nash(rps) == pytest.approx([1 / 3] * 3, abs=1e-3)
    dominant = np.array([[0, 0.2, 0.3], [-0.2, 0, 0.1], [-0.3, -0.1, 0]])
    assert meta_nash(dominant) == pytest.approx([1, 0, 0], abs=1e-3)


def test_payoff_matrix_reads_the_head_to_head_records_and_is_antisymmetric():
    records = {("a", "b"): WinsLosses(30, 10, 0), ("b", "a"): WinsLosses(10, 30, 0)}
    m = payoff_matrix(["a", "b"], records, None)
    assert m == pytest.approx(np.array([[0, 0.25], [-0.25, 0]]))


def test_a_kuhn_league_report_shows_each_snapshots_exploitability_and_the_meta_nash_mixtures(tmp_path):
    game = make("kuhn")
    paths = [train(TINY, "kuhn", tmp_path / f"run{k}", frames=300 * (k + 1), actors=0, seed=k) for k in range(2)]
    store = LeagueStore.create(tmp_path / "lg", "kuhn")
    try:
        ids = [store.add_snapshot(p, frames=300 * (k + 1), train_seconds=60.0 * (k + 1)).id
               for k, p in enumerate(paths)]
        rng = np.random.default_rng(0)
        store.record_results([Match(((ids[i],), (ids[1 - i],)), (s, -s)) for i in (0, 1) for _ in range(30)
                              for s in [1.0 if rng.random() < (0.7 if i == 1 else 0.3) else -1.0]])
        report = lr.summarize(store)
        names = [p.name for p in store.players("snapshot")]
        agents = [load(store.agent_spec(store.player(n)), game) for n in names]
        by_name = {row.name: row for row in report.rows}
        for name, agent in zip(names, agents):
            assert by_name[name].exploitability == pytest.approx(exploitability(game, agent), abs=1e-12)
        weights = [report.meta_nash.weights[n] for n in names]
        assert sum(weights) == pytest.approx(1.0) and weights[1] > weights[0]  # the later one wins 70%
        assert report.meta_nash.exploitability == pytest.approx(
            exploitability(game, mixture_policy(game, agents, weights)), abs=1e-9)
        assert "exploitability" in lr.report_markdown(report) and "meta-Nash mixture" in lr.report_markdown(report)
        written = {p.name for p in lr.write_report(store, report)}
        assert "exploitability.png" in written and (tmp_path / "lg" / "exploitability.png").read_bytes()[:4] == b"\x89PNG"
    finally:
        store.close()


def test_other_games_have_no_exploitability_column(tmp_path):
    store = LeagueStore.create(tmp_path / "ttt", "tictactoe")
    try:
        report = lr.summarize(store)
        assert all(row.exploitability is None for row in report.rows) and report.meta_nash is None
        assert "exploitability" not in lr.report_markdown(report)
    finally:
        store.close()
