"""What a web client may put in a seat: the server's security rule.

A seat posted over HTTP (``POST /api/rooms``) or given to a room names a bot by *name only*: a
built-in bot (the ``snek.bots`` registry) or a name the operator registered with ``--bot NAME=SPEC``.
The string is looked up in those two tables and never handed to the bot-spec parser, so a web
client can never start a subprocess (``cmd:``), import a module (``pkg.mod:attr``, ``file.py:attr``)
or make the server fetch a URL (``http://...``).  Only the operator's own ``--bot`` specs, given on
the command line, may do those things.
"""

from __future__ import annotations

from arena.players import Player, builtin_player, load_player
from arena.registry import builtin_bots

FILL_BOT = "safe"  # fills the seats nobody took when a waiting room starts


class SeatRules:
    def __init__(self, operator_bots: dict[str, str]) -> None:
        self.operator_bots = dict(operator_bots)

    def names(self) -> list[str]:
        return sorted(set(builtin_bots()) | set(self.operator_bots))

    def check(self, seat: object) -> None:
        """A seat is None (open for a human) or the name of an allowed bot; anything else is a ValueError."""
        if seat is None:
            return
        if not isinstance(seat, str):
            raise ValueError(f"a seat is a bot name or null, got {type(seat).__name__}")
        if seat not in self.operator_bots and seat not in builtin_bots():
            raise ValueError(f"unknown bot {seat[:40]!r}: seats may name only {', '.join(self.names())} "
                             "(built-in bots and the operator's --bot names)")

    def kind(self, seat: str | None, player: Player) -> str:
        """``human``, ``builtin``, or the transport of an operator's bot (``stdio``, ``http``, ``python``)."""
        if seat is None:
            return "human"
        return player.kind if seat in self.operator_bots else "builtin"

    def player(self, seat: str) -> Player:
        """A fresh player for an allowed seat name (call ``check`` first)."""
        self.check(seat)
        if seat in self.operator_bots:
            return load_player(self.operator_bots[seat], name=seat)  # the operator's spec: trusted
        return builtin_player(seat)  # bounded built-in bots answer inline: no thread hand-over per move


def parse_bot_option(text: str) -> tuple[str, str]:
    """``--bot NAME=SPEC`` -> (name, spec); the spec is checked by loading it once."""
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not name or not spec:
        raise ValueError(f"--bot expects NAME=SPEC, got {text!r}")
    if len(name) > 32:
        raise ValueError(f"--bot name {name!r} is longer than 32 characters")
    load_player(spec, name=name).close()
    return name, spec
