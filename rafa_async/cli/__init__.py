"""The ``rafa`` command line."""

from rafa_async.cli import _play as _play  # registers `rafa play`
from rafa_async.cli._app import app as app, main as main
