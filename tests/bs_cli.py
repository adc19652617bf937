"""Write games the way Battlesnake's CLI does with ``battlesnake play --output FILE``.

Its Go toolchain cannot be installed here (no Go module proxy in reach), so this follows its source
(``cli/commands/play.go`` and ``output.go`` in the public rules repository): line 1 is the
``client.Game`` object, then one ``client.SnakeRequest`` per turn from 0 to the final turn (the board
lists live snakes only; ``you`` is whichever snake Go's map iteration gives first, dead or alive),
then ``{"winnerId", "winnerName", "isDraw"}``.  Keys are in the Go structs' field order.  The game
is played by the pure-Python rules model (tests/model.py) with its own seed, which the file does
not record, as Battlesnake's does not.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

from model import MODES, ModelGame
from play import model_moves

SETTINGS = {"foodSpawnChance": 15, "minimumFood": 1, "hazardDamagePerTurn": 14, "shrinkEveryNTurns": 25}


def client_game(game_id: str, ruleset: str, settings: dict, timeout: int = 500) -> dict:
    return {
        "id": game_id,
        "ruleset": {"name": ruleset, "version": "cli", "settings": {
            "foodSpawnChance": settings["foodSpawnChance"], "minimumFood": settings["minimumFood"],
            "hazardDamagePerTurn": settings["hazardDamagePerTurn"], "hazardMap": "", "hazardMapAuthor": "",
            "royale": {"shrinkEveryNTurns": settings["shrinkEveryNTurns"]},
            "squad": {"allowBodyCollisions": False, "sharedElimination": False, "sharedHealth": False,
                      "sharedLength": False}}},
        "map": "standard",
        "timeout": timeout,
        "source": "",
    }


def coord(p) -> dict:
    return {"x": p[0], "y": p[1]}


def client_snake(snake: dict, name: str, color: str, latency: int) -> dict:
    return {"id": snake["id"], "name": name, "latency": str(latency), "health": snake["health"],
            "body": [coord(p) for p in snake["body"]], "head": coord(snake["body"][0]),
            "length": len(snake["body"]), "shout": "", "squad": "",
            "customizations": {"color": color, "head": "default", "tail": "default"}}


def play_cli_game(path: Path, ruleset: str = "standard", snakes: int = 4, size: int = 11, seed: int = 0,
                  final_turn: bool = True, max_turns: int = 400) -> list[dict]:
    """Play a game and write it as the CLI would; returns the model's own frames (the truth,
    with Battlesnake ids), for comparison with what an import reconstructs."""
    rnd = random.Random(seed)
    known = MODES[ruleset].defaults()
    game = ModelGame(ruleset, size, size, snakes, seed=seed + 1000,
                     settings={k: v for k, v in SETTINGS.items() if k in known})
    ids = {f"s{i}": str(uuid.UUID(int=rnd.getrandbits(128))) for i in range(snakes)}
    names = {f"s{i}": f"snake {i}" for i in range(snakes)}
    colors = {f"s{i}": f"#{rnd.getrandbits(24):06x}" for i in range(snakes)}
    info = client_game(str(uuid.UUID(int=rnd.getrandbits(128))), ruleset, SETTINGS)
    you = rnd.choice(list(ids))
    truth, lines = [], [info]
    while True:
        frame = game.frame()
        for snake in frame["snakes"]:
            snake["id"] = ids[snake["id"]]
            if snake["death"] and snake["death"]["by"]:
                snake["death"]["by"] = ids[snake["death"]["by"]]
        truth.append(frame)
        by_id = {s["id"]: s for s in frame["snakes"]}
        latency = {sid: (0 if frame["turn"] == 0 else rnd.randint(1, 80)) for sid in ids}
        lines.append({
            "game": info, "turn": frame["turn"],
            "board": {"height": size, "width": size,
                      "snakes": [client_snake(s, names[seat], colors[seat], latency[seat])
                                 for seat, s in zip(ids, frame["snakes"]) if s["alive"]],
                      "food": [coord(p) for p in frame["food"]],
                      "hazards": [coord(p) for p in frame["hazards"]]},
            "you": client_snake(by_id[ids[you]], names[you], colors[you], latency[you]),
        })
        if game.done or frame["turn"] >= max_turns:
            break
        game.step(model_moves(game, rnd, chaos=0.15))
    if not final_turn:
        lines.pop()  # CLI versions before "Export final turn" never wrote the last state
    alive = [seat for seat, s in zip(ids, truth[-1]["snakes"]) if s["alive"]]
    winner = alive[0] if len(alive) == 1 else None
    lines.append({"winnerId": ids[winner] if winner else "", "winnerName": names[winner] if winner else "",
                  "isDraw": snakes > 1 and not alive})
    path.write_text("".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines))
    return truth
