"""benchmarks/calibrate_sim.py: the JSON it writes, and the science rules it
must keep -- a setting whose interval misses a target is out, RAFA's range
covers every consistent setting, and RAFA never enters the selection."""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from rafa_async.llm import SIM_LABEL, NoiseModel

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "calibrate_sim.py"


@pytest.fixture(scope="module")
def calib() -> ModuleType:
    spec = importlib.util.spec_from_file_location("calibrate_sim", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate_sim"] = module  # dataclasses look their module up
    if str(SCRIPT.parent) not in sys.path:  # as when run: its helper _report is beside it
        sys.path.insert(0, str(SCRIPT.parent))
    spec.loader.exec_module(module)
    return module


SETTING_KEYS = {"noise", "baselines", "early_stop", "consistent"}
RESULT_KEYS = {"success", "ci_low", "ci_high", "llm_calls_per_task", "solved", "trials", "per_seed"}
RANGE_KEYS = {"low", "high", "ci_low", "ci_high", "per_setting"}


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_a_tiny_real_run_writes_the_schema(
    calib: ModuleType, tmp_path: Path, backend: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "calib.json"
    argv = ["--points", "2", "--seeds", "1", "--puzzles", "901-903", "--out", str(out)]
    # A tolerance of 1 makes every setting consistent, so RAFA runs too.
    assert calib.main([*argv, "--tolerance", "0.99", "--backend", backend]) == 0

    assert SIM_LABEL in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["simulated"] is True
    assert set(report["targets"]) == {"direct", "reflexion", "tot_b1", "tot_b2"}
    assert all(t["source"] for t in report["targets"].values())
    assert "rafa" not in {t["agent"] for t in report["targets"].values()}
    assert set(report["knobs"]) | set(report["skipped_knobs"]) == set(calib.KNOBS)
    assert set(report["knobs"]) <= set(NoiseModel.__struct_fields__)
    assert report["seeds"] == [0]
    assert len(report["settings"]) == 2
    for setting in report["settings"]:
        assert set(setting) == SETTING_KEYS
        assert NoiseModel(**setting["noise"])  # a setting can be rerun exactly
        assert set(setting["baselines"]) == set(report["targets"])
        for result in setting["baselines"].values():
            assert set(result) == RESULT_KEYS
            assert result["trials"] == 3
            assert result["per_seed"] == [result["success"]]  # one seed
            assert result["ci_low"] <= result["success"] <= result["ci_high"]
    assert report["consistent"] == [0, 1]
    assert set(report["rafa"]) == {"b1", "b2"}
    for spread in report["rafa"].values():
        assert set(spread) == RANGE_KEYS
        assert len(spread["per_setting"]) == 2
    assert report["chosen_default"]["index"] in report["consistent"]
    assert {"machine", "python", "seconds"} <= set(report)


def test_the_check_run_has_one_setting_the_defaults(calib: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    argv = ["--check", "--seeds", "1", "--puzzles", "901-902", "--targets", "direct"]
    assert calib.main([*argv, "--out", str(out)]) == 0

    report = json.loads(out.read_text())
    (setting,) = report["settings"]
    defaults = NoiseModel()
    assert all(getattr(defaults, k) == v for k, v in setting["noise"].items())
    assert list(report["targets"]) == ["direct"]


@pytest.mark.parametrize(
    ("argv", "names"),
    [
        (["--puzzles", "999-2000"], "bad puzzle range"),
        (["--targets", "rafa"], "--targets"),
        (["--seeds", "0"], "--seeds"),
        (["--tolerance", "-0.1"], "--tolerance"),
    ],
)
def test_bad_options_are_one_line_errors(
    calib: ModuleType, argv: list[str], names: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert calib.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and names in err and "\n" not in err


def test_wilson_interval_is_the_textbook_one(calib: ModuleType) -> None:
    low, high = calib.wilson(73, 100)
    assert low == pytest.approx(0.6357, abs=1e-4)
    assert high == pytest.approx(0.8073, abs=1e-4)
    assert calib.wilson(0, 10)[0] == 0.0 and calib.wilson(10, 10)[1] == 1.0


def _result(calib: ModuleType, solved: int, trials: int = 300) -> object:
    return calib.AgentResult(solved=solved, trials=trials, llm_calls=trials)


def test_a_setting_whose_interval_excludes_a_target_is_inconsistent(calib: ModuleType) -> None:
    targets = {"tot_b1": 0.73, "reflexion": 0.21}
    inside = {"tot_b1": _result(calib, 219), "reflexion": _result(calib, 63)}  # 73%, 21%
    outside = {"tot_b1": _result(calib, 219), "reflexion": _result(calib, 120)}  # 40%
    not_run = {"tot_b1": _result(calib, 219), "reflexion": None}

    assert calib.select_consistent([inside, outside, not_run], targets, 0.0) == [0]
    # An explicit tolerance widens every interval by that much on each side.
    assert calib.select_consistent([outside], targets, 0.15) == [0]


def test_rafa_range_covers_every_consistent_setting(calib: ModuleType) -> None:
    per_setting = [_result(calib, s) for s in (240, 300, 270, 200)]
    spread = calib.rafa_range(per_setting)

    for result in per_setting:
        low, high = result.interval
        assert spread["low"] <= result.success <= spread["high"]
        assert spread["ci_low"] <= low and high <= spread["ci_high"]
    assert spread["low"] == pytest.approx(200 / 300, abs=1e-4) and spread["high"] == 1.0
    assert calib.rafa_range([])["low"] is None


def test_the_selection_cannot_see_rafa(calib: ModuleType) -> None:
    for fn in (calib.is_consistent, calib.select_consistent, calib.medoid):
        assert not any("rafa" in p for p in inspect.signature(fn).parameters)
    assert all(t.agent != "rafa" for t in calib.TARGETS.values())


def test_rafa_results_change_neither_the_set_nor_the_default(
    calib: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run the whole command on a fake runner twice, RAFA solving nothing and
    everything: the consistent set and the suggested default are the same, and
    every baseline ran before the first RAFA call."""
    reports = []
    for rafa_solved in (0, 3):
        calls: list[str] = []

        def fake(
            agent: str,
            beam: int,
            noise: Mapping[str, float],
            seeds: Sequence[int],
            tasks: str,
            backend: str = "trio",
            rafa_solved: int = rafa_solved,
            calls: list[str] = calls,
        ) -> object:
            calls.append(agent)
            if agent == "rafa":
                return _result(calib, rafa_solved, 3)
            # Consistent exactly when proposal_quality is high.
            hit = {"direct": 0, "reflexion": 1, "tot-trials": 2 + (beam == 2)}[agent]
            return _result(calib, hit if noise["proposal_quality"] > 0.3 else 3 - hit, 3)

        monkeypatch.setattr(calib, "run_agent", fake)
        out = tmp_path / f"fake{rafa_solved}.json"
        argv = ["--points", "6", "--seeds", "1", "--puzzles", "901-903", "--out", str(out)]
        assert calib.main(argv) == 0
        first_rafa = calls.index("rafa")
        assert all(agent == "rafa" for agent in calls[first_rafa:])
        reports.append(json.loads(out.read_text()))

    low, high = reports
    assert low["consistent"] and low["consistent"] == high["consistent"]
    assert low["chosen_default"] == high["chosen_default"]
    assert low["rafa"]["b1"]["high"] == 0.0 and high["rafa"]["b1"]["low"] == 1.0


def test_the_default_is_the_medoid_of_the_set(calib: ModuleType) -> None:
    knobs = {"a": (0.0, 1.0), "b": (0.0, 10.0)}
    points = [{"a": 0.0, "b": 0.0}, {"a": 0.5, "b": 5.0}, {"a": 1.0, "b": 10.0}, {"a": 0.6, "b": 6}]
    assert calib.medoid(points, [0, 1, 2], knobs) == 1
    assert calib.medoid(points, [0, 2, 3], knobs) == 3
    assert calib.medoid(points, [], knobs) is None


def test_a_knob_noisemodel_lacks_is_skipped(calib: ModuleType) -> None:
    kept, skipped = calib.usable_knobs({"value_noise": (0.0, 0.4), "no_such_knob": (0.0, 1.0)})
    assert kept == {"value_noise": (0.0, 0.4)} and skipped == ["no_such_knob"]


def test_the_design_is_a_seeded_latin_hypercube(calib: ModuleType) -> None:
    knobs = {"value_noise": (0.0, 0.4), "wrong_belief_rate": (0.0, 0.4)}
    design = calib.latin_hypercube(knobs, 8, seed=3)
    assert design == calib.latin_hypercube(knobs, 8, seed=3)
    for name, (low, high) in knobs.items():
        strata = sorted(int((p[name] - low) / (high - low) * 8) for p in design)
        assert strata == list(range(8))  # one point in each eighth of the range
