"""The released models, as package data (models/README.md says how each was trained).

Read them with ``importlib.resources.files("selfplay.models")``, or through
``selfplay.agents.RELEASED``, which holds their paths on disk."""
