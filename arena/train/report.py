"""``report.html`` for a training run: the learning curve and win rates over time, self-contained.

Built from the run's ``metrics.csv`` (and ``run.json``, its settings) with the tournament report's
chart (``arena.report.line_chart``: inline SVG, inline CSS, no script, no network), so it opens
from a file anywhere and can be rewritten at every checkpoint.
"""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

from arena.report import STYLE, line_chart

RUN_FILE = "run.json"


def read_metrics(path: Path) -> list[dict]:
    """metrics.csv rows with numbers as floats (empty cells as None)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _number(text: str):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _steps(v: float) -> str:
    return f"{v / 1e6:.2f}M steps" if v >= 1e6 else f"{v:,.0f} steps"


def _rate(v: float) -> str:
    return f"{100 * v:.0f}%"


def render(rows: list[dict], run: dict) -> str:
    steps = [r["steps"] for r in rows]
    columns = list(rows[0]) if rows else []
    evals = [c for c in columns if c.startswith("eval_win_")]
    trains = [c for c in columns if c.startswith("train_win_")]
    evaluated = [r for r in rows if any(r[c] is not None for c in evals)]
    last = rows[-1] if rows else {}
    count = lambda key: f"{int(last.get(key) or 0):,}"
    facts = [("learner steps", count("steps")), ("updates", count("update")), ("games", count("games")),
             ("training time", f"{(last.get('seconds') or 0) / 60:.1f} min"),
             ("hardest bot unlocked", last.get("hardest") or "-")]
    settings = ", ".join(f"{k} {v}" for k, v in run.items() if k in (
        "ruleset", "map", "width", "height", "snakes", "seed", "obs_format", "games", "rollout", "lr", "ent_coef",
        "rewards"))
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in facts)
    eval_rows = "".join(
        f"<tr><td>{int(r['steps']):,}</td>" + "".join(
            f"<td>{'-' if r[c] is None else _rate(r[c])}</td>" for c in evals) + "</tr>" for r in evaluated)
    eval_table = ("<table class='evals'><tr><th>steps</th>" + "".join(
        f"<th>vs {html.escape(c[len('eval_win_'):])}</th>" for c in evals) + f"</tr>{eval_rows}</table>")
    curve = line_chart(steps, {"return (last 100 games)": [r["mean_return"] for r in rows]}, "return",
                       "learning curve", x_label=_steps, y_label=lambda v: f"{v:.2f}")
    length = line_chart(steps, {"game length (last 100)": [r["mean_length"] for r in rows]}, "length",
                        "game length", x_label=_steps, y_label=lambda v: f"{v:.0f}")
    trained = line_chart(steps, {c[len("train_win_"):]: [r[c] for r in rows] for c in trains}, "train-win",
                         "training win rates", x_label=_steps, y_label=_rate, low=0.0, high=1.0)
    evaluation = line_chart([r["steps"] for r in evaluated],
                            {c[len("eval_win_"):]: [r[c] for r in evaluated] for c in evals}, "eval-win",
                            "evaluation win rates", x_label=_steps, y_label=_rate, low=0.0, high=1.0)
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>snek train: "
            f"{html.escape(settings)}</title><style>{STYLE}</style></head><body>"
            f"<h1>Training run</h1><p>{html.escape(settings)}</p><table>{table}</table>"
            f"<h2>Evaluation: win rate of the policy's best moves against built-in bots</h2>"
            f"<p>The same seeded games at every evaluation ({run.get('eval_games', '?')} per bot).</p>"
            f"{evaluation}{eval_table}"
            f"<h2>Learning curve</h2>{curve}{length}"
            f"<h2>Win rate in training (last games against each curriculum bot)</h2>{trained}"
            f"</body></html>\n")


def write_report(out_dir: Path) -> Path:
    out = Path(out_dir)
    run_file = out / RUN_FILE
    run = json.loads(run_file.read_text(encoding="utf-8")) if run_file.exists() else {}
    path = out / "report.html"
    path.write_text(render(read_metrics(out / "metrics.csv"), run), encoding="utf-8")
    return path
