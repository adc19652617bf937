// Deaths, moves and rules in plain words, for the scoreboard, the death panel and the listings.

// A game's rules as the lobby and the watch page name them: the ruleset, and the map when it has one.
export function rulesWords(ruleset, map) {
  return map ? `${ruleset ?? ""} · ${map}` : String(ruleset ?? "");
}

export function deathWords(death, nameOf) {
  if (!death) return "eliminated";
  const turn = typeof death.turn === "number" ? ` on turn ${death.turn}` : "";
  const by = death.by ? nameOf(death.by) : "another snake";
  switch (death.cause) {
    case "snake-collision": return `ran into ${by}'s body${turn}`;
    case "snake-self-collision": return `ran into its own body${turn}`;
    case "head-collision": return `lost a head-on collision with ${by}${turn}`;
    case "wall-collision": return `hit the wall${turn}`;
    case "out-of-health": return `starved${turn}`;
    case "hazard": return `was worn down by the hazard${turn}`;
    case "left": return `left the game${turn}`;
    default: return `was eliminated${turn}`;
  }
}

export const ARROWS = { up: "↑", down: "↓", left: "←", right: "→" };

export function ordinal(n) {
  const s = ["th", "st", "nd", "rd"];
  const v = n % 100;
  return n + (s[(v - 20) % 10] || s[v] || s[0]);
}
