// A stdio bot in Node.js (no packages): one JSON line in per event, one {"move": ...} line out per "move".
const readline = require("readline");
const STEP = { up: [0, 1], down: [0, -1], left: [-1, 0], right: [1, 0] };
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const state = JSON.parse(line);
  if (state.type !== "move") return; // "start" and "end" need no answer
  const { board, you } = state;
  const taken = new Set(board.snakes.flatMap((s) => s.body.slice(0, -1).map((p) => `${p.x},${p.y}`)));
  const safe = Object.keys(STEP).filter((m) => {
    const x = you.head.x + STEP[m][0], y = you.head.y + STEP[m][1];
    return x >= 0 && y >= 0 && x < board.width && y < board.height && !taken.has(`${x},${y}`);
  });
  console.error(`turn ${state.turn}: safe ${safe}`); // stderr lands in the replay
  console.log(JSON.stringify({ move: safe[Math.floor(Math.random() * safe.length)] || "up", turn: state.turn }));
});
