"""Terminal pictures of a frame: one renderer for `snek play`, `snek replay show` and the envs' ansi mode."""

from __future__ import annotations

from rich.console import Group
from rich.errors import StyleSyntaxError
from rich.style import Style
from rich.table import Table
from rich.text import Text

FOOD_STYLE = "bold bright_red"
HAZARD_BG = "on grey23"
EMPTY = "· "


def safe_style(color: str | None, fallback: str = "white") -> str:
    """A player's colour as a Rich style; colours come from files and bots, so one Rich cannot parse is replaced."""
    if not color:
        return fallback
    try:
        Style.parse(color)
    except StyleSyntaxError:
        return fallback
    return color


def board_text(frame: dict, width: int, height: int, colors: dict[str, str] | None = None) -> Text:
    """The board as coloured text, y up (row 0 printed last), two characters per cell."""
    colors = colors or {}
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    for x, y in frame.get("food", []):
        cells[(x, y)] = ("● ", FOOD_STYLE)
    for snake in frame["snakes"]:
        if not snake["alive"]:
            continue
        color = safe_style(colors.get(snake["id"]))
        for i, (x, y) in enumerate(reversed(snake["body"])):
            head = i == len(snake["body"]) - 1
            cells[(x, y)] = ("██" if head else "▓▓", f"bold {color}" if head else color)
    hazards = {tuple(p) for p in frame.get("hazards", [])}
    text = Text()
    for y in range(height - 1, -1, -1):
        for x in range(width):
            glyph, style = cells.get((x, y), (EMPTY, "grey42"))
            if (x, y) in hazards:
                style = f"{style} {HAZARD_BG}"
            text.append(glyph, style=style)
        text.append("\n")
    return text


def snakes_table(frame: dict, names: dict[str, str] | None = None, colors: dict[str, str] | None = None) -> Table:
    names, colors = names or {}, colors or {}
    table = Table(box=None, pad_edge=False, title=f"turn {frame['turn']}", title_justify="left")
    for column in ("snake", "len", "hp", "status"):
        table.add_column(column, justify="right" if column in ("len", "hp") else "left")
    for snake in frame["snakes"]:
        death = snake.get("death")
        if snake["alive"]:
            status = snake.get("error") or ""
        else:
            killer = f", by {names.get(death['by'], death['by'])}" if death.get("by") else ""
            status = f"{death['cause']} (t{death['turn']}{killer})"
        table.add_row(Text(names.get(snake["id"], snake["id"]), style=safe_style(colors.get(snake["id"]))),
                      str(len(snake["body"])), str(snake["health"]), Text(status))
    return table


def frame_view(frame: dict, width: int, height: int, names: dict[str, str] | None = None,
               colors: dict[str, str] | None = None) -> Group:
    return Group(board_text(frame, width, height, colors), snakes_table(frame, names, colors))


def header_styles(header: dict) -> tuple[dict[str, str], dict[str, str]]:
    """Player names and colours by snake id, from a replay header."""
    players = header.get("players", [])
    return {p["id"]: p.get("name", p["id"]) for p in players}, {p["id"]: p.get("color", "white") for p in players}
