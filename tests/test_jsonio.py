"""arena.jsonio: orjson's speed without losing what the stdlib encoder accepted."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena import jsonio
from arena.replay import ReplayWriter, read_replay

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=12)
    | st.floats(allow_nan=False, allow_infinity=False, width=32),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@given(JSON_VALUES)
def test_round_trips_and_reads_like_the_stdlib(value):
    data = jsonio.dumps(value)
    assert jsonio.loads(data) == value == json.loads(data)
    assert jsonio.dumps_line(value) == data + b"\n"


@given(JSON_VALUES.filter(lambda v: "." not in json.dumps(v) and "e" not in json.dumps(v).lower()))
def test_bytes_match_the_stdlib_compact_utf8_form(value):
    """Frames hold ints, strings, bools and nulls: their bytes are what json.dumps gave (UTF-8, compact)."""
    assert jsonio.dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def test_what_orjson_refuses_still_encodes():
    value = {"name": "bad\ud800name", "\udfffkey": 1, 3: "int key", "big": 2**70, "neg": -(2**65),
             "nan": float("nan"), "inf": float("-inf"), "t": (1, 2)}
    data = jsonio.dumps(value)
    data.decode("utf-8")  # strict: valid UTF-8, no surrogates left
    assert json.loads(data) == {"name": "bad\ufffdname", "\ufffdkey": 1, "3": "int key", "big": 2**70,
                                "neg": -(2**65), "nan": None, "inf": None, "t": [1, 2]}
    assert jsonio.dumps(float("nan")) == b"null"  # the fast path writes the same


def test_what_orjson_misreads_or_refuses_reads_like_the_stdlib():
    assert jsonio.loads(b'{"seed":123456789012345678901234567890}') == {"seed": 123456789012345678901234567890}
    assert jsonio.loads(b"[-9223372036854775809]") == [-9223372036854775809]  # orjson gives a float
    assert jsonio.loads(b'{"name":"a\\ud800b"}') == {"name": "a\ufffdb"}  # lone surrogate escape: cleaned
    assert jsonio.loads('"x\ud800"') == "x\ufffd"  # a str holding one
    got = jsonio.loads(b"[NaN, 1e400]")
    assert got[0] != got[0] and got[1] == float("inf")


@pytest.mark.parametrize("text", [b"[1,", b"", b"{'a': 1}", b"\xff", b"[1] 2"])
def test_bad_json_raises_the_stdlib_error(text):
    with pytest.raises(ValueError) as caught:
        jsonio.loads(text)
    try:
        json.loads(text)
    except ValueError as want:
        assert str(caught.value) == str(want)


def test_a_replay_with_a_lone_surrogate_name_is_readable(tmp_path):
    path = tmp_path / "game.jsonl.gz"
    header = {"game_id": "g", "ruleset": "solo", "settings": {}, "seed": 2**64 - 1, "width": 7, "height": 7,
              "players": [{"id": "s0", "name": "odd\ud83dname", "color": "#e6194b", "kind": "python"}]}
    with ReplayWriter(path, header, follow=False) as writer:
        writer.write_frame({"turn": 0, "food": [], "hazards": [], "snakes": [
            {"id": "s0", "body": [[1, 1]] * 3, "health": 100, "alive": True, "death": None, "move": None,
             "latency_ms": None, "error": None}]})
    replay = read_replay(path)
    assert replay.header["players"][0]["name"] == "odd\ufffdname" and replay.header["seed"] == 2**64 - 1


def test_deep_nesting_fails_as_the_stdlib_fails():
    """Callers turn the stdlib's RecursionError into "nested too deeply"; orjson alone would read it."""
    deep = b"[" * 1000 + b"]" * 1000
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(RecursionError):
        jsonio.loads(deep)
    wide = jsonio.dumps([[i, i] for i in range(400)])  # many brackets, shallow: read all the same
    assert jsonio.loads(wide) == json.loads(wide)
