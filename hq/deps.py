"""Request plumbing shared by HQ's routes: who is calling, and refusals as HTTP answers.

Every refusal is a JSON body `{"detail": "<sentence>"}`: 401 when the token is missing,
unknown or revoked; 403 when a valid token may not do this; 404/409/422/503 from the
operation itself (`hq.errors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import DataError

from hq.auth import (
    ROLE_ADMIN,
    ROLE_APP,
    AdminIdentity,
    AuthError,
    ForbiddenError,
    Identity,
    RegisterIdentity,
    RegisterTokens,
    bearer_token,
    hash_token,
    identify,
    require_admin,
)
from hq.directory import ProgramVersionTaken
from hq.errors import DirectoryError
from loyalty.program import ProgramError
from sync.protocol import ErrorBody

# Declares the bearer scheme in the OpenAPI document; the header is parsed below, so a
# malformed one gets its own reason rather than "missing".
_bearer = HTTPBearer(auto_error=False)

MAX_ID = 2**63 - 1  # the database's BIGINT: larger ids and cursors are refused as 422

REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, unknown or revoked token"},
    403: {"model": ErrorBody, "description": "this token may not do this"},
}


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _identity(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Identity:
    return identify(engine_of(request), bearer_token(request.headers.get("authorization")))


def _register(who: Annotated[Identity, Depends(_identity)]) -> RegisterIdentity:
    if isinstance(who, AdminIdentity):
        raise ForbiddenError(
            f"admin token {who.name!r} cannot act as a register: use the register's own token"
        )
    return who


def _admin(who: Annotated[Identity, Depends(_identity)]) -> AdminIdentity:
    return require_admin(who)


def _app_issuer(who: Annotated[Identity, Depends(_identity)]) -> AdminIdentity:
    return require_admin(who, roles=(ROLE_ADMIN, ROLE_APP))


def _register_or_admin(who: Annotated[Identity, Depends(_identity)]) -> Identity:
    if isinstance(who, AdminIdentity):
        require_admin(who)
    return who


@dataclass(frozen=True)
class PushCaller:
    """The register a push comes from, as last known, and its token, which the push
    proves in its own transaction (`hq.ingest.Ingestor.answers`)."""

    register: RegisterIdentity
    token: str
    token_hash: str
    looked_up: bool  # just now, rather than remembered from an earlier request


def register_tokens(request: Request) -> RegisterTokens:
    tokens: RegisterTokens = request.app.state.register_tokens
    return tokens


def look_up_register(request: Request, token: str, digest: str) -> RegisterIdentity:
    """The register of `token`, looked up now (AuthError, ForbiddenError) and remembered."""
    tokens = register_tokens(request)
    tokens.drop(digest)
    who = _register(identify(engine_of(request), token))
    tokens.put(digest, who)
    return who


async def _push_caller(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> PushCaller:
    # A coroutine, so a remembered token costs no trip to the thread pool.
    token = bearer_token(request.headers.get("authorization"))
    digest = hash_token(token)
    who = register_tokens(request).get(digest)
    if who is not None:
        return PushCaller(who, token, digest, looked_up=False)
    who = await run_in_threadpool(look_up_register, request, token, digest)
    return PushCaller(who, token, digest, looked_up=True)


CurrentRegister = Annotated[RegisterIdentity, Depends(_register)]
PushRegister = Annotated[PushCaller, Depends(_push_caller)]
CurrentAdmin = Annotated[AdminIdentity, Depends(_admin)]
AppIssuer = Annotated[AdminIdentity, Depends(_app_issuer)]
RegisterOrAdmin = Annotated[Identity, Depends(_register_or_admin)]


def _detail(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message}, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AuthError)
    async def _auth(_request: Request, exc: AuthError) -> JSONResponse:
        return _detail(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ForbiddenError)
    async def _forbidden(_request: Request, exc: ForbiddenError) -> JSONResponse:
        return _detail(403, str(exc))

    @app.exception_handler(DirectoryError)
    async def _directory(_request: Request, exc: DirectoryError) -> JSONResponse:
        return _detail(exc.status_code, str(exc))

    @app.exception_handler(DataError)
    async def _data(_request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the schema let through (a NUL character in text on
        # PostgreSQL): the request is at fault, not HQ.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return _detail(422, f"invalid value: {reason}")

    @app.exception_handler(ProgramError)
    async def _program(_request: Request, exc: ProgramError) -> JSONResponse:
        return _detail(409 if isinstance(exc, ProgramVersionTaken) else 422, str(exc))
