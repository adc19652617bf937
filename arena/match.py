"""Run one game between players: ask every live snake for a move each turn, concurrently,
step the engine, and stream frames to a replay file and/or a callback.

A late, crashed or garbled answer never stalls the game: that snake repeats its previous
move (Battlesnake's rule; ``up`` on the first turn) and the error and latency are recorded
on the snake in that turn's frame.  Players are always closed at the end, even on Ctrl-C.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from arena.battlesnake import GameInfo, game_state, game_states
from arena.engine import Engine, move_codes, seat_ids
from arena.move_stats import MoveStats
from arena.players.base import MoveResult, Player
from arena.position import batch_view
from arena.replay import ReplayWriter, result_for
from arena.state import GameBatch

COLORS = ("#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
          "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#800000", "#aaffc3")
GRACE_MS = 150  # the match's own backstop beyond a transport's timeout


@dataclass
class MatchConfig:
    ruleset: str = "standard"
    map: str | None = None  # one of Battlesnake's maps (``arena.maps``); None: the ruleset's own board
    width: int | None = None
    height: int | None = None
    settings: dict = field(default_factory=dict)
    seed: int = 0
    timeout_ms: int = 500
    first_timeout_ms: int | None = None  # turn 0's deadline, for every snake; default: see ``first_turn_ms``
    max_turns: int = 10_000
    game_id: str | None = None
    grace_ms: int = GRACE_MS  # how long past timeout_ms the match waits (a live room waits 0: the tick is the limit)
    seated: int | None = None  # snakes on the board at the start (default all); the rest drop in later (classic)

    def first_turn_ms(self, player: Player) -> int:
        """Turn 0's deadline for ``player`` (its ``/start`` and first ``/move`` bodies announce it).

        Without ``first_timeout_ms``: a start-up allowance (twice the timeout, at least 1 s) for bots
        we start ourselves (processes, Python objects), and the plain timeout for HTTP snakes, which
        are already running, as on Battlesnake."""
        if self.first_timeout_ms:
            return self.first_timeout_ms
        return self.timeout_ms if player.concurrent else max(2 * self.timeout_ms, 1000)


class _Call:
    """``call(seat)`` on a daemon thread; ``done`` is set when it returned or raised."""

    def __init__(self, call: Callable[[int], MoveResult | None], seat: int) -> None:
        self.result: MoveResult | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        threading.Thread(target=self._run, args=(call, seat), name=f"snek-player-{seat}", daemon=True).start()

    def _run(self, call: Callable[[int], MoveResult | None], seat: int) -> None:
        try:
            self.result = call(seat)
        except BaseException as exc:  # noqa: BLE001 - a bot's SystemExit is that bot's error, not ours
            self.error = exc
        finally:
            self.done.set()


def _crashed(exc: BaseException) -> MoveResult:
    return MoveResult(None, error=f"crash: {type(exc).__name__}: {exc}"[:200])


@dataclass
class MatchOutcome:
    header: dict
    result: dict
    frames: list[dict]  # every frame only with ``keep_frames=True``; else empty (they went to the file / on_frame)
    stats: MoveStats | None = None  # every seat's answers counted (latency, errors, timeouts)
    final: dict | None = None  # the last frame


def default_game_id(config: MatchConfig, names: Sequence[str]) -> str:
    """A game id fixed by the rules, the seed and the seating.  Bots key their randomness by the game
    id, so the same command must give the same id (a fresh uuid made each run a different game)."""
    key = [config.ruleset, config.width, config.height, config.settings, config.seed, list(names)]
    if config.map is not None:  # appended only with a map: games without one keep their ids
        key.append(config.map)
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]


class Match:
    """One game in progress; ``run()`` plays it to the end."""

    def __init__(self, players: Sequence[Player], config: MatchConfig, out: str | Path | None = None,
                 on_frame: Callable[[dict], None] | None = None, keep_frames: bool = False,
                 table: tuple[Engine, GameBatch, int] | None = None, follow: bool = True,
                 on_write_error: Callable[[OSError], None] | None = None) -> None:
        """``table``: play game ``index`` of a batch shared with other matches (``Lockstep`` steps them
        together); that game is (re)started here.  Without it the match has an engine of its own.
        ``follow``: flush the replay file every turn for readers following it (``ReplayWriter``).
        ``on_write_error``: a replay file that cannot be written (a full disk) stops the recording, not
        the game, and is reported here (a live room says so); without it the error ends the match."""
        if not players:
            raise ValueError("a match needs at least one player")
        self.players = list(players)
        self.config = config
        seated = len(players) if config.seated is None else config.seated
        if not 0 <= seated <= len(players):
            raise ValueError(f"seated must be between 0 and {len(players)}, got {seated}")
        if table is None:
            self.engine = Engine(config.ruleset, config.width, config.height, config.settings, map=config.map)
            self.batch, self.game = self.engine.new_batch([config.seed], num_snakes=seated, seats=len(players)), 0
        else:
            self.engine, self.batch, self.game = table
            self.engine.reset(self.batch, [self.game], [config.seed], [seated])
        self.ids = seat_ids(len(players))
        self.info = GameInfo(
            game_id=config.game_id or default_game_id(config, [p.name for p in self.players]), ruleset=config.ruleset,
            map=config.map,
            settings=self.engine.settings, timeout_ms=config.timeout_ms,
            names={i: p.name for i, p in zip(self.ids, self.players)},
            colors={i: p.color or COLORS[n % len(COLORS)] for n, (i, p) in enumerate(zip(self.ids, self.players))},
            heads={i: p.head for i, p in zip(self.ids, self.players)},
            tails={i: p.tail for i, p in zip(self.ids, self.players)},
        )
        # what every request says ``hazardDamagePerTurn`` is (``GameInfo.ruleset_json``), for views
        self.hazard_damage = int(self.engine.settings.get("hazardDamagePerTurn", 0))
        g = self.engine.geometry
        self.header = {
            "type": "header", "game_id": self.info.game_id, "ruleset": config.ruleset,
            "settings": self.engine.settings, "seed": config.seed, "width": g.width, "height": g.height,
            "timeout_ms": config.timeout_ms, "max_turns": config.max_turns,
            "players": [{"id": i, "name": p.name, "color": self.info.colors[i], "kind": p.kind}
                        for i, p in zip(self.ids, self.players)],
        }
        if config.map is not None:
            self.header["map"] = config.map
        if seated < len(players):
            self.header["seated"] = seated
        self.follow = follow
        self.on_write_error = on_write_error
        self.writer: ReplayWriter | None = None
        if out:
            self._record(lambda: setattr(self, "writer", ReplayWriter(out, self.header, follow)))
        self.on_frame = on_frame
        self.keep_frames = keep_frames
        self.frames: list[dict] = []
        self._busy: dict[int, _Call] = {}
        self._inline_turns = 0  # which inline player goes first (they take turns)
        self._last_move: list[str | None] = [None] * len(players)
        self._pending: list[dict] = []  # drop-in events to apply after the next step
        self._frame: dict | None = {}  # the latest frame (None: written from the batch, built when asked for)
        self.stats = MoveStats(len(players))  # every answer's latency and error, per seat
        self.segment = 0  # the replay file's part number (endless games are written in segments)

    def _state(self, frame: dict, seat: int, timeout_ms: int | None = None) -> dict:
        g = self.engine.geometry
        return game_state(frame, g.width, g.height, self.info, self.ids[seat], timeout_ms)

    def _call_all(self, seats: Sequence[int], call: Callable[[int], MoveResult | None],
                  timeout_ms: int | dict[int, int]) -> dict[int, MoveResult]:
        """Run ``call(seat)`` for every seat at once and wait ``timeout_ms`` (per seat, if a dict)
        plus the grace.

        Each call runs on a daemon thread of its own: one that never returns cannot hold the
        process at exit.  A ``concurrent`` player (HTTP: its requests are bounded by their
        deadline) is called every turn, as Battlesnake's engine sends every turn's request; other
        players are not called again while an earlier call is still running.  An answer that
        comes after the wait belongs to its own call and is dropped: it never reaches a later turn.
        An ``inline`` player (it always returns, and judges its own lateness) is called on this
        thread instead, one after another while the threaded calls run: no thread hand-over.  The
        inline players share the turn's deadline, as threaded ones do: one called after it passed
        is a ``timeout`` without being asked, and one whose answer comes after it is a ``timeout``
        and is demoted (``Player.demote``: threaded from then on, so the match stops waiting for it
        at the deadline).  They take turns at going first, so no seat always gets the leftovers.
        """
        limit = timeout_ms if isinstance(timeout_ms, dict) else dict.fromkeys(seats, timeout_ms)
        results: dict[int, MoveResult] = {}
        calls: dict[int, _Call] = {}
        inline = [seat for seat in seats if self.players[seat].inline]
        for seat in seats:
            if self.players[seat].inline:
                continue
            busy = self._busy.get(seat)
            if busy is not None and not busy.done.is_set() and not self.players[seat].concurrent:
                results[seat] = MoveResult(None, latency_ms=limit[seat],
                                           error="timeout (still busy with an earlier turn)")
                continue
            calls[seat] = self._busy[seat] = _Call(call, seat)
        began = time.monotonic()
        due = {seat: began + (limit[seat] + self.config.grace_ms) / 1000 for seat in seats}
        first = self._inline_turns % len(inline) if inline else 0
        self._inline_turns += 1
        for seat in inline[first:] + inline[:first]:  # while the threaded calls run
            if time.monotonic() >= due[seat]:
                results[seat] = MoveResult(None, latency_ms=limit[seat], error="timeout (the turn's time was used up)")
                continue
            try:
                result = call(seat) or MoveResult(None)
            except Exception as exc:  # a transport bug must not end the game
                result = _crashed(exc)
            if time.monotonic() > due[seat]:
                result = MoveResult(None, latency_ms=result.latency_ms, error="timeout")
                self.players[seat].demote()
            results[seat] = result
        for seat, c in calls.items():
            c.done.wait(max(0.0, due[seat] - time.monotonic()))
        for seat, c in calls.items():
            if not c.done.is_set():
                results[seat] = MoveResult(None, latency_ms=limit[seat], error="timeout")
            elif c.error is not None:  # a transport bug must not end the game
                results[seat] = _crashed(c.error)
            else:
                results[seat] = c.result or MoveResult(None)
        return results

    def _mover(self, frame: dict, limits: dict[int, int]) -> Callable[[int], MoveResult]:
        """``move(seat)`` with this frame's request.  Inline players (built-in bots, which only read
        their request) share one request body but ``you``, built once per turn (``game_states``); every
        other player gets a request of its own, which it may change at will.  A player that ``reads_view``
        gets no request but the same facts read straight from the batch (``arena.position.batch_view``)."""
        shared: dict[int, dict[str, dict]] = {}  # timeout -> the requests of every live snake
        g = self.engine.geometry

        def move(seat: int) -> MoveResult:
            player, limit = self.players[seat], limits[seat]
            if player.reads_view:
                key = f"{self.info.game_id}:{frame['turn']}:{self.ids[seat]}"
                view = batch_view(self.batch, self.game, seat, self.hazard_damage, key)
                return player.move_view(view, limit)
            state = None
            if player.inline:
                if limit not in shared:
                    shared[limit] = game_states(frame, g.width, g.height, self.info, limit)
                state = shared[limit].get(self.ids[seat])
            return player.move(state or self._state(frame, seat, limit), limit)

        return move

    def _record(self, write: Callable[[], object]) -> bool:
        """Run a write to the replay file; False if it failed and ``on_write_error`` took the failure
        (the recording stops there: the file keeps what was written, as after a crash)."""
        try:
            write()
        except OSError as exc:
            if self.on_write_error is None:
                raise
            writer, self.writer = self.writer, None
            if writer is not None:
                writer.close()
            self.on_write_error(exc)
            return False
        return True

    def _emit(self, frame: dict) -> None:
        if self.writer:
            self._record(lambda: self.writer.write_frame(frame))
        if self.keep_frames:
            self.frames.append(frame)
        if self.on_frame:
            self.on_frame(frame)

    def _annotate(self, frame: dict, results: dict[int, MoveResult]) -> dict:
        for snake in frame["snakes"]:  # seats not on the board yet have no snake in the frame
            r = results.get(self.ids.index(snake["id"]))
            snake["latency_ms"] = r.latency_ms if r else None
            snake["error"] = r.error if r else None
            if r and r.shout:
                snake["shout"] = r.shout[:256]
            if r and r.stderr:
                snake["stderr"] = r.stderr
        return frame

    # --- stepping: ``run`` for a whole game, or ``start``/``play_turn``/``finish`` for a caller
    # that owns the clock (a live room ticks at its own rate and feeds human moves in) ---------

    @property
    def over(self) -> bool:
        """The game is decided or reached ``max_turns``."""
        return bool(self.batch.done[self.game]) or int(self.batch.turn[self.game]) >= self.config.max_turns

    # --- drop-in / drop-out: ``spawn`` and ``leave`` take effect right after the next step and are
    # recorded as that frame's ``events``, which is where ``arena.verify`` replays them -------

    def spawn(self, seat: int, name: str | None = None) -> None:
        """Put ``seat``'s snake on the board (a late joiner, or a respawn after death) at the next turn,
        or as soon as there is a safe spot; ``name`` renames the seat (a new human took it)."""
        self._pending.append({"kind": "spawn", "id": self.ids[seat], **({"name": name} if name else {})})

    def leave(self, seat: int) -> None:
        """Take ``seat``'s snake off the board at the next turn (its player left)."""
        self._pending.append({"kind": "remove", "id": self.ids[seat]})

    def _apply_pending(self) -> list[dict]:
        applied, waiting = [], []
        for event in self._pending:
            seat = self.ids.index(event["id"])
            if event["kind"] == "spawn":
                if self.batch.alive[self.game, seat]:
                    continue
                if not self.engine.spawn(self.batch, self.game, seat):
                    waiting.append(event)  # the board is full right now: try again next turn
                    continue
                self._last_move[seat] = None  # a new life keeps its own heading, not the last one's
                if event.get("name"):
                    self.info.names[event["id"]] = self.players[seat].name = event["name"]
                    self.header["players"][seat]["name"] = event["name"]
            elif not self.batch.alive[self.game, seat]:
                continue
            else:
                self.engine.remove(self.batch, self.game, seat)
            applied.append(event)
        self._pending = waiting
        return applied

    def _snapshot(self, results: dict[int, MoveResult], built: dict | None = None) -> dict:
        """The frame after a step: ``built`` is this game's frame from a bulk ``Engine.frames`` call over
        the batch (``Lockstep``), unless drop-in events change the board first."""
        events = self._apply_pending()
        if built is None or events:
            built = self.engine.frame(self.batch, self.game, self.ids)
        frame = self._annotate(built, results)
        if events:
            frame["events"] = events
        return frame

    def start(self) -> dict:
        """Emit the start frame and call every player's ``start``; returns frame 0."""
        self.frame = self._snapshot({})
        self._emit(self.frame)
        listening = self._listening()
        limits = {s: self.config.first_turn_ms(self.players[s]) for s in listening}
        self._call_all(listening, lambda s: self.players[s].start(self._state(self.frame, s, limits[s])), limits)
        return self.frame

    def _listening(self) -> list[int]:
        """The seats whose ``start``/``end`` do something (``Player.listens``): only they get those requests."""
        return [seat for seat, player in enumerate(self.players) if player.listens]

    def play_turn(self) -> dict:
        """Ask every live snake for its move (concurrently, within the turn's limit), step, emit."""
        results, moves = self.ask()
        self.engine.step(self.batch, [moves])
        return self.stepped(results)

    def ask(self) -> tuple[dict[int, MoveResult], list[int]]:
        """This turn's answers per seat and the engine move codes they lead to (``play_turn``'s first half)."""
        alive = [s for s in range(len(self.players)) if self.batch.alive[self.game, s]]
        limits = {s: self.limit(s) for s in alive}
        results = self._call_all(alive, self._mover(self.frame, limits), limits)
        return results, self.answered(results)

    def limit(self, seat: int) -> int:
        """How long ``seat`` may take to answer this turn (ms)."""
        turn = int(self.batch.turn[self.game])
        return self.config.first_turn_ms(self.players[seat]) if turn == 0 else self.config.timeout_ms

    def answered(self, results: dict[int, MoveResult]) -> list[int]:
        """The engine move codes this turn's answers lead to, every seat's last answer noted (``ask``'s
        second half; a lockstep that asked the seats itself, ``arena.batch_ask``, comes here directly)."""
        for seat, r in results.items():
            self.stats.add(seat, r.latency_ms, r.error)
            self.info.latency_ms[self.ids[seat]] = r.latency_ms
            if r.shout:
                self.info.shouts[self.ids[seat]] = r.shout[:256]
            # classic keeps a snake's heading when no move came; the others repeat the last move
            chosen = r.move or self._last_move[seat] or (None if self.engine.ruleset.classic else "up")
            self._last_move[seat] = chosen
        return move_codes([self._last_move[s] if s in results else None for s in range(len(self.players))])

    @property
    def frame(self) -> dict:
        """The latest frame.  After ``stepped_line`` it is built from the batch when asked for, annotated
        with the answers' latencies (``info.latency_ms`` of every seat asked, i.e. with a move)."""
        if self._frame is None:
            built = self.engine.frame(self.batch, self.game, self.ids)
            asked = {self.ids.index(s["id"]): MoveResult(None, latency_ms=self.info.latency_ms.get(s["id"]))
                     for s in built["snakes"] if s["move"] is not None}
            self._frame = self._annotate(built, asked)
        return self._frame

    @frame.setter
    def frame(self, frame: dict) -> None:
        self._frame = frame

    @property
    def writes_only(self) -> bool:
        """Whether a turn's frame only goes to the replay file (no ``on_frame``, none kept, no drop-in
        event due): then ``stepped_line`` may take its line, written from the batch's arrays."""
        return self.on_frame is None and not self.keep_frames and not self._pending

    def stepped_line(self, line: bytes | None) -> None:
        """``stepped`` for a ``writes_only`` match whose answers had no error, shout or stderr: ``line``
        is the new frame's replay line as ``stepped`` would write it (``arena.frames.frame_lines``);
        the frame dict itself is not built unless asked for (``frame``)."""
        self._frame = None
        if self.writer and line is not None:
            self._record(lambda: self.writer.write_line(line))

    def stepped(self, results: dict[int, MoveResult], built: dict | None = None) -> dict:
        """After the engine stepped this game: the new frame, emitted (``play_turn``'s second half).
        ``built``: the frame ``Engine.frames`` already made for this game (see ``_snapshot``)."""
        self.frame = self._snapshot(results, built)
        self._emit(self.frame)
        return self.frame

    def finish(self, reason: str | None = None) -> dict:
        """The result line; calls every player's ``end`` and closes the replay file.  ``reason`` says why
        an undecided game stopped (default ``max-turns``; a live room closing says ``stopped``)."""
        result = result_for(self.frame)
        if not self.batch.done[self.game]:
            result["reason"] = reason or "max-turns"
        self._call_all(self._listening(), lambda s: self.players[s].end(self._state(self.frame, s)),
                       self.config.timeout_ms)
        if self.writer:
            self._record(lambda: self.writer.finish(result))
        return result

    # --- segments: an endless game is written as a chain of replay files, each one complete and
    # verifiable on its own, so a long-running room never holds its whole history in one open file ---

    def end_segment(self) -> Path | None:
        """Close the replay file at the current turn (result ``reason: "segment"``); returns its path
        (None if that write failed and ``on_write_error`` took it).  The game goes on; ``begin_segment``
        opens the next file."""
        if self.writer is None:
            raise ValueError("this match writes no replay")
        result = result_for(self.frame)
        if not self.batch.done[self.game]:
            result["reason"] = "segment"
        if not self._record(lambda: self.writer.finish(result)):
            return None
        path, self.writer = self.writer.path, None
        self.segment += 1
        return path

    def begin_segment(self, out: str | Path) -> None:
        """Write the game on from the current position into ``out``: the header's ``initial`` is this
        turn's position and ``segment`` its part number, and the current frame is the file's first."""
        position = {"turn": self.frame["turn"], "food": self.frame["food"], "hazards": self.frame["hazards"],
                    "snakes": [{k: s[k] for k in ("id", "body", "health", "alive", "death")}
                               for s in self.frame["snakes"]]}
        header = {k: v for k, v in self.header.items() if k != "seated"}
        # the moves that led here belong to the previous part: this file starts from a position
        first = {k: v for k, v in self.frame.items() if k != "events"}

        def write() -> None:
            self.writer = ReplayWriter(out, {**header, "initial": position, "segment": self.segment}, self.follow)
            self.writer.write_frame({**first, "snakes": [{**s, "move": None} for s in first["snakes"]]})

        self._record(write)

    def run(self) -> MatchOutcome:
        try:
            self.start()
            while not self.over:
                self.play_turn()
            return self.outcome()
        finally:
            self.close()

    def outcome(self) -> MatchOutcome:
        """``finish`` the game and gather what it left."""
        result = self.finish()
        return MatchOutcome(self.header, result, self.frames, self.stats, self.frame)

    def close(self) -> None:
        for player in self.players:
            try:
                player.close()
            except Exception:  # closing is best effort; the game result is already decided
                pass
        if self.writer:
            self.writer.close()


def run_match(players: Sequence[Player], config: MatchConfig | None = None, out: str | Path | None = None,
              on_frame: Callable[[dict], None] | None = None, keep_frames: bool = False) -> MatchOutcome:
    """Play one game; frames stream to ``out`` and ``on_frame`` and are kept in memory only if asked."""
    return Match(players, config or MatchConfig(), out, on_frame, keep_frames).run()
