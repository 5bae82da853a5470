"""The POS link's local HTTP API: FastAPI on uvicorn, on its own thread, on 127.0.0.1 only.

Only the POS on this PC may call it: the server binds to the loopback address and
nothing else, refuses any request whose peer is not loopback (403), and wants the
per-install bearer token kept in `<home>/poslink-token` (0600). Browsers on the same PC
cannot send that header to another origin without a CORS preflight, which this server
never answers, so a web page cannot drive the counter.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from desktop.poslink.broker import Change, PosBroker, Submitted
from desktop.poslink.models import (
    ID_PATTERN,
    ErrorBody,
    PosError,
    PosReturnRequest,
    PosSaleRequest,
    ReturnView,
    SaleView,
)

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8473
MAX_WAIT_S = 60

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (401, "Missing or wrong bearer token"),
        (403, "Not called from this PC (loopback only)"),
        (404, "No such sale or return"),
        (400, "The body is not a JSON object (broken JSON, an array, nothing)"),
        (409, "Id reused with another body, counter busy, or a state that forbids this"),
        (422, "A field is missing or wrong; `field` names the first bad field"),
    )
}


# -- long-poll wake-ups ---------------------------------------------------------------


class _Waiters:
    """Long-polls parked on an asyncio event, woken from the broker's (any) thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[tuple[str, str], set[tuple[asyncio.AbstractEventLoop,
                                                      asyncio.Event]]] = {}

    def changed(self, change: Change) -> None:
        with self._lock:
            parked = list(self._by_key.get((change.kind, change.id), ()))
        for loop, event in parked:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:
                pass  # that loop has stopped; its request is gone

    async def wait(self, kind: str, id_: str, timeout: float,
                   still_open: Callable[[], bool]) -> None:
        entry = (asyncio.get_running_loop(), asyncio.Event())
        key = (kind, id_)
        with self._lock:
            self._by_key.setdefault(key, set()).add(entry)
        try:
            # Checked after parking: a change between the caller's read and now still wakes us.
            if still_open():
                await asyncio.wait_for(entry[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock:
                parked = self._by_key.get(key)
                if parked is not None:
                    parked.discard(entry)
                    if not parked:
                        del self._by_key[key]


# -- the app --------------------------------------------------------------------------

IdParam = Annotated[str, PathParam(pattern=ID_PATTERN)]
WaitParam = Annotated[int, Query(ge=0, le=MAX_WAIT_S,
                                 description="Seconds to wait for the outcome (long-poll)")]


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error(status: int, code: str, ja: str, en: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(PosError(status, code, ja, en, **extra).body(), status_code=status,
                        headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: Any) -> str:
    """pydantic's message, with the JSON parser's own words when the JSON is broken."""
    message = str(error.get("msg", ""))
    cause = (error.get("ctx") or {}).get("error")
    return f"{message} ({cause})" if error.get("type") == "json_invalid" and cause else message


def create_app(broker: PosBroker, token: str | Callable[[], str]) -> FastAPI:
    """The ASGI app. `token` may be a callable so a rotated token applies at once."""
    current_token: Callable[[], str] = token if callable(token) else (lambda: token)
    app = FastAPI(
        title="Tamaru POS link", version="1",
        description="A POS register on this PC hands its sales to the loyalty counter. "
                    "See docs/pos-link.md.",
        docs_url=None, redoc_url=None,  # the OpenAPI document only: no CDN assets on a till
    )
    waiters = _Waiters()
    broker.add_listener(waiters.changed)

    @app.middleware("http")
    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not _is_loopback(request.client.host if request.client else None):
            return _error(403, "not_loopback",
                          "この API は同じ PC からのみ利用できます",
                          "The POS link only answers calls from this PC (loopback)")
        if request.url.path != "/openapi.json":
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                    given.strip().encode(), current_token().encode()):
                return _error(401, "unauthorized",
                              "トークンが違います（設定画面の POS 連携トークンを使ってください）",
                              "Missing or wrong bearer token (see the POS link token in "
                              "the settings)")
        return await call_next(request)

    @app.exception_handler(PosError)
    async def pos_error(_: Request, exc: PosError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": "body" if e.get("type") == "json_invalid" else _field(e.get("loc", ())),
                   "message": _message(e)} for e in exc.errors()]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        if first["field"] == "body" and request.method == "POST":
            # Not JSON at all, or not a JSON object: nothing to name but the body (400).
            body = PosError(400, "malformed_body",
                            f"本文を JSON のオブジェクトとして読めません: {first['message']}。"
                            "Content-Type: application/json で、{…} の形で送ってください",
                            f"The body is not a JSON object: {first['message']}. "
                            "Send one {…} with Content-Type: application/json",
                            field="body").body()
            return JSONResponse({**body, "errors": errors}, status_code=400)
        body = PosError(422, "invalid_body",
                        f"{first['field']} が正しくありません: {first['message']}",
                        f"{first['field']}: {first['message']}", field=first["field"]).body()
        return JSONResponse({**body, "errors": errors}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, "not_found", "そのような URL はありません", "No such endpoint")
        return _error(exc.status_code, "http_error", str(exc.detail), str(exc.detail))

    def answer(submitted: Submitted) -> JSONResponse:
        view = submitted.view
        headers = {"Idempotent-Replayed": "true"} if submitted.replayed else None
        return JSONResponse(view.model_dump(mode="json"),
                            status_code=202 if view.state == "waiting" else 200,
                            headers=headers)

    @app.get("/v1/pos/health", tags=["pos"])
    def health() -> dict[str, Any]:
        """Reachable, token accepted; and what is at the counter now."""
        waiting = broker.waiting()
        return {"status": "ok", "api": 1,
                "waiting": {"kind": waiting[0], "id": waiting[1]} if waiting else None}

    @app.post("/v1/pos/sales", status_code=202, response_model=SaleView, responses=_ERRORS,
              tags=["pos"])
    def post_sale(body: PosSaleRequest) -> JSONResponse:
        """Hand a sale to the counter (202, waiting). A retry with the same body replays
        the current state (200 once settled); the same `sale_id` with another body is 409."""
        return answer(broker.submit_sale(body))

    @app.get("/v1/pos/sales/{sale_id}", response_model=SaleView, responses=_ERRORS,
             tags=["pos"])
    async def get_sale(sale_id: IdParam, wait: WaitParam = 0) -> SaleView:
        """The sale's state; with `wait`, returns as soon as it leaves `waiting`."""
        view = await _settled(lambda: broker.get_sale(sale_id), "sale", sale_id, wait)
        assert isinstance(view, SaleView)
        return view

    @app.post("/v1/pos/sales/{sale_id}/cancel", response_model=SaleView, responses=_ERRORS,
              tags=["pos"])
    def cancel_sale(sale_id: IdParam) -> SaleView:
        """Withdraw a waiting sale. A confirmed sale is undone with a return instead (409)."""
        return broker.cancel_sale(sale_id)

    @app.post("/v1/pos/returns", status_code=202, response_model=ReturnView, responses=_ERRORS,
              tags=["pos"])
    def post_return(body: PosReturnRequest) -> JSONResponse:
        """Goods of a confirmed POS sale brought back: waits for the cashier like a sale."""
        return answer(broker.submit_return(body))

    @app.get("/v1/pos/returns/{return_id}", response_model=ReturnView, responses=_ERRORS,
             tags=["pos"])
    async def get_return(return_id: IdParam, wait: WaitParam = 0) -> ReturnView:
        """The return's state; with `wait`, returns as soon as it leaves `waiting`."""
        view = await _settled(lambda: broker.get_return(return_id), "return", return_id, wait)
        assert isinstance(view, ReturnView)
        return view

    @app.post("/v1/pos/returns/{return_id}/cancel", response_model=ReturnView,
              responses=_ERRORS, tags=["pos"])
    def cancel_return(return_id: IdParam) -> ReturnView:
        """Withdraw a waiting return (200 `cancelled`). A confirmed return stands (409)."""
        return broker.cancel_return(return_id)

    async def _settled(read: Callable[[], SaleView | ReturnView | None], kind: str, id_: str,
                       wait: int) -> SaleView | ReturnView:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            view = read()
            if view is None:
                raise PosError(404, f"{kind}_not_found",
                               f"POS の{'取引' if kind == 'sale' else '返品'}（{id_}）が見つかりません",
                               f"No POS {kind} {id_}")
            left = deadline - loop.time()
            if view.state != "waiting" or left <= 0:
                return view
            await waiters.wait(kind, id_, left, lambda: _still_waiting(read))

    return app


def _still_waiting(read: Callable[[], SaleView | ReturnView | None]) -> bool:
    view = read()
    return view is not None and view.state == "waiting"


# -- the server thread ----------------------------------------------------------------


class PosLinkServer:
    """uvicorn serving `create_app` on 127.0.0.1:`port` (0: any free port) on a thread."""

    def __init__(self, broker: PosBroker, token: str | Callable[[], str], *,
                 host: str = LOOPBACK, port: int = DEFAULT_PORT) -> None:
        if host != LOOPBACK:
            raise ValueError(f"the POS link binds to {LOOPBACK} only, not {host!r}")
        self.app = create_app(broker, token)
        self.host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port served (the one picked by the system when asked for 0)."""
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def bound_address(self) -> tuple[str, int] | None:
        """(address, port) the listening socket is bound to, while serving."""
        if self._sock is None:
            return None
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def start(self, timeout: float = 10.0) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if sys.platform == "win32":
            # Windows' SO_REUSEADDR lets another program take the port over.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._port))
        except OSError:
            sock.close()
            raise
        self._sock = sock
        self._port = int(sock.getsockname()[1])
        config = uvicorn.Config(self.app, log_level="warning", access_log=False,
                                lifespan="off", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="tamaru-poslink", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not server.started:
            self.stop()
            raise RuntimeError("the POS link server did not start")
        log.info("POS link listening on %s", self.url)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server, self._thread, self._sock = None, None, None


def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI document, without a running broker (for docs and integrators)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        broker = PosBroker(Path(tmp) / "poslink.db")
        try:
            return create_app(broker, "-").openapi()
        finally:
            broker.close()
