"""Gunicorn settings for the production command (docs/server.md, "Production"):

    gunicorn -c python:snek_viewer.gunicorn_conf 'snek_viewer.serving:from_env()'

One worker process (rooms live in the process that runs them), the threaded worker (a websocket's
handler thread reads it for as long as it is open; sending is the process's one writer thread), and
on exit every room is stopped so endless games are saved.
"""

workers = 1
worker_class = "gthread"
threads = 1100  # websockets at once (SNEK_MAX_SOCKETS, 1000 by default), plus 100 threads always free for pages
worker_connections = 1100
bind = "127.0.0.1:8000"
graceful_timeout = 10


def worker_exit(server, worker) -> None:
    app = getattr(worker, "wsgi", None)
    snek = getattr(app, "extensions", {}).get("snek") if app is not None else None
    if snek is not None:
        snek.close()
