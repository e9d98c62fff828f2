"""Check stage: web links in the DB → HTTP checks → check results and per-URL state.

Modules: `types.py` (outcomes, results, config), `guard.py` (SSRF: refuse private
addresses on every hop), `fetch.py` (one URL: redirects, caps, retries), `classify.py`
(response → outcome), `titles.py` (charset + title/description), `engine.py` (scheduler:
per-host clients and limits), with helpers `transport.py` (clients and their keep-alive
pools), `netio.py` (HTTP/1.1 connections on asyncio, parsed by httptools), `body.py`
(capped head reads), `shard.py`/`worker.py` (one process per core), `state.py` (history →
state, pure), `store.py` (DB reads/writes), `runner.py` (one `curator check` run: select,
check, store, signals).
"""
