"""Built-in bots: every bot plays every ruleset on small, odd and big boards without an error or a
late answer, and the strength ladder random < safe < greedy < space < search holds by a wide margin."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager

import numpy as np
import pytest

from arena.battlesnake import GameInfo, game_state, load_request
from arena.engine import Engine
from arena.geometry import MOVES
from arena.lookahead import LOSS
from arena.match import MatchConfig, run_match
from arena.players import PythonPlayer
from arena.position import read_view
from arena.registry import builtin_bots, resolve_bot
from arena.rules import RULESETS
from arena.tournament import TournamentConfig, run_tournament
from snek_bots import search
from snek_bots.search import SearchBot, TimedSearchBot

LADDER = ["random", "safe", "greedy", "space", "search"]
EVERY_BOT = [*LADDER, "learned"]  # the trained policy is no rung of the ladder, but plays everywhere too
SIZES = [(3, 3), (7, 7), (19, 11), (25, 25)]
TIMEOUT_MS = 10_000


def test_registry_has_the_ladder() -> None:
    assert set(EVERY_BOT) <= set(builtin_bots())


# Games per ruleset: 3 + 2 + 2 + 2 lineups over the 4 sizes (solo: 6 per size; classic has no room
# for its snakes on 3x3 and 7x7 with 4 snakes).
EXPECTED_GAMES = {"solo": 24, "classic": 4}


@pytest.mark.parametrize("ruleset", list(RULESETS))
def test_every_bot_plays_every_ruleset_and_size(ruleset: str) -> None:
    """No errors (crashes, unreadable answers) anywhere.  The timeout is generous on purpose: how fast
    the bots answer is measured in ``benchmarks/bots.py``, not asserted on a loaded test machine."""
    played = 0
    for i, (width, height) in enumerate(SIZES):
        seats = 1 if ruleset == "solo" else 2 if width * height < 25 else 4
        lineups = [[EVERY_BOT[(k + j) % len(EVERY_BOT)] for j in range(seats)]
                   for k in range(0, len(EVERY_BOT), seats)]
        for lineup in lineups:  # every bot plays on every board
            try:
                Engine(ruleset, width, height).new_batch([i], seats)
            except ValueError:
                continue  # no room for these snakes on this board (classic's spawn rules)
            config = MatchConfig(ruleset=ruleset, width=width, height=height, seed=100 + i, max_turns=40,
                                 timeout_ms=TIMEOUT_MS, game_id=f"{ruleset}-{width}x{height}")
            outcome = run_match([PythonPlayer(resolve_bot(b), name=b) for b in lineup], config, keep_frames=True)
            played += 1
            assert len(outcome.frames) >= 2
            for frame in outcome.frames:
                for seat, snake in enumerate(frame["snakes"]):
                    where = f"{lineup[seat]} on {ruleset} {width}x{height} turn {frame['turn']}"
                    assert snake["error"] is None, f"{where}: {snake['error']}"
    assert played == EXPECTED_GAMES.get(ruleset, 9), played


@contextmanager
def cpu_load(processes: int = 2):
    """Busy background processes (real ones, spinning), stopped on exit; yields them."""
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(processes)]
    try:
        yield busy
    finally:
        for p in busy:
            p.kill()
            p.wait(timeout=10)


def search_positions(count: int) -> list[dict]:
    """Move requests for the search seat of one seeded game, with Battlesnake's default 500 ms timeout."""
    outcome = run_match([PythonPlayer(resolve_bot(b), name=b) for b in ("search", "space", "greedy", "safe")],
                        MatchConfig(seed=4, timeout_ms=60_000, max_turns=count, game_id="load"), keep_frames=True)
    info = GameInfo(game_id="load", ruleset="standard", settings=Engine("standard").settings, timeout_ms=500)
    return [game_state(f, 11, 11, info, "s0") for f in outcome.frames if f["snakes"][0]["alive"]][:count]


def test_search_answers_do_not_read_the_clock(monkeypatch) -> None:
    """The same requests (Battlesnake's 500 ms timeout in each) get the same answers when every clock
    reading jumps a second ahead.  A clock budget (the old default, now ``TimedSearchBot``) then never
    affords a second ply, which changes answers in these positions."""
    positions = search_positions(16)
    assert len(positions) >= 12
    calm = [SearchBot()(p) for p in positions]
    one_ply = [SearchBot(max_nodes=0)(p) for p in positions]
    assert calm != one_ply  # the deeper plies matter here
    now = [0.0]

    def slow_clock() -> float:
        now[0] += 1.0
        return now[0]

    monkeypatch.setattr(search.time, "perf_counter", slow_clock)
    assert [SearchBot()(p) for p in positions] == calm
    assert [TimedSearchBot()(p) for p in positions] == one_ply  # the opt-in clock budget does read it
    assert now[0] > 0


def test_search_answer_depends_on_state_and_node_budget_only() -> None:
    """The same request and node budget give the same move, nodes and depth: from a fresh bot or one that
    has searched other games (its scratch games are reused), in any order.  A larger budget searches
    at least as deep, and the budget bounds the nodes (one ply is always searched)."""
    positions = search_positions(24)
    assert len(positions) >= 20
    for budget in (0, 2_000, 8_192):
        fresh = [(bot(p), bot.nodes, bot.depth) for p in positions for bot in [SearchBot(budget, max_depth=8)]]
        reused = SearchBot(max_nodes=budget, max_depth=8)
        backwards = [(reused(p), reused.nodes, reused.depth) for p in reversed(positions)]
        assert backwards[::-1] == fresh
        for _, nodes, depth in fresh:
            assert depth == 1 or nodes <= budget
    shallow = [SearchBot(max_nodes=2_000, max_depth=8) for _ in positions]
    deep = [SearchBot(max_nodes=20_000, max_depth=8) for _ in positions]
    for p, a, b in zip(positions, shallow, deep):
        a(p), b(p)
        assert b.depth >= a.depth
    assert sum(b.depth for b in deep) > sum(a.depth for a in shallow)
    assert max(b.depth for b in deep) >= 3


def test_search_spends_its_node_budget_on_whole_plies() -> None:
    """A move's nodes are exactly its whole plies' trees (1 ply, 2 plies, ...), and it stops only where
    the next tree would not fit what is left of the budget (or at ``max_depth``): no budget is left
    for want of a good guess.  In this 4-snake game (two rivals near) that means three plies or more
    in most moves; the old guess (this ply's nodes times its growth) stopped at two in most."""
    positions = search_positions(24)
    deep = 0
    for state in positions:
        bot = SearchBot()
        move = bot(state)
        engine, batch, ids = load_request(state)
        me = ids.index(str(state["you"]["id"]))
        near, rivals = bot.near_rivals(batch, me), int(batch.alive[0].sum()) - 1
        lookahead, budget = bot.lookahead(engine), bot.node_budget(batch.geometry)
        trees = [lookahead.values(batch, me, near, rivals, d, budget) for d in range(1, bot.depth + 1)]
        assert sum(nodes for _, nodes in trees) == bot.nodes
        assert MOVES[int(np.argmax(trees[-1][0]))] == move
        if bot.depth < bot.max_depth:
            deeper, nodes = lookahead.values(batch, me, near, rivals, bot.depth + 1, budget - bot.nodes)
            assert deeper is None or nodes == trees[-1][1]  # too big, or no bigger than the last
        deep += bot.depth >= 3
    assert len(positions) >= 20 and deep >= 0.75 * len(positions), (deep, len(positions))


def duel_request(me: list, rival: list, food: list, turn: int) -> dict:
    """A standard 11x11 request for snake ``a`` (bodies and food as (x, y) lists, head first)."""
    snakes = [{"id": name, "name": name, "health": 90, "body": [{"x": x, "y": y} for x, y in body]}
              for name, body in (("a", me), ("b", rival))]
    return {"game": {"id": "g", "ruleset": {"name": "standard", "settings": {}}, "timeout": 500}, "turn": turn,
            "board": {"width": 11, "height": 11, "food": [{"x": x, "y": y} for x, y in food], "hazards": [],
                      "snakes": snakes}, "you": snakes[0]}


def test_the_fourth_ply_finds_the_only_move_that_survives() -> None:
    """From a recorded duel (turn 62): my head at (4, 0) runs right along the bottom with my own body
    walling the left; the rival, one shorter, sits above the food at (5, 2).  Going up looks best for
    three plies, but against the rival's worst replies it dies within four; only going right survives
    them (for six plies too).  The default search, now four plies deep in a duel, goes right; the old
    default depth of three went up."""
    state = duel_request(me=[[4, 0], [3, 0], [2, 0], [1, 0], [1, 1], [0, 1], [0, 2], [1, 2], [2, 2], [2, 3], [2, 4]],
                         rival=[[5, 3], [5, 4], [5, 5], [6, 5], [7, 5], [8, 5], [8, 4], [9, 4], [10, 4], [10, 3]],
                         food=[[5, 2]], turn=62)
    bot = SearchBot()
    assert bot(state) == "right" and bot.depth == 4
    assert SearchBot(max_depth=3)(state) == "up"
    engine, batch, _ = load_request(state)
    for plies in (4, 6):
        values, _ = bot.lookahead(engine).values(batch, 0, [1], 1, plies, 10**7)
        assert [MOVES[m] for m in range(4) if values[m] > LOSS / 2] == ["right"], plies


def test_search_tournament_table_is_the_same_under_cpu_load() -> None:
    def table() -> list[tuple]:
        rules = MatchConfig(width=7, height=7, timeout_ms=60_000, max_turns=50)  # no timeouts: the moves decide
        board = run_tournament(TournamentConfig(bots=["search", "space", "greedy"], games=2, players_per_game=3,
                                                seed=5, workers=1, rules=rules))
        return [(s.name, s.games, s.wins, round(s.mu, 9), round(s.avg_place, 9), round(s.avg_turns, 9))
                for s in board.standings()]

    calm = table()
    with cpu_load() as busy:
        loaded = table()
        assert all(p.poll() is None for p in busy)
    assert sum(games for _, games, *_ in calm) == 6
    assert loaded == calm


def safe_moves(state: dict) -> list[str]:
    return [MOVES[m] for m in read_view(state).safe_moves()]


def test_safe_moves_know_wrapping_and_tails() -> None:
    body = [{"x": 0, "y": 0}, {"x": 1, "y": 0}, {"x": 1, "y": 1}, {"x": 0, "y": 1}]
    state = {
        "game": {"id": "g", "ruleset": {"name": "wrapped", "settings": {}}, "timeout": 500},
        "turn": 5,
        "board": {"width": 5, "height": 5, "food": [], "hazards": [],
                  "snakes": [{"id": "a", "health": 90, "body": body}]},
        "you": {"id": "a", "health": 90, "body": body, "head": body[0]},
    }
    # left and down wrap around; up is the tail, which moves away
    assert sorted(safe_moves(state)) == ["down", "left", "up"]
    state["game"]["ruleset"]["name"] = "standard"
    assert safe_moves(state) == ["up"]


def test_hazard_that_would_kill_is_not_safe() -> None:
    body = [{"x": 2, "y": 2}, {"x": 2, "y": 1}, {"x": 2, "y": 0}]
    state = {
        "game": {"id": "g", "ruleset": {"name": "royale", "settings": {"hazardDamagePerTurn": 14}}, "timeout": 500},
        "turn": 50,
        "board": {"width": 5, "height": 5, "food": [], "snakes": [{"id": "a", "health": 10, "body": body}],
                  "hazards": [{"x": 1, "y": 2}, {"x": 3, "y": 2}]},
        "you": {"id": "a", "health": 10, "body": body, "head": body[0]},
    }
    assert safe_moves(state) == ["up"]


def test_ladder_order_with_a_margin() -> None:
    """A seeded free-for-all of the four fast bots, then search against space head to head.

    Margins: neighbouring ratings differ by more than three combined sigmas (a flip by chance
    is then far below one in a thousand; over seeds the gaps measure 4 to 7 sigmas), and search
    wins at least 3 of 4 duels (the two-ply numpy search won all 12 at seed 7; the timeout is
    generous so that a loaded machine cannot decide games by timing bots out).
    """
    rules = MatchConfig(timeout_ms=TIMEOUT_MS)  # strength, not speed: a loaded machine must not time bots out
    board = run_tournament(TournamentConfig(bots=LADDER[:4], games=160, seed=7, workers=2, rules=rules))
    rating = {s.name: s for s in board.standings()}
    for low, high in zip(LADDER[:3], LADDER[1:4]):
        lo, hi = rating[low], rating[high]
        assert hi.mu - lo.mu > 3 * (lo.sigma ** 2 + hi.sigma ** 2) ** 0.5, (low, high, lo, hi)
    duel = run_tournament(TournamentConfig(bots=["space", "search"], games=12, seed=7, workers=2, rules=rules))
    wins = {s.name: s.wins for s in duel.standings()}
    assert wins["search"] >= 9, wins
