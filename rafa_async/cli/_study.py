"""``rafa study``: the paper's protocols, run end to end."""

from __future__ import annotations

import typer

from rafa_async.cli._app import app
from rafa_async.cli._console import RafaGroup
from rafa_async.cli._llm import llm_options
from rafa_async.cli._study_tictactoe import study_tictactoe

study = typer.Typer(
    name="study",
    help="The paper's protocols, run end to end with learning curves.",
    no_args_is_help=True,
    cls=RafaGroup,
)
app.add_typer(study)

study.command("tictactoe")(llm_options()(study_tictactoe))
