"""Adapters to the outside world: LLM providers and third-party environments.

Installed as ``rafa_async.adapters``.  The embedded simulated LLM lives in
:mod:`rafa_async.llm`; HTTP providers are added here.
"""

__all__: list[str] = []
