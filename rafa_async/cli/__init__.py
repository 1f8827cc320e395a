"""The ``rafa`` command line."""

from rafa_async.cli._app import app as app, main as main
