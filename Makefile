# Two commands: `make test` and `make demo`; each builds .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo bench venv clean

venv: $(STAMP)

# torch first, pinned: 2.13.0 is the local CPU build (any other pulls CUDA).
$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n 2

# A DouDizhu league of about 5 minutes on 2 quiet cores: train, snapshot every quarter of the
# work, rate everyone, print the report. Scheduled by frames, not by the clock: a busy machine
# takes longer but trains exactly as much. Run it again to see the report at once (the league
# resumes; `rm -rf runs/demo-league` starts over).
DEMO_LEAGUE := runs/demo-league
demo: $(STAMP)
	$(VENV)/bin/selfplay league run doudizhu --dir $(DEMO_LEAGUE) --frames 1200000 --snapshot-frames 300000 --final-eval-seconds 120 --seed 0
	$(VENV)/bin/selfplay league report $(DEMO_LEAGUE)

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
