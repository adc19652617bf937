// Playback: where in the game we are (a fractional turn), whether it plays, how fast, and whether it follows a
// live game's newest frame. The same controller serves replays and live rooms: a live game is a replay whose
// end keeps moving.

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16];
export const TURNS_PER_SECOND = 5;  // 1× plays 5 turns a second: a classic room's live pace

export class Player extends EventTarget {
  constructor(game) {
    super();
    this.game = game;
    this.position = 0;
    this.playing = false;
    this.speedIndex = SPEEDS.indexOf(1);
    this.live = false;        // the source is a live room
    this.following = false;   // showing the newest frame as it arrives
    this.tickMs = 200;
    this.animate = true;
    this.lastTurnShown = null;
    this.dirty = true;
    this.lastTime = null;
  }

  get speed() { return SPEEDS[this.speedIndex]; }
  get turn() { return Math.floor(this.position + 1e-9); }

  setSpeed(speed) {
    let best = 0;
    SPEEDS.forEach((s, i) => { if (Math.abs(s - speed) < Math.abs(SPEEDS[best] - speed)) best = i; });
    this.speedIndex = best;
    this.changed();
  }

  faster() { this.speedIndex = Math.min(SPEEDS.length - 1, this.speedIndex + 1); this.changed(); }
  slower() { this.speedIndex = Math.max(0, this.speedIndex - 1); this.changed(); }

  play() {
    if (!this.game.frames.length) return;
    if (!this.live && this.position >= this.game.lastTurn) this.position = this.game.firstTurn;
    this.playing = true;
    this.changed();
  }

  pause() {
    this.playing = false;
    this.following = false;
    this.position = this.turn;
    this.changed();
  }

  toggle() { if (this.playing || this.following) this.pause(); else this.play(); }

  seek(turn) {
    const g = this.game;
    if (!g.frames.length) return;
    this.position = Math.max(g.firstTurn, Math.min(g.lastTurn, Math.round(turn)));
    this.following = false;
    this.playing = false;
    this.changed();
  }

  step(delta) { this.seek(this.turn + delta); }
  start() { this.seek(this.game.firstTurn); }
  end() { this.seek(this.game.lastTurn); }

  goLive() {
    this.following = true;
    this.playing = false;
    this.position = this.game.lastTurn;
    this.changed();
  }

  /** The next (dir=1) or previous (dir=-1) turn on which a snake died, or null. */
  deathTurn(dir) {
    const here = this.turn;
    const turns = this.game.deaths.map((d) => d.turn);
    if (dir > 0) return turns.find((t) => t > here) ?? null;
    return [...turns].reverse().find((t) => t < here) ?? null;
  }

  jumpDeath(dir) {
    const t = this.deathTurn(dir);
    if (t !== null) this.seek(t);
  }

  /** A new frame arrived (live game or a replay still streaming in). */
  frameAdded() {
    if (this.game.frames.length === 1) this.position = this.game.firstTurn;
    this.dirty = true;
    this.emit();
  }

  changed() {
    this.dirty = true;
    this.emit();
  }

  emit() { this.dispatchEvent(new Event("change")); }

  /** Advance the clock; returns true when the board needs repainting. */
  tick(now) {
    const dt = this.lastTime === null ? 0 : Math.min(250, now - this.lastTime);
    this.lastTime = now;
    const g = this.game;
    if (!g.frames.length) return false;
    const before = this.position;
    if (this.following) {
      const target = g.lastTurn;
      if (!this.animate) this.position = target;
      else if (target - this.position > 3) this.position = target - 1;  // far behind: catch up at once
      const rate = Math.max(1000 / this.tickMs, 1);  // glide into the newest frame within one tick
      this.position = Math.min(target, this.position + (dt / 1000) * rate * 1.15);
    } else if (this.playing) {
      this.position += (dt / 1000) * TURNS_PER_SECOND * this.speed;
      if (this.position >= g.lastTurn) {
        this.position = g.lastTurn;
        if (!this.live || g.result) this.playing = false;
      }
    }
    const moved = this.position !== before;
    if (this.turn !== this.lastTurnShown) {
      this.lastTurnShown = this.turn;
      this.emit();
    }
    const repaint = moved || this.dirty;
    this.dirty = false;
    return repaint;
  }

  /** The position to draw: whole turns when animation is off. */
  drawPosition() { return this.animate ? this.position : this.turn; }
}
