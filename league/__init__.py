"""The league: historical snapshots, matchmaking, ratings and reports (issue 5; not built yet)."""
