"""Flask viewer: live and recorded games in the browser."""
