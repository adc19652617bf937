"""A tournament's results for people and scripts: results.json, leaderboard.csv, report.html.

``summary`` is the one dict behind all three (and ``snek tournament --json``).  The HTML page is
self-contained -- inline CSS and SVG, no script, no network -- so it opens from a file anywhere;
its game list links to the replay files beside it.
"""

from __future__ import annotations

import csv
import html
import json
from dataclasses import asdict, fields
from pathlib import Path

from arena import jsonio
from arena.standings import Leaderboard, Standing

SUMMARY_FORMAT = "snek-tournament-summary/1"
LISTED_GAMES = 1000  # the page links the first games; results.jsonl has them all
PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
           "#fabed4", "#469990", "#9a6324", "#800000", "#808000", "#000075", "#a9a9a9", "#000000")


def summary(board: Leaderboard, config=None) -> dict:
    """Leaderboard, head-to-head and rating history as plain JSON data."""
    out = {"format": SUMMARY_FORMAT, "games": board.played, "failed_games": len(board.failed),
           "failures": [{"index": i, "reason": r} for i, r in board.failed]}
    if config is not None:
        out["tournament"] = {**config.identity(), "games": config.games}
    out["leaderboard"] = [{"rank": n, **asdict(s)} for n, s in enumerate(board.standings(), 1)]
    out["head_to_head"] = board.head_to_head()
    out["rating_history"] = board.rating_history()
    return out


def write_csv(path: Path, standings: list[Standing]) -> None:
    columns = [f.name for f in fields(Standing)]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rank", *columns])
        for n, s in enumerate(standings, 1):
            writer.writerow([n, *(("" if v is None else v) for v in (getattr(s, c) for c in columns))])


def write_reports(config, board: Leaderboard) -> None:
    """results.json, leaderboard.csv and report.html in ``config.out_dir``."""
    out = Path(config.out_dir)
    data = summary(board, config)
    (out / "results.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    write_csv(out / "leaderboard.csv", board.standings())
    (out / "report.html").write_text(render_html(data, listed_games(out)), encoding="utf-8")


def listed_games(out: Path) -> list[dict]:
    """The first games (by index) from results.jsonl, for the page's replay links."""
    path = out / "results.jsonl"
    games = []
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                try:
                    game = jsonio.loads(line)
                except ValueError:
                    continue
                if game["index"] < LISTED_GAMES:
                    games.append(game)
    return sorted(games, key=lambda g: g["index"])


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def rating_chart(history: dict, width: int = 720, height: int = 300) -> str:
    """An inline SVG line chart: each bot's rating (ordinal) after each game."""
    if not history["games"]:
        return "<p>No games rated.</p>"
    return line_chart(history["games"], history["ratings"], "rating", "ratings over games",
                      x_label=lambda g: f"game {g}", width=width, height=height)


def line_chart(xs: list, series: dict[str, list], css_class: str, title: str, x_label=str,
               y_label=lambda v: f"{v:.1f}", low: float | None = None, high: float | None = None,
               width: int = 720, height: int = 300) -> str:
    """An inline SVG line chart (no script, no network): one polyline per named series over ``xs``.

    A ``None`` value is a gap (that series has no point there).  ``low``/``high`` fix the y range
    (e.g. 0..1 for rates); by default it spans the values."""
    values = [v for s in series.values() for v in s if v is not None]
    if not xs or not values:
        return f"<p>No data for {html.escape(title)} yet.</p>"
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    left, right, top, bottom = 50, 150, 10, 30
    x = lambda g: left + (width - left - right) * ((g - xs[0]) / max(1, xs[-1] - xs[0]))
    y = lambda v: top + (height - top - bottom) * (1 - (v - low) / (high - low))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{html.escape(title)}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#888"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#888"/>']
    for v in (low, (low + high) / 2, high):
        parts.append(f'<text x="{left - 5}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11">{y_label(v)}</text>')
    parts.append(f'<text x="{left}" y="{height - 10}" font-size="11">{html.escape(x_label(xs[0]))}</text>')
    parts.append(f'<text x="{width - right}" y="{height - 10}" text-anchor="end" font-size="11">'
                 f'{html.escape(x_label(xs[-1]))}</text>')
    for n, (name, ys) in enumerate(series.items()):
        color = PALETTE[n % len(PALETTE)]
        points = [(x(g), y(v)) for g, v in zip(xs, ys) if v is not None]
        if not points:
            continue
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline class="{css_class}" data-series="{html.escape(name)}" fill="none" '
                     f'stroke="{color}" stroke-width="2" points="{coords}"/>')
        parts.append(f'<text x="{width - right + 8}" y="{points[-1][1] + 4:.1f}" font-size="12" fill="{color}">'
                     f'{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heatmap(data: dict) -> str:
    """Head-to-head as a table coloured from red (rarely ahead) to green (usually ahead)."""
    names = [row["name"] for row in data["leaderboard"]]
    cells = {(h["bot"], h["opponent"]): h for h in data["head_to_head"]}
    rows = ["<table class='h2h'><tr><th>ahead of &rarr;</th>"
            + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"]
    for a in names:
        row = [f"<tr><th>{html.escape(a)}</th>"]
        for b in names:
            h = cells.get((a, b))
            if h is None:
                row.append("<td class='none'>-</td>")
                continue
            rate = h["ahead_rate"]
            hue = int(120 * rate)  # 0 red .. 120 green
            row.append(f"<td style='background:hsl({hue},70%,80%)' title='{h['ahead']} of {h['games']} games'>"
                       f"{100 * rate:.0f}%<br><small>{h['ahead']}/{h['games']}</small></td>")
        rows.append("".join(row) + "</tr>")
    return "".join(rows) + "</table>"


COLUMNS = [("rank", "#"), ("name", "bot"), ("ordinal", "rating"), ("mu", "mu"), ("sigma", "sigma"),
           ("games", "games"), ("wins", "wins"), ("win_rate", "win %"), ("avg_place", "avg place"),
           ("avg_length", "avg length"), ("avg_turns", "avg turns"), ("death", "usual death"),
           ("errors", "errors"), ("timeouts", "timeouts"), ("latency_ms", "latency ms"),
           ("latency_p95_ms", "p95 ms")]


def leaderboard_html(data: dict) -> str:
    rows = ["<table class='board'><tr>" + "".join(f"<th>{t}</th>" for _, t in COLUMNS) + "</tr>"]
    for s in data["leaderboard"]:
        cells = []
        for key, _ in COLUMNS:
            if key == "win_rate":
                text = f"{100 * s['win_rate']:.0f} ({100 * s['win_low']:.0f}&ndash;{100 * s['win_high']:.0f})"
            elif key in ("name", "death"):
                text = html.escape(str(s[key]))
            else:
                text = _fmt(s[key])
            cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(rows) + "</table>"


def games_html(games: list[dict], total: int) -> str:
    rows = ["<table class='games'><tr><th>game</th><th>seed</th><th>players (by seat)</th><th>winner</th>"
            "<th>turns</th><th>replay</th></tr>"]
    for g in games:
        names = g.get("names") or []
        winner = names[g["seats"].index(g["winner"])] if g.get("winner") in g["seats"] else "-"
        file = f"game-{g['index']:05d}.jsonl.gz"
        link = "failed: " + html.escape(g["failed"]) if g.get("failed") else f"<a href='{file}'>{file}</a>"
        rows.append(f"<tr><td>{g['index']}</td><td>{g['seed']}</td><td>{html.escape(', '.join(names))}</td>"
                    f"<td>{html.escape(winner)}</td><td>{g['turns']}</td><td>{link}</td></tr>")
    more = f"<p>The first {len(games)} of {total} games; results.jsonl lists them all.</p>"
    return "".join(rows) + "</table>" + (more if total > len(games) else "")


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:nth-child(2){text-align:left}
.board{font-size:13px}.board td{white-space:nowrap}
.h2h td{text-align:center;min-width:4em}.games td:nth-child(3){text-align:left}small{color:#555}"""


def render_html(data: dict, games: list[dict]) -> str:
    t = data.get("tournament", {})
    rules = t.get("rules", {})
    on = f" on map {rules['map']}" if rules.get("map") else ""
    title = (f"{data['games']} games, {rules.get('ruleset', '?')}{on}, {t.get('players_per_game', '?')} per game, "
             f"seed {t.get('seed', '?')}")
    failed = f"<p>{data['failed_games']} game(s) could not be played.</p>" if data["failed_games"] else ""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>snek tournament: "
            f"{html.escape(title)}</title><style>{STYLE}</style></head><body>"
            f"<h1>Tournament</h1><p>{html.escape(title)}</p>{failed}"
            f"<h2>Leaderboard</h2>{leaderboard_html(data)}"
            f"<p>Rating is OpenSkill's ordinal (mu &minus; 3 sigma); win % with its 95% Wilson interval.</p>"
            f"<h2>Rating over the games</h2>{rating_chart(data['rating_history'])}"
            f"<h2>Head to head</h2><p>How often the row's bot finished ahead of the column's, "
            f"in the games both played.</p>{heatmap(data)}"
            f"<h2>Games</h2>{games_html(games, data['games'] + data['failed_games'])}</body></html>\n")
