"""A stdio bot: one JSON line in per event, one {"move": ...} line out per "move" event."""
import json
import sys

STEP = {"up": (0, 1), "down": (0, -1), "left": (-1, 0), "right": (1, 0)}
for line in sys.stdin:
    state = json.loads(line)
    if state["type"] != "move":
        continue  # "start" and "end" need no answer
    board, head = state["board"], state["you"]["head"]
    taken = {(p["x"], p["y"]) for s in board["snakes"] for p in s["body"][:-1]}
    safe = [m for m, (dx, dy) in STEP.items() if 0 <= head["x"] + dx < board["width"]
            and 0 <= head["y"] + dy < board["height"] and (head["x"] + dx, head["y"] + dy) not in taken]
    print(f"turn {state['turn']}: safe {safe}", file=sys.stderr, flush=True)  # lands in the replay
    print(json.dumps({"move": (safe or ["up"])[0], "turn": state["turn"]}), flush=True)  # echoing the turn is optional
