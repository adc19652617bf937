// Snake colours by seat. The first eight are Okabe & Ito's palette, chosen to stay distinguishable with the
// common colour-vision deficiencies; seats 9-16 reuse those hues with a striped body, so shape tells apart what
// colour alone cannot. Replay headers also carry colours; the page ignores them for this reason.

const HUES = ["#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7", "#f5f5f5"];

export function snakeStyle(seat) {
  const i = ((seat % 16) + 16) % 16;
  return { color: HUES[i % 8], striped: i >= 8 };
}

export const BOARD = {
  background: "#1d2330",
  cellA: "#242b3a",
  cellB: "#212838",
  food: "#ff4f79",
  foodRim: "#ffffff",
  hazard: "rgba(120, 60, 160, ALPHA)",
  eyeWhite: "#ffffff",
  pupil: "#111111",
  highlight: "#ffffff",
};
