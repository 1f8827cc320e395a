"""Serve the simulated LLM over HTTP as an OpenAI-compatible API (asyncio only).

A separate public module (the server is part of the application layer,
:mod:`rafa_async.app`, which does not import it either), so that importing
the library does not import aiohttp's server::

    from rafa_async.scenarios import simulated_llm
    from rafa_async.serve import running_sim_server

    async with running_sim_server(simulated_llm(seed=0), port=0) as server:
        ...  # point any OpenAI client at server.base_url
"""

from rafa_async.app.sim_server import (
    SIMULATED_HEADER as SIMULATED_HEADER,
    SimServer as SimServer,
    make_app as make_app,
    running_sim_server as running_sim_server,
    serve as serve,
)
