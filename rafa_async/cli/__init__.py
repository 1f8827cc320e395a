"""The ``rafa`` command line."""

from rafa_async.cli import (
    _bench as _bench,  # registers `rafa bench`
    _curve as _curve,  # registers `rafa curve`
    _play as _play,  # registers `rafa play`
    _providers as _providers,  # registers `rafa providers`
    _run as _run,  # registers `rafa run`
    _serve as _serve,  # registers `rafa sim-serve`
    _server as _server,  # registers `rafa serve`
    _study as _study,  # registers `rafa study ...`
    _tournament as _tournament,  # registers `rafa tournament ...`
    _tournament_report as _tournament_report,  # registers `rafa tournament report`
)
from rafa_async.cli._app import app as app, main as main
