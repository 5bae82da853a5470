"""The HQ web application: health, push and pull (sync protocol v1).

Handlers are plain `def` functions: FastAPI runs them on its thread pool, where the
synchronous SQLAlchemy sessions belong. Every refusal carries a `detail` sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, status
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hq.auth import AuthError, RegisterIdentity, authenticate, bearer_token
from hq.db import make_engine, read_only
from hq.feed import DEFAULT_PULL_LIMIT, pull
from hq.ingest import ForeignOpError, Ingestor
from sync.protocol import MAX_PULL_LIMIT, PROTOCOL_VERSION, PullResponse, PushRequest, PushResponse


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _register(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> RegisterIdentity:
    try:
        return authenticate(_engine(request), bearer_token(authorization))
    except AuthError as exc:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail=str(exc),
            headers={"WWW-Authenticate": "Bearer"},
        ) from None


CurrentRegister = Annotated[RegisterIdentity, Depends(_register)]


def create_app(db_url: str) -> FastAPI:
    """The HQ application on the database at `db_url` (already migrated)."""
    engine = make_engine(db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(title="Tamaru HQ", version=str(PROTOCOL_VERSION), lifespan=lifespan)
    app.state.engine = engine
    app.state.ingestor = Ingestor(engine)

    @app.get("/v1/health")
    def health() -> dict[str, object]:
        return {"status": "ok", "protocol": PROTOCOL_VERSION}

    @app.post("/v1/sync/push", response_model=PushResponse)
    def push(body: PushRequest, register: CurrentRegister, request: Request) -> PushResponse:
        ingestor: Ingestor = request.app.state.ingestor
        try:
            results = ingestor.push(register, body.ops)
        except ForeignOpError as exc:
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail=str(exc)) from None
        return PushResponse(results=results)

    @app.get("/v1/sync/pull", response_model=PullResponse)
    def pull_changes(
        register: CurrentRegister,
        request: Request,
        cursor: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
    ) -> PullResponse:
        with Session(read_only(_engine(request))) as session, session.begin():
            return pull(session, cursor, limit)

    return app
