"""Learners: algorithms that turn self-play into better networks.

``dmc``: Deep Monte-Carlo as in DouZero (``selfplay.learners.dmc.train``).
"""
