# Two commands: `make test` and `make demo`; each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench learning-curve venv clean

venv: $(STAMP)

# torch first, pinned: 2.13.0 is the local CPU build (any other pulls CUDA).
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The Ray tests run on their own, in a loopback-only network namespace (tests/ray/run).
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --ignore=tests/ray
	sh tests/ray/run $(PY)

# A DouDizhu league of about 5 minutes on 2 quiet cores: train, snapshot every quarter of the
# work, rate everyone, print the report. Scheduled by frames, not by the clock: a busy machine
# takes longer but trains exactly as much. Run it again to see the report at once (the league
# resumes; `rm -rf runs/demo-league` starts over).
DEMO_LEAGUE := runs/demo-league
demo: $(STAMP)
	$(VENV)/bin/selfplay league run doudizhu --dir $(DEMO_LEAGUE) --frames 600000 --snapshot-frames 150000 --final-eval-seconds 120 --seed 0
	$(VENV)/bin/selfplay league report $(DEMO_LEAGUE)

# Speed, each beside its peer in the same run (a few minutes). The learning curve beside
# DouZero's (benchmarks/learning_curve.py, ~45 minutes) runs on its own: `make learning-curve`.
BENCHMARKS := mcts doudizhu_engine dmc_throughput dmc_search ray_throughput
bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	for b in $(BENCHMARKS); do $(PY) benchmarks/$$b.py || exit 1; done

learning-curve: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/learning_curve.py --minutes 20 --every 10 --decks 1000 --out runs/learning-curve

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
