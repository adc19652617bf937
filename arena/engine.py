"""The engine: one ruleset on one board size, stepping a batch of games per call.

    engine = Engine("standard", 11, 11)
    batch = engine.new_batch(seeds=range(1024), num_snakes=4)
    engine.step(batch, moves)          # moves: (B, N) ints 0..3 (up, down, left, right), -1 = none
    engine.frame(batch, 0)             # one game's state as a replay frame dict

A game's history depends only on (ruleset, settings, seed, moves): every random choice is
keyed by the game's own seed and turn (``arena.rng``), never by its batch neighbours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from arena import rng
from arena.frames import build_frames, frame_lines
from arena.geometry import MOVE_INDEX, Geometry, check_live_body, frozen
from arena.kernels import GAME_OVER, NO_ROOM, RESPAWN, SETUP, STEP, STEP_RESTART, clean_moves, run
from arena.map_stages import CODES
from arena.maps import GameMap, get_map
from arena.rules import Ruleset, get_ruleset
from arena.safety import MoveSafety
from arena.setup import CLASSIC, NO_FOOD, STANDARD, STANDARD_NO_FOOD
from arena.stages import WORK, board_table, settings_array
from arena.state import CAUSE_INDEX, MAX_HEALTH, MAX_SNAKES, GameBatch, game_index

HAZARD_STACK_LIMIT = np.iinfo(np.int16).max  # hazard entries one cell can hold (an int16 counter)
_INT8 = np.dtype(np.int8)


def seat_ids(count: int) -> list[str]:
    return [f"s{i}" for i in range(count)]


class Engine:
    def __init__(self, ruleset: str = "standard", width: int | None = None, height: int | None = None,
                 settings: dict | None = None, map: str | None = None) -> None:
        """``map``: one of Battlesnake's maps (``arena.maps``), or None for the ruleset's own board;
        width and height default to the map's usual size, else the ruleset's."""
        self.ruleset: Ruleset = get_ruleset(ruleset)
        self.map: GameMap | None = None if map is None else get_map(map)
        if self.map is not None:
            self.map.check_ruleset(self.ruleset.name)
            if not self.map.implemented:
                raise ValueError(f"map {self.map.name} is not implemented yet")
        default_w, default_h = self.map.default_size if self.map else self.ruleset.default_size
        self.settings = self.ruleset.resolve(settings, self.map.settings if self.map else None)
        width, height = default_w if width is None else width, default_h if height is None else height
        if self.map is not None:
            self.map.check(width, height)
        self.geometry = Geometry(width, height, wrapped=self.ruleset.wrapped)
        self.stages = self.ruleset.stages_for(self.settings)
        if self.map is not None:
            self.stages = self.map.stages_for(self.stages)
        self.game_over = self.stages[-1]  # every ruleset ends with its game-over test
        # What the compiled step takes: the stages as codes, the settings and the geometry as arrays.
        self._program = frozen(np.array([CODES[stage] for stage in self.stages], np.int64))
        self._settings = settings_array(self.geometry, self.settings)
        self._board = board_table(self.geometry)
        self._tables = (self._program, self._settings, self._board)
        # Empty "no games / counts / seeds" arguments, writable like every other array the kernel takes
        # (a read-only one is another type to numba: another compilation).
        self._none, self._no_seeds = np.zeros(0, np.int64), np.zeros(0, np.uint64)
        self._setup_mode = CLASSIC if self.ruleset.classic else STANDARD if self.ruleset.food_at_start \
            else STANDARD_NO_FOOD
        if self.map is not None:  # a ruleset without food (constrictor) removes the map's first food too
            self._setup_mode = self.map.setup_mode | (0 if self.ruleset.food_at_start else NO_FOOD)
        self._safety: MoveSafety | None = None
        self._above = bool(self.map and self.map.off_board)  # hazards kept above the board (snail_mode)
        # ``Turn.work`` entries a step takes (the compiled step allocates nothing); a map may need more
        self.work_size = self.map.work_size(width, height) if self.map is not None else WORK
        points = np.stack([self.geometry.x_of, self.geometry.y_of], axis=-1)  # cell -> [x, y], for frames
        if self._above:  # after the padded cells: the board's cells one board-height up, row by row
            g = self.geometry
            points = np.concatenate([points, [(x, y + g.height) for y in range(g.height) for x in range(g.width)]])
        self._xy = np.ascontiguousarray(points, np.int64)

    @property
    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What the compiled step takes beside the batch: the program (stage codes), settings and board table."""
        return self._tables

    @property
    def setup_mode(self) -> int:
        """How ``start`` sets a game up (``arena.setup`` / ``arena.map_setup`` modes, NO_FOOD flag included)."""
        return self._setup_mode

    # --- creating games -----------------------------------------------------------------

    @property
    def min_snakes(self) -> int:
        """Snakes a game starts with at least: an endless classic game may start empty (players drop in)."""
        return 0 if self.ruleset.classic and self.settings.get("endless") else self.ruleset.min_snakes

    def new_batch(self, seeds: Iterable[int], num_snakes: int | Sequence[int] = 4,
                  seats: int | None = None) -> GameBatch:
        seeds = rng.seed_array(list(seeds) if not isinstance(seeds, np.ndarray) else seeds)
        counts = np.broadcast_to(np.asarray(num_snakes, dtype=np.int64), seeds.shape).copy()
        batch = GameBatch.empty(self.geometry, seeds.size, int(seats or counts.max(initial=1)), self._above)
        self.reset(batch, np.arange(seeds.size), seeds, counts)
        return batch

    def reset(self, batch: GameBatch, games, seeds=None, num_snakes=None) -> None:
        """(Re)start the given games; by default with the same seeds and snake counts."""
        games = np.array(game_index(games).reshape(-1))  # a fresh copy: C-contiguous and writable
        if not games.size:
            return
        counts = batch.present[games].sum(axis=1) if num_snakes is None else np.broadcast_to(
            np.asarray(num_snakes, dtype=np.int64), games.shape)
        counts = np.array(counts, dtype=np.int64)
        fewest, most = int(counts.min()), int(counts.max())
        if fewest < self.min_snakes or most > min(batch.seats, MAX_SNAKES):
            most = min(batch.seats, MAX_SNAKES)
            raise ValueError(f"ruleset {self.ruleset.name} needs {self.min_snakes} to {most} snakes "
                             f"per game, got {fewest}..{int(counts.max())}")
        g = self.geometry
        if self.map is not None:
            self.map.check(g.width, g.height, fewest)
            self.map.check(g.width, g.height, most)
        if not self.ruleset.classic and g.width == g.height and g.width < 7 and most > 8:
            raise ValueError("more than 8 snakes need a board of at least 7x7")
        if seeds is None:
            seeds = self._no_seeds
        else:
            seeds = rng.seed_array(seeds)
            seeds = np.array(seeds if seeds.shape == games.shape else np.broadcast_to(seeds, games.shape))
        # rewrites every field of those games (and their seeds, when given), then tests for game over
        failed = self._call(SETUP, self._setup_mode, batch, games, counts, seeds)
        if failed != NO_ROOM:
            raise self.no_room(int(counts[failed]))

    def no_room(self, count: int) -> ValueError:
        """The error of a setup that found no room for ``count`` snakes (a crowded classic board can)."""
        kind = "classic snakes" if self.ruleset.classic else "snakes"
        return ValueError(f"no room for {count} {kind} on a {self.geometry.width}x{self.geometry.height} board")

    def _call(self, action: int, extra: int, batch: GameBatch, games: np.ndarray, counts: np.ndarray | None = None,
              seeds: np.ndarray | None = None) -> int:
        """``arena.kernels.call`` with this engine's rules and the batch's arrays (not for steps)."""
        return run(action, extra, batch.last_move, games, self._none if counts is None else counts,
                   self._no_seeds if seeds is None else seeds, self._tables, batch.scratch(self.work_size),
                   batch.arrays())

    def _check_over(self, batch: GameBatch, games: np.ndarray) -> None:
        """Run the game-over test alone on fresh games (a lone snake may have nothing to play for)."""
        self._call(GAME_OVER, 0, batch, np.array(games, dtype=np.int64))

    def from_positions(self, positions: Sequence[dict], seeds: Sequence[int] | None = None,
                       ids: Sequence[str] | None = None) -> GameBatch:
        """A batch set to explicit positions: ``{"turn", "food", "hazards", "snakes": [{"body",
        "health", "alive"?, "death"?, "id"?}]}`` with ``[x, y]`` points, bodies head first (tests,
        Battlesnake JSON, a replay segment's start).  With ``ids`` (the seat ids), a snake naming its
        ``id`` takes that seat and seats no snake names stay empty (players who have not entered yet);
        otherwise snakes take seats in order.  A dead snake keeps its ``death`` (cause, turn, killer)."""
        g = self.geometry
        seats = len(ids) if ids is not None else max(len(p["snakes"]) for p in positions)
        batch = GameBatch.empty(g, len(positions), max(seats, 1), self._above)
        batch.clear_games(np.arange(len(positions)))
        for game, pos in enumerate(positions):
            batch.seed[game] = rng.seed_to_int(seeds[game] if seeds is not None else 0)
            batch.turn[game] = int(pos.get("turn", 0))
            self.set_items(batch, game, pos.get("food", []), pos.get("hazards", []))
            taken: dict[int, int] = {}
            for index, snake in enumerate(pos["snakes"]):
                seat = self._seat_of(snake, index, ids)
                alive = snake.get("alive", True)
                body = [self._cell(x, y, allow_outside=not alive) for x, y in snake["body"]]
                if alive:
                    check_live_body(self.geometry, body, seat, taken)
                batch.place(game, seat, body, int(snake.get("health", MAX_HEALTH)))
                if not alive:
                    death = snake.get("death") or {}
                    self.remove(batch, game, seat, cause=death.get("cause", "left"))
                    batch.death_turn[game, seat] = int(death.get("turn", batch.turn[game]))
                    batch.death_by[game, seat] = self._seat_of({"id": death["by"]}, -1, ids) if (
                        ids is not None and death.get("by") is not None) else -1
            # Eliminated bodies may lie under live ones (frames keep them where they died):
            # recount the grid from the live snakes alone.
            batch.occ[game] = 0
            for seat in np.nonzero(batch.alive[game])[0]:
                cells = batch.body_cells(game, seat)
                np.add.at(batch.occ[game], cells, 1)
                batch.owner[game, cells] = seat
        batch.seed_key[:] = rng.seed_key_np(batch.seed)
        self._check_over(batch, np.arange(len(positions)))
        return batch

    @staticmethod
    def _seat_of(snake: dict, index: int, ids: Sequence[str] | None) -> int:
        if ids is None or snake.get("id") is None:
            if ids is not None and index >= len(ids):
                raise ValueError(f"snake {index} has no seat (there are {len(ids)})")
            return index
        if snake["id"] not in ids:
            raise ValueError(f"unknown snake id {snake['id']!r}")
        return list(ids).index(snake["id"])

    def set_items(self, batch: GameBatch, game: int, food=None, hazards=None) -> None:
        """Replace a game's food and/or hazards (``[x, y]`` lists; a hazard listed twice stacks).

        For positions loaded from outside, and for replays whose food or hazards came from
        another engine's random draws (imported Battlesnake games)."""
        if food is not None:
            batch.food[game] = False
            for x, y in food:
                batch.food[game, self._cell(x, y)] = True
            batch.food_count[game] = np.count_nonzero(batch.food[game])
        if hazards is not None:
            stacks = Counter(self._hazard_cell(x, y) for x, y in hazards)
            for cell, count in stacks.items():
                if count > HAZARD_STACK_LIMIT:
                    raise ValueError(f"more than {HAZARD_STACK_LIMIT} hazards on {tuple(self._xy[cell].tolist())}")
            batch.hazard[game] = 0
            for cell, count in stacks.items():
                batch.hazard[game, cell] = count
            batch.box[game] = self._safe_box(batch.hazard[game])

    def _safe_box(self, hazard: np.ndarray) -> tuple[int, int, int, int]:
        """Royale's safe box implied by a position's hazards (the bounds of its hazard-free cells),
        so a resumed royale game keeps shrinking from where it was instead of from the full board.
        No safe cell: an empty box (its sides crossed), so the board stays all hazard."""
        g = self.geometry
        safe = g.interior_cells[hazard[g.interior_cells] == 0]
        if safe.size == 0:
            return g.width, g.width - 1, 0, g.height - 1
        if safe.size == g.area:
            return 0, g.width - 1, 0, g.height - 1
        xs, ys = g.x_of[safe], g.y_of[safe]
        return int(xs.min()), int(xs.max()), int(ys.min()), int(ys.max())

    def _hazard_cell(self, x, y) -> int:
        """A hazard's cell: on the board, or (a map that keeps state there) up to a board-height above it."""
        g = self.geometry
        if self._above and type(x) is int and type(y) is int and 0 <= x < g.width and g.height <= y < 2 * g.height:
            # (x, y) is (x, y - height)'s stored state
            return g.cells + (y - g.height) * g.width + x
        return self._cell(x, y)

    def _cell(self, x, y, allow_outside: bool = False) -> int:
        g = self.geometry
        if not (isinstance(x, int) and isinstance(y, int)):
            raise ValueError(f"coordinates must be integers, got ({x!r}, {y!r})")
        lo = -1 if allow_outside else 0
        if not (lo <= x < g.width - lo and lo <= y < g.height - lo):
            raise ValueError(f"point ({x}, {y}) is outside the {g.width}x{g.height} board")
        return g.cell(x, y)

    # --- stepping -----------------------------------------------------------------------

    def step(self, batch: GameBatch, moves) -> None:
        """Advance every unfinished game by one turn (one compiled call); finished games are left untouched."""
        run(STEP, 0, self._moves(batch, moves), self._none, self._none, self._no_seeds, self._tables,
            batch.scratch(self.work_size), batch.arrays())

    def step_restart(self, batch: GameBatch, moves, first_seed: int) -> int:
        """``step``, then every game that ended in it starts again at once, with seeds ``first_seed``,
        ``first_seed + 1``, ... in game order and as many snakes as before; returns how many restarted.
        For loops that play game after game (benchmarks, self-play) and never look at a game's end:
        one compiled call, the ended games restarted while their arrays are still in the cache."""
        scratch = batch.scratch(self.work_size)
        scratch[-1][0] = rng.seed_to_int(first_seed)
        return run(STEP_RESTART, self._setup_mode, self._moves(batch, moves), self._none, self._none,
                   self._no_seeds, self._tables, scratch, batch.arrays())

    @staticmethod
    def _moves(batch: GameBatch, moves) -> np.ndarray:
        """``moves`` as the step takes them (C-contiguous writable int8 of the batch's shape), checked."""
        if not (type(moves) is np.ndarray and moves.dtype is _INT8 and moves.flags.c_contiguous
                and moves.flags.writeable):
            moves = move_array(np.asarray(moves))
        if moves.shape != batch.alive.shape:
            raise ValueError(f"moves must have shape {batch.alive.shape} (games, seats), got {moves.shape}")
        return moves

    # --- drop-in / drop-out (classic live games) ----------------------------------------

    def remove(self, batch: GameBatch, game: int, seat: int, cause: str = "left") -> None:
        """Take a live snake out of a running game (a player left)."""
        if batch.alive[game, seat]:
            batch.lift_bodies(np.array([game]), np.array([seat]), skip_head=False)
            batch.alive[game, seat] = False
            batch.death_cause[game, seat] = CAUSE_INDEX[cause]
            batch.death_turn[game, seat] = batch.turn[game]
            batch.death_by[game, seat] = -1

    def spawn(self, batch: GameBatch, game: int, seat: int) -> bool:
        """(Re)spawn a snake at a safe classic spot; False (and nothing changed) when there is no room."""
        if seat >= batch.seats:
            raise ValueError(f"seat {seat} does not exist (the batch has {batch.seats})")
        before = batch.select([game]) if batch.alive[game, seat] else None
        self.remove(batch, game, seat)
        if not self._call(RESPAWN, seat, batch, np.array([game], np.int64)):
            if before is not None:  # no room: the snake stays where it was
                batch.assign([game], before, [0])
            return False
        return True

    # --- reading state ------------------------------------------------------------------

    @property
    def safety(self) -> MoveSafety:
        """This ruleset's move-safety answers (``arena.safety``): deadly moves and env action masks."""
        if self._safety is None:
            self._safety = MoveSafety(self)
        return self._safety

    def deadly_moves(self, batch: GameBatch, games=None) -> np.ndarray:
        """(G, N, 4) bools: the moves that eliminate each snake of the given games (default all) whatever
        the others do (``arena.safety``: the one definition the env masks and the search bot use)."""
        return self.safety.deadly(batch, games)

    def frame(self, batch: GameBatch, game: int, ids: Sequence[str] | None = None) -> dict:
        """One game's state in the replay frame schema (docs/replay-format.md)."""
        return self.frames(batch, [game], ids)[0]

    def frames(self, batch: GameBatch, games: Sequence[int], ids: Sequence[str] | None = None) -> list[dict]:
        """Several games' frames at once, every array read for all of them in one compiled call
        (``arena.frames``): what a tournament's lockstep batch does every turn."""
        ids = list(ids) if ids is not None else seat_ids(batch.seats)
        return build_frames(batch, np.array(game_index(games).reshape(-1)), ids, self._xy)


    def frame_lines(self, batch: GameBatch, games: Sequence[int], ids: Sequence[str],
                    latency: np.ndarray) -> list[bytes]:
        """``frames`` as replay lines, never built as dicts (``arena.frames.frame_lines``): ``latency``
        per (game, seat) in hundredths of a ms, -1 where a seat was not asked."""
        return frame_lines(batch, np.array(game_index(games).reshape(-1)), ids, self._xy, latency)


def move_array(moves: np.ndarray) -> np.ndarray:
    """Moves as a fresh C-contiguous int8 array (what the compiled step takes): anything but exactly
    0, 1, 2 or 3 (257, 2.7, NaN, -1) becomes -1, the default move, rather than wrapping or truncating."""
    if moves.dtype == np.int8:
        return np.array(moves, order="C")  # values outside 0..3 are already read as "default move"
    if moves.dtype == np.int64 and moves.ndim == 2:  # the usual other case (lists of Python ints): compiled
        out = np.empty(moves.shape, np.int8)
        clean_moves(np.ascontiguousarray(moves), out)
        return out
    if moves.dtype.kind not in "iuf":
        raise TypeError(f"moves must be numbers 0..3 (-1 for none), got dtype {moves.dtype}")
    valid = (moves >= 0) & (moves <= 3)
    if moves.dtype.kind == "f":
        valid &= moves == np.floor(moves)
    return np.where(valid, moves, -1).astype(np.int8)


def move_codes(moves: Sequence[str | None]) -> list[int]:
    """Move names to engine codes; anything unknown (None, garbage) becomes -1 (default move)."""
    return [MOVE_INDEX.get(m, -1) if isinstance(m, str) else -1 for m in moves]
