"""The league: a learner trained against itself and its past, rated with confidence.

- ``store``: the league directory, one SQLite file (WAL, safe for several
  writing processes) beside the snapshot files: players (learner snapshots,
  fixed baselines), matches (deal, seats, payoffs) and the ratings history.
- ``matchmaking``: who the learner plays in self-play games and at which
  seats (``latest``, ``past`` as OpenAI Five, ``pfsp`` as AlphaStar).
- ``ratings``: a joint Bradley-Terry fit on the Elo scale anchored at
  ``random`` = 0, with 95% intervals, role advantages and per-role ratings
  (DouDizhu's landlord vs the two peasants), and the likelihood-of-superiority
  and SPRT checks of "is the newest snapshot stronger than the best so far".

The league loop, the evaluation scheduler and the reports build on these.
"""
