"""A trained policy as a bot: Battlesnake request in, move out, numpy only.

Why the engine's own observer: the request becomes a one-game batch (``load_request``) and the
very ``Observer`` the envs use encodes it, so the bot sees exactly what it saw in training (same
planes, same action mask) on any board size: the window keeps the trained radius, with walls
outside the board.  The move is the argmax over the masked logits, so a state always gets the
same answer.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from arena.battlesnake import RequestError, load_request
from arena.env.observation import Observer
from arena.geometry import MOVES
from arena.train.numpy_net import NumpyNet

POLICY_FILE = "policy.npz"  # what ``snek train`` keeps up to date in its output folder
CACHED_OBSERVERS = 16


def resolve_policy_path(path: str | Path) -> Path:
    """The ``.npz`` a path names: the file itself, a ``snek train`` output folder (its latest
    ``policy.npz``), or a checkpoint ``.pt`` (the ``.npz`` written beside it)."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / POLICY_FILE
    elif p.suffix == ".pt":
        p = p.with_suffix(".npz")
    if not p.is_file():
        raise ValueError(f"no trained policy at {path} (expected an .npz, a checkpoint .pt with its .npz beside it, "
                         f"or a 'snek train' output folder)")
    return p


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, size: int) -> NumpyNet:
    """A policy file loaded once (a tournament creates a player per game); a rewritten file is read again."""
    return NumpyNet.load(path)


class LearnedPolicy:
    """``policy(state) -> move`` for a policy exported by ``snek train``.  Bounded: one forward pass."""

    bounded = True

    def __init__(self, path: str | Path) -> None:
        self.path = resolve_policy_path(path)
        stat = self.path.stat()
        self.net = _load(str(self.path.resolve()), stat.st_mtime_ns, stat.st_size)
        self._observers: OrderedDict[tuple, Observer] = OrderedDict()

    def __call__(self, state: dict) -> str:
        try:
            engine, batch, ids = load_request(state)
        except RequestError:
            return MOVES[0]  # a request our rules cannot hold: answer rather than crash the game
        you = str((state.get("you") or {}).get("id"))
        if you not in ids:
            return MOVES[0]
        seat = ids.index(you)
        observer = self._observer(engine, batch.seats)
        game = [0]
        parts = {k: v[seat:seat + 1] for k, v in observer.encode(batch, game).items()}
        mask = observer.action_masks(batch, game)[seat:seat + 1]
        return MOVES[int(self.net.act(parts, mask)[0])]

    def _observer(self, engine, seats: int) -> Observer:
        """One observer per (rules, board, seats), kept: building its tables costs more than a move."""
        key = (engine.ruleset.name, engine.geometry.width, engine.geometry.height,
               tuple(sorted(engine.settings.items())), seats)
        found = self._observers.get(key)
        if found is None:
            found = Observer(engine, seats, "egocentric", self.net.view_radius, self.net.meta["obs_format"])
            self._observers[key] = found
            if len(self._observers) > CACHED_OBSERVERS:
                self._observers.popitem(last=False)
        else:
            self._observers.move_to_end(key)  # its engine has the same rules: it answers this batch's mask
        return found


def stdio_main(argv: list[str] | None = None) -> int:
    """``python -m arena.train.player PATH``: the policy as a stdio bot (docs/bots.md's protocol), for
    ``cmd:`` specs and any arena that runs bots as processes."""
    import json
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m arena.train.player PATH (an .npz, a checkpoint .pt or a 'snek train' folder)",
              file=sys.stderr)
        return 2
    try:
        policy = LearnedPolicy(args[0])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in sys.stdin:
        state = json.loads(line)
        if state.get("type") == "move":
            print(json.dumps({"move": policy(state), "turn": state.get("turn")}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(stdio_main())
