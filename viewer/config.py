"""Every option of the live server in one place, with the defaults docs/server.md lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from snek_viewer.hub import BACKLOG_FRAMES, Hub, LocalHub


@dataclass
class ServerConfig:
    replays: Path | None = Path("replays")  # the replay library; finished rooms are saved here
    tournaments: list[Path] = field(default_factory=list)  # `snek tournament --out-dir` folders (or their parents)
    bots: dict[str, str] = field(default_factory=dict)  # operator-registered seats: name -> bot spec (trusted)
    rooms: list[dict] = field(default_factory=list)  # rooms to open at start (the POST /api/rooms body)
    demo_room: bool = True  # an endless classic room of built-in bots, so the lobby is never empty
    hub: Callable[[], Hub] = LocalHub  # factory: LocalHub, or a cross-process hub
    # operator limits
    max_rooms: int = 64
    max_seats: int = 16
    max_spectators: int = 1000  # per room
    max_sockets: int = 1000  # websockets at once in this process (each holds a thread); 0: no limit
    max_sockets_per_address: int = 100  # websockets at once from one client address; 0: no limit
    cpu_budget: float = 0.8  # share of one core all rooms' turns may need (estimated, snek_viewer.budget); 0: no limit
    inline_step_ms: float = 20.0  # a turn using more CPU than this on the scheduler's thread moves its room to the pool
    idle_s: float = 300.0  # a room with no spectators and no humans for this long is closed (not the demo room)
    finished_keep_s: float = 60.0  # a finished room stays listed (and watchable) this long
    wait_s: float = 30.0  # non-classic rooms start after this long with `safe` in the seats still open
    grace_s: float = 30.0  # a disconnected human's seat waits this long for its token to come back
    respawn_ticks: int = 10  # a classic bot respawns this many ticks after dying
    segment_turns: int = 3000  # an endless room closes a replay part into the library every this many turns
    backlog_frames: int = BACKLOG_FRAMES
    queue_frames: int = 256  # per-subscriber live queue; a client further behind drops its oldest frames
    # per-socket input limits
    max_message_bytes: int = 4096
    rate_per_s: float = 20.0  # messages per second per socket, sustained
    rate_burst: int = 40
    abuse_limit: int = 200  # rejected messages in a row before the socket is closed
    ping_s: float = 20.0
