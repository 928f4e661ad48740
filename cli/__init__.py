"""The ``selfplay`` command line (click): ``main.py`` holds the commands."""
