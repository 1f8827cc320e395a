"""The application layer: what ``rafa run``, ``rafa play`` and any program share.

A program (a tournament runner, a web server, a notebook) builds runs from
the same parts as the ``rafa`` command line:

- :func:`run_benchmark` runs an agent over a benchmark's tasks
  (:class:`BenchmarkConfig`; the library form of ``rafa run``);
- :func:`play_series` plays a series of shared matches (:class:`PlayConfig`;
  ``rafa play``), :func:`play_match` one match of it, :func:`replay_log`
  re-runs a match log and checks it;
- :func:`run_curves` runs several agents over several seeds and draws
  their sample-efficiency curves (:class:`CurveConfig`; ``rafa curve``),
  :func:`write_curves` writes them (CSV, JSON, PNG);
- :func:`plan_study` and :func:`run_study` run a study (``rafa study
  paper``), :class:`StudyJournal` keeps its episodes as they end and
  :func:`read_journal` reads them back to resume it (``--resume``);
- :func:`open_llm` builds the LLM they share from :class:`LLMOptions` (a
  provider spec, its config file and overrides, cache, cassettes);
- :func:`make_player` builds a seat's player from a kind (:data:`SEAT_KINDS`
  and each game's policies), :func:`make_agent` a benchmark's agent
  (:data:`AGENT_KINDS`).

``rafa_async.experiment`` and ``rafa_async.arena`` are the old names of these
parts and keep re-exporting them.
"""

from rafa_async.app._agents import (
    AGENT_KINDS as AGENT_KINDS,
    ESTIMATOR_KINDS as ESTIMATOR_KINDS,
    LEARN_KINDS as LEARN_KINDS,
    MCTS_FIELDS as MCTS_FIELDS,
    PLANNER_KINDS as PLANNER_KINDS,
    SWITCHING_KINDS as SWITCHING_KINDS,
    AgentFactory as AgentFactory,
    AgentKind as AgentKind,
    AgentOptions as AgentOptions,
    EstimatorKind as EstimatorKind,
    LearnKind as LearnKind,
    PlannerKind as PlannerKind,
    SwitchingKind as SwitchingKind,
    check_agent as check_agent,
    check_agent_options as check_agent_options,
    check_memory as check_memory,
    check_planner as check_planner,
    make_agent as make_agent,
)
from rafa_async.app._benchmark import (
    NOT_RESULTS as NOT_RESULTS,
    BenchmarkConfig as BenchmarkConfig,
    BenchmarkSummary as BenchmarkSummary,
    build_agent as build_agent,
    build_llm as build_llm,
    run_benchmark as run_benchmark,
    run_task as run_task,
    summarize_benchmark as summarize_benchmark,
    task_status as task_status,
)
from rafa_async.app._budget import CallBudget as CallBudget, CallBudgetSpent as CallBudgetSpent
from rafa_async.app._curve import (
    COUNTINGS as COUNTINGS,
    CURVE_COLUMNS as CURVE_COLUMNS,
    Z95 as Z95,
    Counting as Counting,
    CurvePoint as CurvePoint,
    curve_points as curve_points,
    wilson as wilson,
)
from rafa_async.app._curve_files import (
    PLOT_EXTRA as PLOT_EXTRA,
    PLOT_FILE as PLOT_FILE,
    can_plot as can_plot,
    check_out_dir as check_out_dir,
    plot_curves as plot_curves,
    write_curves as write_curves,
)
from rafa_async.app._curves import (
    AgentCurve as AgentCurve,
    CurveConfig as CurveConfig,
    agent_curve as agent_curve,
    run_curves as run_curves,
)
from rafa_async.app._llm import (
    LLMOptions as LLMOptions,
    ResolvedLLM as ResolvedLLM,
    llm_label as llm_label,
    open_llm as open_llm,
    resolve_llm as resolve_llm,
)
from rafa_async.app._replay import (
    ReplayCheck as ReplayCheck,
    ReplayStatus as ReplayStatus,
    matches_to_replay as matches_to_replay,
    read_match_log as read_match_log,
    replay_log as replay_log,
    replay_matches as replay_matches,
)
from rafa_async.app._report_render import (
    HTML_FILE as HTML_FILE,
    MARKDOWN_FILE as MARKDOWN_FILE,
    NO_PLOTS as NO_PLOTS,
    Document as Document,
    Plots as Plots,
    Section as Section,
    Table as Table,
    html_page as html_page,
    markdown as markdown,
    number as number,
    with_plot as with_plot,
    write_document as write_document,
)
from rafa_async.app._run_settings import (
    defaults as defaults,
    differences as differences,
    finished as finished,
    settings as settings,
)
from rafa_async.app._seats import (
    LLM_KINDS as LLM_KINDS,
    POLICY_SEED_STRIDE as POLICY_SEED_STRIDE,
    SEAT_KINDS as SEAT_KINDS,
    SeatContext as SeatContext,
    SeatFactory as SeatFactory,
    SeatKind as SeatKind,
    SeatOptions as SeatOptions,
    make_player as make_player,
    seat_kinds as seat_kinds,
    uses_llm as uses_llm,
)
from rafa_async.app._series import (
    MatchRecord as MatchRecord,
    MatchStatus as MatchStatus,
    Phase as Phase,
    PlayConfig as PlayConfig,
    SeatSummary as SeatSummary,
    SeriesSummary as SeriesSummary,
    match_error as match_error,
    match_id as match_id,
    play_match as play_match,
    play_series as play_series,
    seating as seating,
    summarize_series as summarize_series,
)
from rafa_async.app._study import (
    StudyDone as StudyDone,
    StudyPlan as StudyPlan,
    StudyRun as StudyRun,
    plan_study as plan_study,
    run_study as run_study,
)
from rafa_async.app._study_cost import (
    CostEstimate as CostEstimate,
    CostLine as CostLine,
    estimate_cost as estimate_cost,
)
from rafa_async.app._study_journal import (
    JOURNAL_FILE as JOURNAL_FILE,
    StudyJournal as StudyJournal,
    read_journal as read_journal,
)
from rafa_async.app._study_report import (
    RESULTS_FILE as RESULTS_FILE,
    StudyFiles as StudyFiles,
    study_document as study_document,
    write_study as write_study,
)
from rafa_async.app._study_results import (
    LearningContext as LearningContext,
    MemoryAblation as MemoryAblation,
    PartResult as PartResult,
    StudyCell as StudyCell,
    StudyLearningCurve as StudyLearningCurve,
    StudyLearningPoint as StudyLearningPoint,
    StudyResults as StudyResults,
    Unavailable as Unavailable,
)
from rafa_async.app._study_spec import (
    LEARNING_RUNNERS as LEARNING_RUNNERS,
    PAPER as PAPER,
    BenchmarkPart as BenchmarkPart,
    LearningPart as LearningPart,
    LearningRunner as LearningRunner,
    StudyAgent as StudyAgent,
    StudySpec as StudySpec,
)
from rafa_async.app._ttt_files import (
    CURVE_JSON as CURVE_JSON,
    CURVE_PNG as CURVE_PNG,
    plot_learning_curve as plot_learning_curve,
    write_learning_curve as write_learning_curve,
)
from rafa_async.app._ttt_protocol import (
    BCurve as BCurve,
    LearningCurve as LearningCurve,
    LearningPoint as LearningPoint,
    ProtocolGame as ProtocolGame,
    TTTProtocolConfig as TTTProtocolConfig,
    run_ttt_protocol as run_ttt_protocol,
)

__all__ = [
    "AGENT_KINDS",
    "COUNTINGS",
    "CURVE_COLUMNS",
    "CURVE_JSON",
    "CURVE_PNG",
    "ESTIMATOR_KINDS",
    "HTML_FILE",
    "JOURNAL_FILE",
    "LEARNING_RUNNERS",
    "LEARN_KINDS",
    "LLM_KINDS",
    "MARKDOWN_FILE",
    "MCTS_FIELDS",
    "NOT_RESULTS",
    "NO_PLOTS",
    "PAPER",
    "PLANNER_KINDS",
    "PLOT_EXTRA",
    "PLOT_FILE",
    "POLICY_SEED_STRIDE",
    "RESULTS_FILE",
    "SEAT_KINDS",
    "SWITCHING_KINDS",
    "Z95",
    "AgentCurve",
    "AgentFactory",
    "AgentKind",
    "AgentOptions",
    "BCurve",
    "BenchmarkConfig",
    "BenchmarkPart",
    "BenchmarkSummary",
    "CallBudget",
    "CallBudgetSpent",
    "CostEstimate",
    "CostLine",
    "Counting",
    "CurveConfig",
    "CurvePoint",
    "Document",
    "EstimatorKind",
    "LLMOptions",
    "LearnKind",
    "LearningContext",
    "LearningCurve",
    "LearningPart",
    "LearningPoint",
    "LearningRunner",
    "MatchRecord",
    "MatchStatus",
    "MemoryAblation",
    "PartResult",
    "Phase",
    "PlannerKind",
    "PlayConfig",
    "Plots",
    "ProtocolGame",
    "ReplayCheck",
    "ReplayStatus",
    "ResolvedLLM",
    "SeatContext",
    "SeatFactory",
    "SeatKind",
    "SeatOptions",
    "SeatSummary",
    "Section",
    "SeriesSummary",
    "StudyAgent",
    "StudyCell",
    "StudyDone",
    "StudyFiles",
    "StudyJournal",
    "StudyLearningCurve",
    "StudyLearningPoint",
    "StudyPlan",
    "StudyResults",
    "StudyRun",
    "StudySpec",
    "SwitchingKind",
    "TTTProtocolConfig",
    "Table",
    "Unavailable",
    "agent_curve",
    "build_agent",
    "build_llm",
    "can_plot",
    "check_agent",
    "check_agent_options",
    "check_memory",
    "check_out_dir",
    "check_planner",
    "curve_points",
    "defaults",
    "differences",
    "estimate_cost",
    "finished",
    "html_page",
    "llm_label",
    "make_agent",
    "make_player",
    "markdown",
    "match_error",
    "match_id",
    "matches_to_replay",
    "number",
    "open_llm",
    "plan_study",
    "play_match",
    "play_series",
    "plot_curves",
    "plot_learning_curve",
    "read_journal",
    "read_match_log",
    "replay_log",
    "replay_matches",
    "resolve_llm",
    "run_benchmark",
    "run_curves",
    "run_study",
    "run_task",
    "run_ttt_protocol",
    "seat_kinds",
    "seating",
    "settings",
    "study_document",
    "summarize_benchmark",
    "summarize_series",
    "task_status",
    "uses_llm",
    "wilson",
    "with_plot",
    "write_curves",
    "write_document",
    "write_learning_curve",
    "write_study",
]
