"""`curator serve`: the triage page, a small server-rendered web app (Starlette, Jinja2).

Input: a DB path, the address to bind, an optional access token. Output: pages (GET, never
a change): `/` broken, flaky, suspect, soft-404 and moved links with their history and
file:line; `/entries?q=` a search over entries. Changes (POST only, each with a CSRF
token): `/accept-move` (`export.writeback.fix_url` in write mode: what `apply-redirects
--write` does, for one URL: the DB, the list file on disk, the fix log), `/exclude`
(`check.exclusions.add_exclusion`, with reason and expiry), `/tag`
(`curate.tagging.add_manual`/`remove_manual`), `/categorize` (`curate.taxonomy.categorize`):
the same library calls as the CLI, each in one write transaction. Config: a loaded
`curator.toml` (`Config`); when one is in use, exclusions, tags and categories are written
into it as well, as the CLI does.

Access: bound to a loopback address, anyone on this machine may use it, and requests must
name a loopback host (no DNS rebinding); any other address needs a token, which each
request carries as the `curator_token` cookie, an `X-Curator-Token` header, or once as
`?token=` (answered with the cookie). A missing token or CSRF token is a 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jinja2
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from curator.curate.decisions import categorize_entry, exclude_links, tag_entry
from curator.curate.edits import move_to_accept
from curator.curate.taxonomy import load_taxonomy
from curator.errors import CuratorError, InputError
from curator.export.writeback import FixMode, fix_url
from curator.serve import views
from curator.serve.security import Csrf, check_bind, is_loopback, token_matches
from curator.store.connect import open_engine, read_session, write_session
from curator.store.dbapi import Where
from curator.util.config import Config, load_config
from curator.util.when import parse_time

TEMPLATES = Path(__file__).resolve().parent / "templates"
TOKEN_COOKIE = "curator_token"
TOKEN_HEADER = "x-curator-token"

Handler = Callable[[Request], Awaitable[Response]]


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return Jinja2Templates(env=env)


class _TokenGate(BaseHTTPMiddleware):
    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self.token = token

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        given = request.query_params.get("token")
        if request.method == "GET" and token_matches(self.token, given):
            # Trade the token in the address for a cookie, and drop it from the address.
            rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
            resp = RedirectResponse(target, status_code=303)
            resp.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
            return resp
        carried = request.cookies.get(TOKEN_COOKIE) or request.headers.get(TOKEN_HEADER)
        if not token_matches(self.token, carried):
            return PlainTextResponse("403: this page needs the server's --token\n", 403)
        response: Response = await call_next(request)
        return response


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form body (the only kind the page sends)."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _back(form: dict[str, str], **message: str) -> RedirectResponse:
    back = form.get("back") or "/"
    parts = urlsplit(back)
    if not back.startswith("/") or back.startswith("//") or parts.netloc:
        back = "/"  # only our own pages: never an open redirect
    sep = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{sep}{urlencode(message)}", status_code=303)


def create_app(
    db: Where,
    *,
    host: str = "127.0.0.1",
    token: str | None = None,
    config: Config | None = None,
) -> Starlette:
    """The app for the DB at `db` (created or upgraded like any command's)."""
    check_bind(host, token)
    settings = config if config is not None else load_config()

    engine: Engine = open_engine(db)
    csrf = Csrf()
    templates = _templates()

    def page(request: Request, name: str, **context: Any) -> Response:
        context |= {
            "csrf": csrf.issue(),
            "message": request.query_params.get("done"),
            "error": request.query_params.get("error"),
            "back": request.url.path
            + (f"?{request.url.query}" if request.url.path != "/" and request.url.query else ""),
        }
        return templates.TemplateResponse(request, name, context)

    async def triage_page(request: Request) -> Response:
        with read_session(engine) as session:
            sections = views.triage(session)
        return page(request, "triage.html", sections=sections, Section=views.Section)

    async def entries_page(request: Request) -> Response:
        query = request.query_params.get("q", "")
        with read_session(engine) as session:
            found = views.search_entries(session, query)
        names = load_taxonomy(settings.export.taxonomy).names
        return page(request, "entries.html", query=query, entries=found, categories=names)

    def change(action: Callable[[dict[str, str]], str]) -> Handler:
        async def endpoint(request: Request) -> Response:
            form = await _form(request)
            if not csrf.valid(form.get("csrf")):
                return PlainTextResponse("403: missing or stale CSRF token; reload the page\n", 403)
            try:
                done = action(form)
            except CuratorError as exc:
                return _back(form, error=exc.message)
            return _back(form, done=done)

        return endpoint

    def do_accept_move(form: dict[str, str]) -> str:
        with write_session(engine) as session:
            old, new = move_to_accept(session, form.get("url", ""))
            outcome = fix_url(session, old, new, FixMode.WRITE, datetime.now(UTC))
        entries = outcome.set_url.entries if outcome.set_url is not None else 0
        files = ", ".join(f.path for f in outcome.files if f.written)
        return f"{old} -> {new} ({entries} entries" + (f"; wrote {files})" if files else ")")

    def do_exclude(form: dict[str, str]) -> str:
        pattern = form.get("pattern", "")
        expires = form.get("expires", "").strip()
        until = parse_time(expires, "expires") if expires else None
        reason = form.get("reason", "").strip()
        with write_session(engine) as session:
            created, _ = exclude_links(session, settings, pattern, reason, until, datetime.now(UTC))
        return f"{'added' if created else 'updated'} exclusion {pattern.strip()}"

    def _entry_id(form: dict[str, str]) -> int:
        raw = form.get("entry_id", "")
        if not raw.isdigit():
            raise InputError(f"bad entry id {raw!r}")
        return int(raw)

    def do_tag(form: dict[str, str]) -> str:
        entry_id, tag = _entry_id(form), form.get("tag", "").strip()
        remove = form.get("op") == "remove"
        with write_session(engine) as session:
            r, _ = tag_entry(session, settings, entry_id, tag, veto=remove)
        verb = "removed" if remove else "added"
        return f"{verb} tag {r.tag} on #{r.entry_id} {r.title}" if r.changed else "no change"

    def do_categorize(form: dict[str, str]) -> str:
        entry_id, category = _entry_id(form), form.get("category", "").strip()
        taxonomy = load_taxonomy(settings.export.taxonomy)
        with write_session(engine) as session:
            r, _ = categorize_entry(session, settings, taxonomy, entry_id, category or None)
        return f"#{r.entry_id} {r.title}: {r.category or f'back to {r.computed}'}"

    middleware = []
    if is_loopback(host):
        allowed = ["127.0.0.1", "localhost", host] if ":" not in host else ["*"]
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=allowed))
    if token:
        middleware.append(Middleware(_TokenGate, token=token))
    routes = [
        Route("/", triage_page, methods=["GET"]),
        Route("/entries", entries_page, methods=["GET"]),
        Route("/accept-move", change(do_accept_move), methods=["POST"]),
        Route("/exclude", change(do_exclude), methods=["POST"]),
        Route("/tag", change(do_tag), methods=["POST"]),
        Route("/categorize", change(do_categorize), methods=["POST"]),
    ]
    return Starlette(routes=routes, middleware=middleware)


def serve(
    db: Where,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    on_ready: Callable[[str], None] | None = None,
    config: Config | None = None,
) -> None:
    """Serve until interrupted. Refuses a non-loopback `host` without `token` before it
    opens anything."""
    import uvicorn

    app = create_app(db, host=host, token=token, config=config)
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{port}/")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
