"""The HQ web application: health, push and pull (sync protocol v1), and the other routes.

Handlers are plain `def` functions: FastAPI runs them on its thread pool, where the
synchronous SQLAlchemy sessions belong. Every refusal carries a `detail` sentence
(`hq.deps`). Register-facing routes live in `hq.api`, the admin API in `hq.admin`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated

from fastapi import FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from hq import admin, admin_reports, api, api_store, holds
from hq.answers import push_body
from hq.auth import ForbiddenError, RegisterTokens
from hq.db import make_engine, read_only
from hq.deps import (
    MAX_ID,
    REFUSALS,
    CurrentRegister,
    PushRegister,
    engine_of,
    install_error_handlers,
    look_up_register,
)
from hq.errors import DirectoryError, UnavailableError
from hq.feed import DEFAULT_PULL_LIMIT, RANK_PROGRESS_ASKED, pull
from hq.ingest import ForeignOpError, Ingestor, StaleRegister
from hq.models import utcnow
from hq.programs import Programs
from sync.protocol import (
    MAX_PULL_LIMIT,
    PROTOCOL_VERSION,
    PullResponse,
    PushRequest,
    PushResponse,
)

log = logging.getLogger(__name__)
HOLD_SWEEP_INTERVAL_S = 30.0


async def _sweep_holds_forever(app: FastAPI, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(holds.sweep, app.state.engine)
        except Exception:  # a failed sweep is retried next round; reads check expiry anyway
            log.exception("hold sweep failed")


def create_app(
    db_url: str,
    *,
    hold_sweep_interval: float | None = HOLD_SWEEP_INTERVAL_S,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The HQ application on the database at `db_url` (already migrated). `clock` is HQ's
    time for the ledger (tests move it)."""
    engine = make_engine(db_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweeper = (
            asyncio.create_task(_sweep_holds_forever(app, hold_sweep_interval))
            if hold_sweep_interval
            else None
        )
        yield
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        engine.dispose()

    app = FastAPI(title="Tamaru HQ", version=str(PROTOCOL_VERSION), lifespan=lifespan)
    app.state.engine = engine
    app.state.ingestor = Ingestor(engine, clock=clock)
    app.state.register_tokens = RegisterTokens()
    app.state.programs = Programs()  # parsed program versions for the read routes
    app.state.clock = clock
    install_error_handlers(app)

    @app.get("/v1/health", tags=["sync"])
    def health() -> dict[str, object]:
        return {"status": "ok", "protocol": PROTOCOL_VERSION}

    @app.post("/v1/sync/push", response_model=PushResponse, responses=REFUSALS, tags=["sync"])
    def push(body: PushRequest, caller: PushRegister, request: Request) -> Response:
        ingestor: Ingestor = request.app.state.ingestor
        for op in body.ops:
            if op.device_seq > MAX_ID:
                raise DirectoryError(f"op {op.op_id}: device_seq {op.device_seq} is out of range")
        register, looked_up = caller.register, caller.looked_up
        for _attempt in range(3):
            try:
                answers = ingestor.answers(register, body.ops, token_hash=caller.token_hash)
            except ForeignOpError as exc:
                if looked_up:
                    raise ForbiddenError(str(exc)) from None
            except StaleRegister:
                pass
            else:
                # Encoded from the answers as they are: they already have OpResult's shape.
                return Response(push_body(answers), media_type="application/json")
            # The register as remembered is out of date (moved, re-registered, revoked):
            # look its token up again, which refuses it if it no longer holds.
            register, looked_up = look_up_register(request, caller.token, caller.token_hash), True
        raise UnavailableError("the register changed while its push was applied: send it again")

    @app.get("/v1/sync/pull", response_model=PullResponse, responses=REFUSALS, tags=["sync"])
    def pull_changes(
        register: CurrentRegister,
        request: Request,
        cursor: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
        rank_progress: Annotated[bool, Query(description=RANK_PROGRESS_ASKED)] = False,
    ) -> PullResponse:
        with Session(read_only(engine_of(request))) as session, session.begin():
            return pull(session, cursor, limit, rank_progress=rank_progress,
                        now=request.app.state.clock())

    app.include_router(api.router)
    app.include_router(api_store.router)
    app.include_router(admin.router)
    app.include_router(admin_reports.router)
    return app


def app_from_env() -> FastAPI:
    """The app for `tamaru-hq serve --workers N`, whose processes each build their own."""
    return create_app(os.environ["TAMARU_HQ_DB"])
