"""The project's one JSON codec: orjson for speed, with the stdlib's tolerance where orjson refuses.

Why one module: replays, tournament files, websocket messages and bot requests are written on every
turn, and the stdlib encoder was a large share of a game-turn.  orjson is several times faster, but it
refuses things the stdlib accepted and the project meets at its edges: lone surrogates in strings
(snake names, shouts, imported replays, bot answers), integers beyond 64 bits, non-``str`` keys, NaN.
Here the fast path is orjson; when it refuses, the object is cleaned (lone surrogates become U+FFFD,
non-finite floats become ``null`` as orjson writes them) and encoded by the stdlib, so every input the
old code accepted still encodes, and the output is always valid UTF-8 JSON.

Output is compact (``,`` and ``:`` with no spaces) and UTF-8, not ASCII-escaped.  Reading parses with
orjson too, except where it could differ from the stdlib: integers of 19 or more digits (orjson reads
those beyond 64 bits as floats), texts with hundreds of brackets (the stdlib refuses deep nesting, orjson
reads it; such texts take the stdlib's path) and text orjson rejects but the stdlib reads (NaN, lone surrogate
escapes); the stdlib's strings are then cleaned the same way, so text entering the program is clean
(NaN read stays a float, as the stdlib gave it).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import orjson

__all__ = ["dumps", "dumps_line", "dumps_text", "loads", "clean", "clean_text", "JSONDecodeError"]

JSONDecodeError = json.JSONDecodeError  # orjson's decode error is a subclass: one name catches both

_LONG_NUMBER = re.compile(rb"\d{19}")  # orjson reads integers past 64 bits as floats; the stdlib keeps them
# orjson reads 1,024 levels deep where the stdlib raises RecursionError (callers turn it into "nested too
# deeply"); a text with fewer open brackets than this cannot nest deep enough for the two to differ
_SHALLOW = 256
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it can be encoded as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


def clean(value: Any, finite: bool = True) -> Any:
    """A copy of a JSON-like value with clean strings (keys too) and, if ``finite``, NaN and infinities
    as None (what orjson writes for them)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float):
        return value if not finite or math.isfinite(value) else None
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean(v, finite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v, finite) for v in value]
    return value


def _option(sort_keys: bool, newline: bool) -> int:
    return (orjson.OPT_SORT_KEYS if sort_keys else 0) | (orjson.OPT_APPEND_NEWLINE if newline else 0)


def dumps(obj: Any, *, sort_keys: bool = False, default: Callable[[Any], Any] | None = None,
          newline: bool = False) -> bytes:
    """``obj`` as compact UTF-8 JSON bytes (``newline`` appends ``\\n``: one JSON-lines record)."""
    try:
        return orjson.dumps(obj, default=default, option=_option(sort_keys, newline))
    except TypeError:  # orjson.JSONEncodeError: surrogates, big ints, non-str keys, or an unknown type
        text = json.dumps(clean(obj), separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys,
                          default=default)
        return (text + "\n" if newline else text).encode()


def dumps_line(obj: Any) -> bytes:
    """One JSON-lines record: compact JSON and a newline."""
    return dumps(obj, newline=True)


def dumps_text(obj: Any, **options: Any) -> str:
    """``dumps`` as ``str``, for APIs that take text (websockets, redis, stdout)."""
    return dumps(obj, **options).decode()


def loads(data: bytes | bytearray | memoryview | str, clean_strings: bool = True) -> Any:
    """Parse JSON; raises :class:`JSONDecodeError` (a ``ValueError``) with the stdlib's message.

    ``clean_strings=False`` keeps lone surrogates, for a caller that refuses such text itself (the live
    server answers a join whose name holds one with ``bad_name``)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") < _SHALLOW and _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the stdlib may still read it (NaN, lone surrogate escapes), or says why not
    value = json.loads(data if isinstance(data, str) else raw)
    return clean(value, finite=False) if clean_strings else value
