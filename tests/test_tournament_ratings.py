"""Tournament ratings, score matrices and SPRT: pure functions of the games."""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Sequence

import msgspec
import pytest

from rafa_async import ConfigError
from rafa_async.tournament import (
    GameResult,
    HeadToHead,
    SprtConfig,
    elo_difference,
    expected_score,
    log_likelihood_ratio,
    openskill_ratings,
    pairing_name,
    score_matrix,
    sprt,
    standings,
)

Z = 1.959963984540054


def game(
    match_id: str, first: str, second: str, score: float, *, pair: int | None = None
) -> GameResult:
    return GameResult(
        match_id=match_id,
        game="tictactoe",
        first=first,
        second=second,
        score=score,
        pairing=pairing_name(first, second),
        pair=pair,
    )


# A's scores in the two games of a pair (A first, then A second) for each of
# its pair points.
PAIR_GAMES = {0.0: (0.0, 0.0), 0.5: (0.5, 0.0), 1.0: (1.0, 0.0), 1.5: (1.0, 0.5), 2.0: (1.0, 1.0)}


def pairs(a: str, b: str, pair_points: Sequence[float], *, start: int = 0) -> list[GameResult]:
    """Colour-swapped pairs in which ``a`` scores each of ``pair_points``."""
    games = []
    for index, total in enumerate(pair_points, start):
        as_first, as_second = PAIR_GAMES[total]
        games.append(game(f"{a}-{b}-{index:04d}-1", a, b, as_first, pair=index))
        games.append(game(f"{a}-{b}-{index:04d}-2", b, a, 1.0 - as_second, pair=index))
    return games


def singles(a: str, b: str, scores: Sequence[float], *, start: int = 0) -> list[GameResult]:
    """Unpaired games, ``a`` first, in which ``a`` scores each of ``scores``."""
    return [game(f"{a}-{b}-s{i:04d}", a, b, s) for i, s in enumerate(scores, start)]


def elo_of(upper_score: float) -> float:
    return 400.0 * math.log10(upper_score / (1.0 - upper_score))


def head_to_head(results: Sequence[GameResult]) -> HeadToHead:
    (only,) = standings(results).pairings
    return only


# --- Elo ---------------------------------------------------------------------


def test_elo_difference_is_logistic_and_infinite_at_a_shut_out() -> None:
    assert elo_difference(0.5) == 0.0
    assert elo_difference(0.75) == pytest.approx(400 * math.log10(3))
    assert elo_difference(0.25) == pytest.approx(-400 * math.log10(3))
    assert elo_difference(1.0) == math.inf
    assert elo_difference(0.0) == -math.inf
    assert expected_score(elo_difference(0.8)) == pytest.approx(0.8)


def test_pentanomial_elo_and_interval_by_hand() -> None:
    # 10 pairs scoring 0, 0.5 x2, 1 x4, 1.5 x2, 2: a 50% score.  Per pair the
    # score fraction is 0, .25, .5, .75, 1: variance (2*.0625 + 4*.25 + 2*.5625
    # + 1) / 10 - .25 = 0.075, standard error sqrt(0.075 / 10).
    points = [0.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.5, 1.5, 2.0]
    pairing = head_to_head(pairs("A", "B", points))
    assert pairing.pentanomial == (1, 2, 4, 2, 1)
    assert pairing.trinomial == (0, 0, 0)
    estimate = pairing.elo
    assert (estimate.games, estimate.pairs, estimate.unpaired) == (20, 10, 0)
    assert estimate.elo == 0.0
    upper = elo_of(0.5 + Z * math.sqrt(0.075 / 10))
    assert estimate.upper == pytest.approx(upper)
    assert estimate.lower == pytest.approx(-upper)


def test_trinomial_elo_and_interval_by_hand() -> None:
    # 3 wins, 2 draws, 1 loss, unpaired: score 4/6, per-game variance
    # (3 + 2 * 0.25) / 6 - (4/6)^2.
    estimate = head_to_head(singles("A", "B", [1, 1, 1, 0.5, 0.5, 0])).elo
    assert (estimate.games, estimate.pairs, estimate.unpaired) == (6, 0, 6)
    score = 4 / 6
    error = math.sqrt(((3 + 0.5) / 6 - score**2) / 6)
    assert estimate.elo == pytest.approx(elo_of(score))
    assert estimate.lower == pytest.approx(elo_of(score - Z * error))
    assert estimate.upper == pytest.approx(elo_of(score + Z * error))


def test_pentanomial_and_trinomial_agree_when_the_two_games_of_a_pair_are_independent() -> None:
    # Every ordered combination of (win, draw, loss) for A's two games: the
    # pair points' variance is exactly twice a game's, so both models give
    # the same interval, and (always) the same point estimate.
    combos = list(itertools.product([1.0, 0.5, 0.0], repeat=2))
    paired = [
        g
        for i, (as_first, as_second) in enumerate(combos)
        for g in (
            game(f"p{i}-1", "A", "B", as_first, pair=i),
            game(f"p{i}-2", "B", "A", 1.0 - as_second, pair=i),
        )
    ]
    unpaired = [msgspec.structs.replace(g, pair=None) for g in paired]
    pentanomial, trinomial = head_to_head(paired).elo, head_to_head(unpaired).elo
    assert (pentanomial.pairs, trinomial.unpaired) == (9, 18)
    assert pentanomial.elo == trinomial.elo == 0.0
    assert pentanomial.lower == pytest.approx(trinomial.lower)
    assert pentanomial.upper == pytest.approx(trinomial.upper)


def test_pentanomial_keeps_the_seat_advantage_out_of_the_interval() -> None:
    # The first seat wins most games: as single games the results swing,
    # as pairs they are mostly 1 point each, so the pentanomial interval is
    # narrower around the same estimate.
    paired = pairs("A", "B", [1.0] * 16 + [2.0, 1.5, 0.5, 1.0])
    unpaired = [msgspec.structs.replace(g, pair=None) for g in paired]
    pentanomial, trinomial = head_to_head(paired).elo, head_to_head(unpaired).elo
    elo = pentanomial.elo
    assert elo is not None and elo == trinomial.elo
    assert pentanomial.upper is not None and trinomial.upper is not None
    assert pentanomial.upper - elo < (trinomial.upper - elo) / 2


def test_a_pair_whose_partner_has_not_finished_counts_as_an_unpaired_game() -> None:
    results = [*pairs("A", "B", [2.0, 1.0]), game("late", "A", "B", 0.5, pair=2)]
    pairing = head_to_head(results)
    assert (pairing.elo.pairs, pairing.elo.unpaired, pairing.elo.games) == (2, 1, 5)
    assert pairing.pentanomial == (0, 0, 1, 0, 1)
    assert pairing.trinomial == (0, 1, 0)


def test_elo_edge_cases_are_explicit() -> None:
    assert standings([]).rows == ()
    nobody = standings([], participants=["A"]).rows[0]
    assert (nobody.games, nobody.elo.elo, nobody.elo.lower, nobody.elo.upper) == (
        0,
        None,
        None,
        None,
    )
    one = head_to_head(singles("A", "B", [1.0])).elo
    assert (one.elo, one.lower, one.upper) == (math.inf, None, None)
    swept = head_to_head(pairs("A", "B", [0.0] * 5)).elo
    assert (swept.elo, swept.lower, swept.upper) == (-math.inf, None, None)
    drawn = head_to_head(singles("A", "B", [0.5] * 4)).elo
    assert (drawn.elo, drawn.lower, drawn.upper) == (0.0, None, None)
    # 9 wins in 10: the upper end of the interval passes a score of 1.
    nine = head_to_head(singles("A", "B", [1.0] * 9 + [0.0])).elo
    assert nine.upper == math.inf
    assert nine.lower is not None and nine.elo is not None
    assert 0 < nine.lower < nine.elo < math.inf


# --- standings and matrices ----------------------------------------------------


def random_tournament(seed: int) -> list[GameResult]:
    rng = random.Random(seed)
    names = ["ant", "bee", "cat", "dog", "eel"]
    results: list[GameResult] = []
    for a, b in itertools.combinations(names, 2):
        if rng.random() < 0.2:
            continue  # not every pairing has played yet
        results += pairs(a, b, rng.choices([0.0, 0.5, 1.0, 1.5, 2.0], k=rng.randint(1, 4)))
        results += singles(a, b, rng.choices([0.0, 0.5, 1.0], k=rng.randint(0, 2)))
    return results


@pytest.mark.parametrize("seed", range(5))
def test_the_score_matrix_is_consistent(seed: int) -> None:
    results = random_tournament(seed)
    matrix = score_matrix(results)
    names = matrix.participants
    table = standings(results)
    for i, row in enumerate(names):
        wdl = [matrix.wdl[i][j] for j in range(len(names))]
        (rating,) = [r for r in table.rows if r.name == row]
        assert sum(cell.wins for cell in wdl) == rating.wins
        assert sum(cell.games for cell in wdl) == rating.games
        for j in range(len(names)):
            cell, mirror = matrix.wdl[i][j], matrix.wdl[j][i]
            assert (cell.wins, cell.draws, cell.losses) == (
                mirror.losses,
                mirror.draws,
                mirror.wins,
            )
            if cell.games:
                assert matrix.score[i][j] + matrix.score[j][i] == pytest.approx(1.0)  # type: ignore[operator]
            else:
                assert matrix.score[i][j] is None
    assert sum(r.games for r in table.rows) == 2 * len(results) == 2 * table.games
    assert sum(p.games for p in table.pairings) == len(results)


def test_the_score_matrix_follows_the_given_order_and_keeps_everyone() -> None:
    results = singles("A", "B", [1.0, 0.5])
    matrix = score_matrix(results, participants=["C", "B"])
    assert matrix.participants == ("C", "B", "A")
    assert matrix.score == ((None, None, None), (None, None, 0.25), (None, 0.75, None))


def test_openskill_ranks_the_winner_above_the_loser() -> None:
    # strong beats weak in most pairs; middle draws both.
    results = [
        *pairs("strong", "weak", [2.0, 1.5, 2.0, 1.0, 2.0, 1.5]),
        *pairs("middle", "strong", [0.5, 1.0, 0.5]),
        *pairs("middle", "weak", [1.5, 1.0, 1.5]),
    ]
    table = standings(results, participants=["weak", "middle", "strong", "idle"])
    order = [row.name for row in table.rows]
    assert order.index("strong") < order.index("middle") < order.index("weak")
    strong, weak = (next(r for r in table.rows if r.name == n) for n in ("strong", "weak"))
    assert strong.mu > 25 > weak.mu
    assert strong.ordinal == pytest.approx(strong.mu - 3 * strong.sigma)
    assert strong.elo.elo is not None and strong.elo.elo > 0
    idle = next(r for r in table.rows if r.name == "idle")
    assert (idle.games, idle.mu) == (0, 25.0)
    assert idle.ordinal == pytest.approx(0.0)


@pytest.mark.parametrize("seed", range(3))
def test_ratings_do_not_depend_on_the_order_of_the_games(seed: int) -> None:
    results = random_tournament(seed)
    shuffled = list(results)
    random.Random(seed).shuffle(shuffled)
    assert standings(results) == standings(results[::-1]) == standings(shuffled)
    assert score_matrix(results) == score_matrix(shuffled)
    first, again = openskill_ratings(results), openskill_ratings(shuffled)
    assert {n: (r.mu, r.sigma) for n, r in first.items()} == {
        n: (r.mu, r.sigma) for n, r in again.items()
    }


@pytest.mark.parametrize(
    ("results", "message"),
    [
        ([game("m1", "A", "B", 1.0), game("m1", "A", "B", 0.0)], "match_id 'm1' appears more"),
        ([game("m1", "A", "B", 0.7)], "match 'm1': score must be 1, 0.5 or 0, got 0.7"),
        ([game("m1", "A", "A", 1.0)], "match 'm1': 'A' plays itself"),
        (
            [msgspec.structs.replace(game("m1", "B", "A", 1.0), pairing="B vs A")],
            "match 'm1': pairing must be 'A vs B', got 'B vs A'",
        ),
        (
            [game(f"m{i}", "A", "B", 1.0, pair=0) for i in range(3)],
            "pair 0 of A vs B in tictactoe has 3 games ('m0', 'm1', 'm2'), not two",
        ),
        (
            [game("m1", "A", "B", 1.0, pair=4), game("m2", "A", "B", 1.0, pair=4)],
            "pair 4 of A vs B in tictactoe: its games ('m1', 'm2') do not swap the seats",
        ),
    ],
)
def test_malformed_games_are_named(results: list[GameResult], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        standings(results)


# --- SPRT ----------------------------------------------------------------------


def trinomial_llr_by_search(counts: tuple[float, float, float], s0: float, s1: float) -> float:
    """The generalised LLR of (losses, draws, wins) by maximising each
    likelihood over the one free parameter (the draw rate) directly."""

    def best(score: float) -> float:
        def loglik(draws: float) -> float:
            q = (1 - score - draws / 2, draws, score - draws / 2)
            return sum(n * math.log(p) for n, p in zip(counts, q, strict=True))

        low, high = 1e-15, min(2 * score, 2 * (1 - score)) - 1e-15
        for _ in range(300):  # golden-section search: loglik is concave
            a, b = low + (high - low) * 0.382, low + (high - low) * 0.618
            low, high = (a, high) if loglik(a) < loglik(b) else (low, b)
        return loglik((low + high) / 2)

    return best(s1) - best(s0)


@pytest.mark.parametrize(
    ("losses", "draws", "wins", "elo0", "elo1"),
    [(10, 20, 30, 0, 50), (30, 10, 12, -20, 20), (0, 5, 9, 0, 10), (7, 0, 3, -100, 0)],
)
def test_the_llr_matches_a_direct_maximisation(
    losses: int, draws: int, wins: int, elo0: float, elo1: float
) -> None:
    config = SprtConfig(elo0=elo0, elo1=elo1)
    s0, s1 = expected_score(elo0), expected_score(elo1)
    results = singles("A", "B", [0.0] * losses + [0.5] * draws + [1.0] * wins)
    result = sprt(results, config, player="A", opponent="B")
    regular = tuple(float(n) or 1e-3 for n in (losses, draws, wins))
    expected = trinomial_llr_by_search(regular, s0, s1)  # type: ignore[arg-type]
    assert result.llr == pytest.approx(expected, abs=1e-9)
    assert log_likelihood_ratio((losses, draws, wins), s0, s1) == result.llr
    # From the other side, H0 and H1 trade places.
    mirror = sprt(results, SprtConfig(elo0=-elo1, elo1=-elo0), player="B", opponent="A")
    assert mirror.llr == pytest.approx(-result.llr, abs=1e-9)


def test_the_pentanomial_llr_is_close_to_its_normal_approximation() -> None:
    # fishtest's approximation for close hypotheses: LLR ~ N (s1 - s0)
    # (2 s - s0 - s1) / (2 var), per pair (scores as fractions of 2 points).
    counts = (20, 150, 400, 180, 30)
    total = sum(counts)
    outcomes = [0, 0.25, 0.5, 0.75, 1]
    mean = sum(n * a for n, a in zip(counts, outcomes, strict=True)) / total
    var = sum(n * a * a for n, a in zip(counts, outcomes, strict=True)) / total - mean**2
    s0, s1 = expected_score(0), expected_score(5)
    approx = total * (s1 - s0) * (2 * mean - s0 - s1) / (2 * var)
    assert log_likelihood_ratio(counts, s0, s1) == pytest.approx(approx, rel=0.01)


def test_sprt_accepts_h1_on_a_clearly_winning_stream() -> None:
    config = SprtConfig(elo0=0, elo1=50)
    # An 80% score: pairs of 2, 1.5, 1.5, 1.5, 1.5 points, over and over.
    stream = pairs("A", "B", [2.0, 1.5, 1.5, 1.5, 1.5] * 20)
    decided = None
    for n in range(2, len(stream) + 1, 2):
        result = sprt(stream[:n], config, player="A", opponent="B")
        if result.decision is not None:
            decided = result
            break
    assert decided is not None and decided.decision == "H1"
    assert decided.llr >= decided.upper == pytest.approx(math.log(0.95 / 0.05))
    assert decided.pairs == decided.games // 2 < 50
    # One pair earlier it was still undecided: the stop is the first crossing.
    earlier = sprt(stream[: decided.games - 2], config, player="A", opponent="B")
    assert earlier.decision is None


def test_sprt_accepts_h0_on_a_clearly_losing_stream() -> None:
    config = SprtConfig(elo0=0, elo1=50)
    stream = pairs("A", "B", [0.0, 0.5, 0.5, 1.0, 0.5] * 20)
    result = sprt(stream, config, player="A", opponent="B")
    assert result.decision == "H0"
    assert result.llr <= result.lower == pytest.approx(math.log(0.05 / 0.95))
    # The same games seen from B's side against bounds B clearly exceeds: H1.
    assert sprt(stream, config, player="B", opponent="A").decision == "H1"


def test_sprt_stays_undecided_on_a_short_or_balanced_stream() -> None:
    config = SprtConfig(elo0=-10, elo1=10)
    assert sprt([], config, player="A", opponent="B").decision is None
    assert sprt([], config, player="A", opponent="B").llr == 0.0
    short = sprt(pairs("A", "B", [2.0, 2.0]), config, player="A", opponent="B")
    assert (short.decision, short.pairs) == (None, 2)
    balanced = sprt(
        pairs("A", "B", [0.5, 1.0, 1.5, 1.0, 2.0, 0.0] * 30), config, player="A", opponent="B"
    )
    assert balanced.decision is None
    assert balanced.llr == pytest.approx(0.0, abs=1e-9)


def test_sprt_counts_only_the_pairing_and_adds_unpaired_games() -> None:
    config = SprtConfig(elo0=0, elo1=50)
    ab = [*pairs("A", "B", [2.0, 1.5, 1.0]), *singles("A", "B", [1.0])]
    other = pairs("A", "C", [0.0] * 10)
    result = sprt(ab + other, config, player="A", opponent="B")
    assert (result.games, result.pairs, result.unpaired) == (7, 3, 1)
    s0, s1 = expected_score(0), expected_score(50)
    assert result.llr == pytest.approx(
        log_likelihood_ratio((0, 0, 1, 1, 1), s0, s1) + log_likelihood_ratio((0, 0, 1), s0, s1)
    )


@pytest.mark.parametrize(
    ("fields", "message", "named"),
    [
        (
            {"elo0": 5, "elo1": 5},
            "elo0 must be < elo1, got elo0 = 5 and elo1 = 5",
            ("elo0", "elo1"),
        ),
        ({"elo0": 10, "elo1": 0}, "elo0 must be < elo1", ("elo0", "elo1")),
        ({"elo0": math.nan, "elo1": 5}, "elo0 must be a finite Elo difference", ("elo0",)),
        ({"elo0": 0, "elo1": math.inf}, "elo1 must be a finite Elo difference", ("elo1",)),
        ({"elo0": 0, "elo1": 5, "alpha": 0}, "alpha must be > 0 and < 0.5, got 0", ("alpha",)),
        ({"elo0": 0, "elo1": 5, "beta": 0.5}, "beta must be > 0 and < 0.5, got 0.5", ("beta",)),
        ({"elo0": 0, "elo1": 5, "alpha": -0.1}, "alpha must be > 0", ("alpha",)),
    ],
)
def test_an_invalid_sprt_config_names_the_field(
    fields: dict[str, float], message: str, named: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        SprtConfig(**fields)
    assert caught.value.fields == named


def test_sprt_config_decodes_from_toml_and_rejects_unknown_keys() -> None:
    class Doc(msgspec.Struct):
        sprt: SprtConfig

    doc = msgspec.toml.decode(b"[sprt]\nelo0 = 0\nelo1 = 5\nbeta = 0.1\n", type=Doc)
    assert doc.sprt == SprtConfig(elo0=0, elo1=5, alpha=0.05, beta=0.1)
    assert doc.sprt.lower == pytest.approx(math.log(0.1 / 0.95))
    with pytest.raises(msgspec.ValidationError, match=r"alpha must be > 0.*\$\.sprt"):
        msgspec.toml.decode(b"[sprt]\nelo0 = 0\nelo1 = 5\nalpha = 0.0\n", type=Doc)
    with pytest.raises(msgspec.ValidationError, match="unknown field `elo2`"):
        msgspec.toml.decode(b"[sprt]\nelo0 = 0\nelo1 = 5\nelo2 = 9\n", type=Doc)


def test_an_sprt_needs_two_participants() -> None:
    with pytest.raises(ConfigError, match="an SPRT needs two participants, got 'A' twice"):
        sprt([], SprtConfig(elo0=0, elo1=5), player="A", opponent="A")
