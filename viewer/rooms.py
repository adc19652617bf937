"""Rooms: live games this process owns, each ticking an ``arena.match.Match`` at a steady rate.

A room's loop is a fixed-timestep schedule: its turns are played on its *beat*, deadlines one tick
apart (not sleep-after-work), so the rate does not drift with the work of a turn; a room that falls
more than a tick behind skips the ticks it missed instead of bursting.  Rooms of one tick have their
beats spread evenly over it (``snek_viewer.phases``), so their turns do not all fall due at once.  The
loop is a generator that yields each deadline; one scheduler thread (``snek_viewer.scheduler``) runs
every room's turns at their deadlines.  Bots answer within the tick (the match waits at most
``0.75 * tick_ms``: a late bot repeats its last move, as in ``snek play``).  Humans are
``HumanSeat`` players: their moves come from a two-move buffer filled by their socket, so ``move``
answers at once; a human who sent nothing keeps going.

``classic`` rooms are endless drop-in/drop-out games: humans join and leave at any time, dead snakes
respawn (bots by themselves, humans when they ask); the game is written to the replay library as it
goes and finished when the room closes.  Other rulesets wait until every open seat is taken, or
``wait_s`` with ``safe`` filling the empty seats, then play one game, which is saved and listed.

All input arrives through the hub (``handle_input``), on socket threads; a room's own lock guards its
seats, and changes to the game (spawns, leaves) are handed to the loop, which alone touches the
match (one turn of a room runs at a time).
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

from arena import jsonio
from arena.engine import Engine
from arena.game_choice import check_map_snakes, usual_ruleset
from arena.geometry import MOVES
from arena.maps import MAPS
from arena.match import Match, MatchConfig
from arena.players import MoveResult, Player
from arena.replay import FORMAT
from arena.rules import RULESETS
from snek_viewer.budget import room_cost
from snek_viewer.config import ServerConfig
from snek_viewer.hub import Hub
from snek_viewer.scheduler import Scheduler, Task
from snek_viewer.seats import FILL_BOT, SeatRules

TICK_MS = (20, 5000)
BOARD = (3, 50)
MAX_TURNS = 100_000
ENDLESS_TURNS = 2**31 - 1
BOT_SHARE = 0.75  # of a tick, the time bots get to answer


def bot_timeout_ms(tick_ms: int) -> int:
    """A room's move timeout (its replay header's ``timeout_ms``): ``BOT_SHARE`` of the tick."""
    return max(1, int(tick_ms * BOT_SHARE))
OPEN_NAME = "open"
WAIT_POLL_S = 0.05  # how often a waiting room looks at its seats
NAME_LIMIT = 32
log = logging.getLogger(__name__)


def dumps(obj: dict) -> str:
    return jsonio.dumps_text(obj)


def error(code: str, message: str) -> dict:
    return {"type": "error", "code": code, "message": message}


class RoomLimit(RuntimeError):
    """The operator's room limit is reached."""


@dataclass
class RoomRequest:
    """A validated room: the body of ``POST /api/rooms`` (docs/server.md)."""

    ruleset: str = "classic"
    map: str | None = None  # one of Battlesnake's maps (arena.maps)
    width: int | None = None
    height: int | None = None
    settings: dict | None = None
    tick_ms: int = 200
    max_turns: int = 10_000
    seats: tuple = ("greedy", "space", None)
    seed: int | None = None
    wait_s: float | None = None

    @classmethod
    def parse(cls, body: object, rules: SeatRules, max_seats: int) -> RoomRequest:
        """Check every field; a problem is a ValueError with a one-line message."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        unknown = set(body) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown field {sorted(unknown)[0][:40]!r}")

        def whole(name: str, low: int, high: int, optional: bool = True) -> int | None:
            value = body.get(name)
            if value is None and optional:
                return None
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number")
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low} and {high}, got {value}")
            return value

        game_map = body.get("map")
        if game_map is not None and not isinstance(game_map, str):
            raise ValueError("map must be the name of a map (GET /api/maps lists them)")
        if game_map is not None and game_map not in MAPS:
            raise ValueError(f"unknown map {str(game_map)[:40]!r} (choose from {', '.join(MAPS)})")
        ruleset = body.get("ruleset", cls.ruleset if game_map is None else usual_ruleset(None, game_map))
        if not isinstance(ruleset, str) or ruleset not in RULESETS:
            raise ValueError(f"unknown ruleset {str(ruleset)[:40]!r} (choose from {', '.join(RULESETS)})")
        settings = body.get("settings")
        settings = {} if settings is None else settings
        if not isinstance(settings, dict):
            raise ValueError("settings must be an object")
        seats = body.get("seats", list(cls.seats))
        if not isinstance(seats, list) or not seats:
            raise ValueError("seats must be a non-empty list of bot names and nulls")
        if len(seats) > max_seats:
            raise ValueError(f"too many seats: {len(seats)} (at most {max_seats})")
        for seat in seats:
            rules.check(seat)
        wait_s = body.get("wait_s")
        if wait_s is not None and (not isinstance(wait_s, int | float) or isinstance(wait_s, bool)
                                   or not 0 <= wait_s <= 3600):
            raise ValueError("wait_s must be a number of seconds between 0 and 3600")
        request = cls(ruleset=ruleset, map=game_map, width=whole("width", *BOARD), height=whole("height", *BOARD),
                      settings=settings, tick_ms=whole("tick_ms", *TICK_MS) or cls.tick_ms,
                      max_turns=whole("max_turns", 1, MAX_TURNS) or cls.max_turns, seats=tuple(seats),
                      seed=whole("seed", 0, 2**63 - 1), wait_s=wait_s)
        engine = Engine(ruleset, request.width, request.height, request.settings, map=game_map)  # bad settings, sizes
        request.width, request.height = engine.geometry.width, engine.geometry.height  # left out: the usual size
        check_map_snakes(engine, len(seats))
        if len(seats) < engine.ruleset.min_snakes:
            raise ValueError(f"ruleset {ruleset} needs at least {engine.ruleset.min_snakes} seats")
        if engine.ruleset.classic and all(seat is None for seat in seats) and not engine.settings["endless"]:
            raise ValueError("a classic room of humans only must be endless (settings.endless: true): "
                             "it would end before anyone joined")
        return request

    @property
    def classic(self) -> bool:
        return RULESETS[self.ruleset].classic


def parse_room_option(text: str) -> dict:
    """``--room SPEC``: a JSON object (the POST body), or ``RULESET[@MAP]:SEAT,SEAT,...`` with ``open`` for a
    human's seat, e.g. ``classic:greedy,space,open,open`` or ``wrapped@hz_rings:space,greedy``; ``@MAP:...``
    alone plays the map's usual ruleset, as ``"map"`` alone does.  Only the shape is checked here: names
    and what a map goes with are checked where the JSON form's are (``RoomRequest.parse``)."""
    text = text.strip()
    if text.startswith("{"):
        try:
            return jsonio.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"--room: not JSON ({exc.msg})") from None
    rules, _, seats = text.partition(":")
    ruleset, at, game_map = (part.strip() for part in rules.partition("@"))
    if not seats or not (ruleset or game_map) or (at and not game_map):
        raise ValueError(f"--room expects RULESET[@MAP]:SEAT,SEAT,... or a JSON object, got {text!r}")
    body = {"ruleset": ruleset} if ruleset else {}
    if game_map:
        body["map"] = game_map
    return {**body, "seats": [None if s.strip() == OPEN_NAME else s.strip() for s in seats.split(",")]}


class HumanSeat(Player):
    """A human's seat: moves come from a buffer of at most two, filled by the player's socket."""

    kind = "human"
    inline = True  # ``move`` answers from the buffer at once

    def __init__(self) -> None:
        self.name = OPEN_NAME
        self._moves: deque[str] = deque()
        self._lock = threading.Lock()

    def push(self, move: str) -> None:
        """Queue a move; with two already queued the newest replaces the last (latest intent wins)."""
        with self._lock:
            if len(self._moves) >= 2:
                self._moves.pop()
            self._moves.append(move)

    def clear(self) -> None:
        with self._lock:
            self._moves.clear()

    def move(self, state: dict, timeout_ms: int) -> MoveResult:
        with self._lock:
            return MoveResult(self._moves.popleft() if self._moves else None)


@dataclass
class Seat:
    index: int
    bot: str | None  # None: a human's seat
    player: Player
    token: str | None = None
    holder: str | None = None  # the socket (conn id) steering it
    left_at: float | None = None  # when its socket went away (grace period)
    dead_ticks: int = 0

    @property
    def open(self) -> bool:
        return self.bot is None and self.token is None


class Room:
    def __init__(self, room_id: str, request: RoomRequest, config: ServerConfig, hub: Hub, rules: SeatRules,
                 scheduler: Scheduler, on_saved: Callable[[Path], None] | None = None,
                 permanent: bool = False) -> None:
        self.id = room_id
        self.request = request
        self.config = config
        self.hub = hub
        self.rules = rules
        self.on_saved = on_saved
        self.permanent = permanent
        self.engine = Engine(request.ruleset, request.width, request.height, request.settings, map=request.map)
        self.endless = request.classic and bool(self.engine.settings.get("endless", False))
        order = list(request.seats)
        if request.classic:  # drop-in: the bots are on the board from the start, humans' seats after them
            order = [s for s in order if s is not None] + [s for s in order if s is None]
        self.seats = [Seat(i, bot, rules.player(bot) if bot else HumanSeat()) for i, bot in enumerate(order)]
        self.seed = request.seed if request.seed is not None else secrets.randbits(48)
        self.status = "running" if request.classic else "waiting"  # drop-in rooms never wait
        self.turn = 0
        self.alive: dict[str, bool] = {}
        self.match: Match | None = None
        self.created = self.last_active = time.monotonic()
        self.finished_at: float | None = None
        self.recording = config.replays is not None  # False once its replay file could not be written
        self.lock = threading.Lock()
        self._commands: list[tuple[str, int, str | None]] = []  # (spawn|leave, seat, name) for the loop thread
        self._stop = threading.Event()
        self._scheduler = scheduler
        self._task = Task(room_id, self._loop(), self._inline)
        # where in its tick it plays, spread from the other rooms' (snek_viewer.phases): taken in the order
        # rooms are created, not when their games happen to start
        self._beat = scheduler.phases.join(room_id, request.tick_ms)
        hub.open_room(room_id)
        hub.serve_input(room_id, self.handle_input)
        self.announce()

    # --- the loop ------------------------------------------------------------------------

    def start(self) -> None:
        self._scheduler.add(self._task)

    def stop(self, wait: bool = True) -> None:
        """Stop the loop at its next step (now): an endless game is finished and saved."""
        self._stop.set()
        self._scheduler.phases.leave(self.id)
        self._scheduler.poke(self._task)
        if wait and not self._scheduler.on_own_thread():
            self._task.done.wait(timeout=10)

    def _inline(self) -> bool:
        """Every player answers on the spot and publishing is local: the turn can run on the scheduler's thread.
        Not before the game has played a turn: waiting for players, setting the game up (starting bots) and
        the first turn (a bot's first move loads what it needs: compiled helpers, tables) use the pool, so a
        one-off cost neither holds the other rooms back nor demotes the room for good."""
        return (self.match is not None and self.turn > 0 and not self.hub.remote
                and all(seat.player.inline for seat in self.seats))

    @property
    def tick_s(self) -> float:
        return self.request.tick_ms / 1000

    def _wait_for_players(self) -> Generator[float, None, bool]:
        """Non-classic rooms: until every open seat is taken or ``wait_s`` passed; False if stopped."""
        limit = self.request.wait_s if self.request.wait_s is not None else self.config.wait_s
        deadline = time.monotonic() + limit
        while not self._stop.is_set():
            with self.lock:
                if all(s.bot is not None or s.token is not None for s in self.seats) or time.monotonic() >= deadline:
                    for seat in self.seats:
                        if seat.open:  # nobody came: a built-in bot plays the seat
                            seat.bot, seat.player = FILL_BOT, self.rules.player(FILL_BOT)
                    return True
            yield time.monotonic() + WAIT_POLL_S
        return False

    def _new_match(self) -> Match:
        r = self.request
        bot_ms = bot_timeout_ms(r.tick_ms)
        seated = sum(s.bot is not None for s in self.seats) if r.classic else None
        config = MatchConfig(ruleset=r.ruleset, map=r.map, width=r.width, height=r.height,
                             settings=dict(r.settings or {}), seed=self.seed, timeout_ms=bot_ms,
                             first_timeout_ms=max(bot_ms, 1000),
                             max_turns=ENDLESS_TURNS if self.endless else r.max_turns, game_id=self.id,
                             grace_ms=0, seated=seated)
        out = None
        if self.config.replays is not None:
            out = Path(self.config.replays) / ".live" / f"{self.id}.jsonl.gz"
        return Match([s.player for s in self.seats], config, out, on_write_error=self._not_recording)

    def _not_recording(self, exc: OSError) -> None:
        """The replay file cannot be written (a full disk): the game goes on unrecorded, and says so to its
        spectators and in the listing.  What was written stays in ``.live/``, closed at the next start."""
        log.warning("room %s: not recording any more (%s)", self.id, exc)
        self.recording = False
        reason = exc.strerror or str(exc)
        self.hub.publish(self.id, dumps(error("not_recording", f"this game is no longer recorded: {reason}")),
                         "frame")
        self.announce()

    def _loop(self) -> Iterator[float]:
        """The room's life as the scheduler runs it: each ``yield`` is the time to come back (a tick's deadline)."""
        try:
            if not self.request.classic and not (yield from self._wait_for_players()):
                return
            with self.lock:
                self.match = self._new_match()
                self.status = "running"
                for seat in self.seats:  # classic: humans who took a seat before the board existed come on now
                    if self.request.classic and seat.bot is None and seat.token:
                        self._commands.append(("spawn", seat.index, seat.player.name))
            self.hub.publish(self.id, dumps({**self.match.header, "format": FORMAT}), "header")
            self._publish(self.match.start())
            self._scheduler.settle()
            deadline = self._beat.first(time.monotonic())
            while not self._stop.is_set() and not self.match.over:
                yield deadline
                if self._stop.is_set():
                    break
                self._between_turns()
                self._publish(self.match.play_turn())
                if self._segment_due():
                    self._save_segment()
                deadline = self._beat.next(deadline, time.monotonic())
            self._finish("stopped" if self._stop.is_set() else None)
        except Exception as exc:
            self._broken(exc)
            raise  # the scheduler logs it
        finally:
            self._scheduler.phases.leave(self.id)
            if self.match:
                self.match.close()

    def _broken(self, exc: Exception) -> None:
        """The loop died on an error: the listing must not call the room running, and its spectators are told
        (the janitor closes it, and their sockets, like any finished room)."""
        with self.lock:
            self.status = "finished"
            self.finished_at = time.monotonic()
        try:  # the listing first: whoever the notice sends to look at the room sees it finished
            self.announce()
            self.hub.publish(self.id, dumps(error("room_error", f"this room stopped on an error "
                                                                f"({type(exc).__name__})")), "frame")
        except Exception:  # the hub may be what failed; the janitor still closes the room
            log.exception("room %s: could not announce its end", self.id)

    def _segment_due(self) -> bool:
        """An endless game is saved in parts, so a room that runs for weeks never keeps one growing file."""
        turns = self.config.segment_turns
        turn = self.match.frame["turn"]
        return self.endless and self.match.writer is not None and turns > 0 and turn > 0 and turn % turns == 0

    def _save_segment(self) -> None:
        """Close the part played so far into the library as ``<room>-NNNN`` and go on writing the live file
        (loop thread only).  The part is a complete replay that verifies on its own."""
        live = self.match.end_segment()
        if live is None:  # could not be closed: it stays in .live/ (closed at the next start)
            return
        self._to_library(live, f"{self.id}-{self.match.segment - 1:04d}.jsonl.gz")
        self.match.begin_segment(live)

    def _to_library(self, path: Path, name: str) -> None:
        """Move a finished replay file from ``.live/`` into the library and list it."""
        final = Path(self.config.replays) / name
        shutil.move(path, final)
        if self.on_saved:
            self.on_saved(final)

    def _between_turns(self) -> None:
        """Grace periods, respawns and queued joins/leaves, handed to the match (loop thread only)."""
        now = time.monotonic()
        with self.lock:
            for seat in self.seats:
                if seat.token and seat.holder is None and seat.left_at and now - seat.left_at > self.config.grace_s:
                    self._release(seat)  # its player did not come back in time
                if (self.request.classic and seat.bot and self.alive.get(self.match.ids[seat.index]) is False):
                    seat.dead_ticks += 1
                    if seat.dead_ticks >= self.config.respawn_ticks:
                        seat.dead_ticks = 0
                        self._commands.append(("spawn", seat.index, None))
            commands, self._commands = self._commands, []
        for kind, index, name in commands:
            if kind == "spawn":
                self.match.spawn(index, name)
            else:
                self.match.leave(index)

    def _publish(self, frame: dict) -> None:
        with self.lock:
            self.turn = frame["turn"]
            self.alive = {s["id"]: s["alive"] for s in frame["snakes"]}
            for event in frame.get("events", ()):
                if event["kind"] == "spawn" and event.get("name"):
                    self.hub.set_header(self.id, dumps({**self.match.header, "format": FORMAT}))
        self.hub.publish(self.id, dumps(frame), "frame")
        self.announce()

    def _finish(self, reason: str | None) -> None:
        """Save the game into the library and list the room as finished first, so whoever sees the result
        can fetch the replay and finds the room over."""
        result = self.match.finish(reason)
        writer = self.match.writer  # None if the recording failed on the way
        if writer is not None and self.config.replays is not None:
            self._to_library(writer.path, writer.path.name)
        with self.lock:
            self.status = "finished"
            self.finished_at = time.monotonic()
        self.announce()
        self.hub.publish(self.id, dumps(result), "result")

    # --- input from sockets (any thread) ------------------------------------------------------

    def _seat_of(self, conn: str) -> Seat | None:
        return next((s for s in self.seats if s.holder == conn), None)

    def _release(self, seat: Seat) -> None:
        """Free a human's seat (left, or gone past the grace period); its snake leaves the board."""
        seat.token = seat.holder = seat.left_at = None
        seat.player.clear()
        seat.player.name = OPEN_NAME
        if self.match is not None:
            self._commands.append(("leave", seat.index, None))

    def handle_input(self, message: dict) -> list[dict]:
        """One validated client message (``conn`` is the socket's id) -> the replies to send it."""
        replies = self._handle(message)
        if message["type"] != "move":  # seats may have changed: the lobby sees it now, not next tick
            self.announce()
        return replies

    def _handle(self, message: dict) -> list[dict]:
        conn = message["conn"]
        kind = message["type"]
        with self.lock:
            self.last_active = time.monotonic()
            seat = self._seat_of(conn)
            if kind == "join":
                return self._join(conn, seat, message)
            if kind == "disconnect":
                if seat:
                    seat.holder, seat.left_at = None, time.monotonic()
                return []
            if seat is None:
                return [error("not_playing", "you do not hold a seat in this room (join first)")]
            if kind == "move":
                move = message["move"].lower()
                if move not in MOVES:
                    return [error("bad_move", f"move must be one of {', '.join(MOVES)}")]
                seat.player.push(move)
                return []
            if kind == "leave":
                self._release(seat)
                return []
            if kind == "respawn":
                sid = f"s{seat.index}"
                if not self.request.classic:
                    return [error("no_respawn", "only classic rooms respawn")]
                if self.alive.get(sid):
                    return [error("no_respawn", "your snake is alive")]
                self._commands.append(("spawn", seat.index, None))
                return []
        return [error("unknown_type", f"unknown message type {kind!r}")]

    def _join(self, conn: str, seat: Seat | None, message: dict) -> list[dict]:
        token = message.get("token")
        if token is not None:
            found = next((s for s in self.seats if s.token and hmac.compare_digest(s.token, token)), None)
            if found is None:
                return [error("bad_token", "that token holds no seat here (expired or never issued)")]
            if seat is not None and seat is not found:
                return [error("already_playing", "this socket already holds another seat")]
            found.holder, found.left_at = conn, None
            return [{"type": "welcome", "player_id": f"s{found.index}", "token": found.token}]
        if seat is not None:
            return [error("already_playing", "this socket already holds a seat")]
        if self.status == "finished" or (self.status == "running" and not self.request.classic):
            return [error("room_full", "no open seat: the game has started")]
        free = next((s for s in self.seats if s.open), None)
        if free is None:
            return [error("room_full", "no open seat in this room")]
        free.token, free.holder, free.left_at = secrets.token_urlsafe(18), conn, None
        free.player.name = message["name"]
        if self.match is not None:  # classic: on the board from the next turn
            self._commands.append(("spawn", free.index, message["name"]))
        return [{"type": "welcome", "player_id": f"s{free.index}", "token": free.token}]

    # --- what the lobby sees ------------------------------------------------------------------

    def summary(self) -> dict:
        g = self.engine.geometry
        with self.lock:
            seats = [{"id": f"s{s.index}", "name": s.player.name, "kind": self.rules.kind(s.bot, s.player),
                      "alive": bool(self.alive.get(f"s{s.index}", False)), "open": s.open} for s in self.seats]
            return {"id": self.id, "ruleset": self.request.ruleset, "map": self.request.map, "width": g.width,
                    "height": g.height, "settings": self.engine.settings, "tick_ms": self.request.tick_ms,
                    "status": self.status, "turn": self.turn, "seats": seats, "recording": self.recording}

    def announce(self) -> None:
        self.hub.announce(self.id, self.summary())

    def humans_connected(self) -> bool:
        with self.lock:
            return any(s.holder for s in self.seats)


class RoomRegistry:
    """The rooms this process owns; closes idle and long-finished ones."""

    def __init__(self, config: ServerConfig, hub: Hub, rules: SeatRules,
                 on_saved: Callable[[Path], None] | None = None) -> None:
        self.config = config
        self.hub = hub
        self.rules = rules
        self.on_saved = on_saved
        self._rooms: dict[str, Room] = {}
        self._costs: dict[str, float] = {}  # estimated share of a core per room (snek_viewer.budget)
        self._lock = threading.Lock()
        self.scheduler = Scheduler(pool_threads=max(1, config.max_rooms), inline_step_s=config.inline_step_ms / 1000)
        self._stop = threading.Event()
        self._janitor = threading.Thread(target=self._clean_loop, name="room-janitor", daemon=True)
        self._janitor.start()

    def create(self, body: object, permanent: bool = False) -> dict:
        """Validate and open a room; returns its summary as created (before its loop starts)."""
        request = RoomRequest.parse(body, self.rules, self.config.max_seats)
        cost = room_cost(request.ruleset, request.width, request.height, request.seats, request.tick_ms, self.rules)
        budget = self.config.cpu_budget
        if budget and cost > budget:
            raise ValueError(f"this room needs about {cost:.0%} of a core to keep its {request.tick_ms} ms tick, "
                             f"more than the server allows ({budget:.0%}): use fewer, cheaper bots or a longer tick")
        with self._lock:
            if len(self._rooms) >= self.config.max_rooms:
                raise RoomLimit(f"room limit reached ({self.config.max_rooms} rooms)")
            used = sum(self._costs.values())
            if budget and used + cost > budget:
                raise RoomLimit(f"the server is busy: this room needs about {cost:.0%} of a core and "
                                f"{max(0.0, budget - used):.0%} is left (try later, or a longer tick_ms)")
            room = Room(uuid.uuid4().hex[:10], request, self.config, self.hub, self.rules, self.scheduler,
                        self.on_saved, permanent)
            self._rooms[room.id] = room
            self._costs[room.id] = cost
        created = {**room.summary(), "spectators": 0}
        room.start()
        return created

    def get(self, room_id: str) -> Room | None:
        with self._lock:
            return self._rooms.get(room_id)

    def close(self, room_id: str) -> None:
        with self._lock:
            room = self._rooms.pop(room_id, None)
            self._costs.pop(room_id, None)
        if room:
            room.stop()
            self.hub.close_room(room_id)

    def _clean_loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.clean()
            except Exception:  # the janitor outlives any one bad pass (a hub outage, a room's bug)
                log.exception("room janitor: a pass failed")

    def clean(self) -> None:
        now = time.monotonic()
        with self._lock:
            rooms = list(self._rooms.values())
        for room in rooms:
            finished_long_ago = room.finished_at is not None and now - room.finished_at > self.config.finished_keep_s
            idle = (not room.permanent and now - room.last_active > self.config.idle_s
                    and self.hub.spectators(room.id) == 0 and not room.humans_connected())
            if finished_long_ago or idle:
                self.close(room.id)
            elif self.hub.spectators(room.id):
                room.last_active = now

    def close_all(self) -> None:
        """Stop every room (endless rooms save what they played) and the janitor."""
        self._stop.set()
        with self._lock:
            ids = list(self._rooms)
        for room_id in ids:
            self.close(room_id)
        self.scheduler.close()
