"""The Ray executor: a tournament's matches on a (local) Ray cluster.

The cluster is one local instance, ``ray.init(num_cpus=2)``, started once
for the module (starting Ray takes seconds; the tournaments are small and
the sim answers at once).  The driver runs on trio and asyncio with virtual
time; the workers play in real time, which the sim at ``latency_scale = 0``
does not notice.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from support import assert_one_line_error, rafa

from rafa_async._errors import ConfigError
from rafa_async.tournament import (
    MatchOutcome,
    PlannedMatch,
    Progress,
    RayExecutor,
    TournamentConfig,
    TournamentDB,
    parse_tournament,
    run_tournament,
    worker_shares,
)
from rafa_async.tournament._ray import import_ray

if importlib.util.find_spec("ray") is None:
    pytest.skip("the Ray executor's tests need the `ray` extra", allow_module_level=True)
ray = import_ray()  # as the executor imports it (Ray's `uv run` propagation off)

pytestmark = pytest.mark.slow

CONFIG = """
name = "ray-check"
games = ["tictactoe"]
games_per_pairing = 2
concurrency = 4
latency_scale = 0.0
seed = 7

[limits]
max_concurrency = 3

[[participants]]
name = "rafa"
kind = "rafa"

[[participants]]
name = "direct"
kind = "direct"

[[participants]]
name = "random"
kind = "random"
"""


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _config() -> TournamentConfig:
    return parse_tournament(CONFIG)


def _played(db: TournamentDB) -> dict[str, tuple[Any, ...]]:
    """Per match id: what a match's seeds decide (not its timing)."""
    return {
        row["match_id"]: (
            row["digest"],
            row["scores"],
            row["moves"],
            [(s.participant, s.score, s.llm_calls, s.prompt_tokens) for s in row["seats"]],
        )
        for row in db.finished()
    }


async def _run(
    path: Path, executor: Any = None, *, resume: bool = False
) -> dict[str, tuple[Any, ...]]:
    config = _config()
    with TournamentDB.create(path, config, resume=resume) as db:
        await run_tournament(config, db, executor=executor)
        assert db.counts().running == 0
        return _played(db)


@pytest.mark.anyio
async def test_ray_reproduces_the_local_executor(ray_cluster: None, tmp_path: Path) -> None:
    local = await _run(tmp_path / "local.db")
    executor = SharesSeen(RayExecutor(_config()))
    on_ray = await _run(tmp_path / "ray.db", executor)
    assert len(local) == 6
    assert on_ray == local
    assert executor.shares == [2, 1]  # 2 CPUs: 2 workers share max_concurrency = 3


class SharesSeen:
    """The executor, noting each worker's LLM call limit once it has started."""

    def __init__(self, executor: RayExecutor) -> None:
        self.executor = executor
        self.shares: list[int] = []

    async def __aenter__(self) -> SharesSeen:
        executor = await self.executor.__aenter__()
        self.shares = await executor._get([w.ready.remote() for w in executor.workers])
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.executor.__aexit__(*exc)

    async def play(self, planned: PlannedMatch) -> MatchOutcome:
        return await self.executor.play(planned)


@pytest.mark.anyio
async def test_a_cancelled_ray_run_resumes_to_the_same_results(
    ray_cluster: None, tmp_path: Path
) -> None:
    path = tmp_path / "resumed.db"
    config = _config()

    def stop_when_all_are_in_flight(progress: Progress) -> None:
        if progress.running == config.concurrency:
            scope.cancel()

    with TournamentDB.create(path, config, resume=False) as db:
        with anyio.CancelScope() as scope:
            await run_tournament(
                config, db, executor=RayExecutor(config), on_update=stop_when_all_are_in_flight
            )
        counts = db.counts()
    assert scope.cancelled_caught
    # Cancelled in flight: not written, so played again on resume (a match
    # whose outcome was already back when the cancel came is written).
    assert counts.running >= 1
    assert counts.finished + counts.running == config.concurrency
    resumed = await _run(path, RayExecutor(config), resume=True)
    assert resumed == await _run(tmp_path / "never-stopped.db")


def test_worker_shares_add_up_to_the_tournament_limits() -> None:
    config = _config()
    config = msgspec.structs.replace(
        config, limits=msgspec.structs.replace(config.limits, max_concurrency=7, rpm=3000.0)
    )
    shares = worker_shares(config, 3)
    assert [s.limits.max_concurrency for s in shares] == [3, 2, 2]
    assert [s.limits.rpm for s in shares] == [1000.0] * 3
    assert [s.limits.tpm for s in shares] == [None] * 3
    assert all(msgspec.structs.replace(s, limits=config.limits) == config for s in shares)


def test_without_ray_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError) as error:
        RayExecutor(_config())
    assert str(error.value) == "--executor ray needs Ray: pip install 'rafa-async[ray]'"


def test_num_cpus_is_for_a_local_instance_only() -> None:
    with pytest.raises(ConfigError, match="num_cpus is for a local Ray instance"):
        RayExecutor(_config(), address="auto", num_cpus=2)


def test_importing_tournaments_does_not_import_ray() -> None:
    code = "import sys, rafa_async.tournament; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- the CLI: rafa tournament run --executor ray ------------------------------------------


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "tournament.toml"
    path.write_text(CONFIG)
    return path


def test_cli_runs_a_tournament_on_ray(ray_cluster: None, config_file: Path, tmp_path: Path) -> None:
    on_ray, local = tmp_path / "ray.db", tmp_path / "local.db"
    result = rafa("tournament", "run", str(config_file), "--db", str(on_ray), "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert "6 of 6 matches finished" in result.stdout
    assert rafa("tournament", "run", str(config_file), "--db", str(local)).exit_code == 0
    with TournamentDB.open(on_ray) as a, TournamentDB.open(local) as b:
        assert _played(a) == _played(b)


def test_cli_without_ray_names_the_extra(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    db = tmp_path / "r.db"
    result = rafa("tournament", "run", str(config_file), "--db", str(db), "--executor", "ray")
    assert_one_line_error(result, "--executor ray needs Ray", "pip install 'rafa-async[ray]'")
    assert not db.exists()


def test_cli_ray_address_needs_the_ray_executor(config_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    result = rafa("tournament", "run", str(config_file), "--db", str(db), "--ray-address", "auto")
    assert_one_line_error(result, "--ray-address needs --executor ray")
    assert not db.exists()


def test_cli_no_ray_cluster_is_one_line(
    config_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_cluster(**options: Any) -> None:
        raise ConnectionError(
            "Could not find any running Ray instance. Please specify the one to connect to."
        )

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", no_cluster)
    db = tmp_path / "r.db"
    args = ("--db", str(db), "--executor", "ray", "--ray-address", "auto", "--no-live")
    result = rafa("tournament", "run", str(config_file), *args)
    assert_one_line_error(
        result, "cannot join Ray at auto: Could not find any running Ray instance"
    )
    with TournamentDB.open(db) as left:
        assert left.counts().running == 0  # nothing was started


@pytest.mark.parametrize(("given", "expected"), [(None, "False"), ("1", "True")])
def test_rays_uv_run_propagation_is_off_unless_asked_for(
    given: str | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under `uv run` (as `make test`), Ray would start the workers with the
    driver's `uv run` line in a copy of the working directory, where they die."""
    monkeypatch.delenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", raising=False)
    if given is not None:
        monkeypatch.setenv("RAY_ENABLE_UV_RUN_RUNTIME_ENV", given)
    code = (
        "from rafa_async.tournament._ray import import_ray; import_ray()\n"
        "from ray._private import ray_constants\n"
        "print(ray_constants.RAY_ENABLE_UV_RUN_RUNTIME_ENV)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected
