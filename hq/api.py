"""Routes registers use besides push and pull: activation, members, holds, app tokens.

Handlers are plain `def` functions: FastAPI runs them on its thread pool, where the
synchronous SQLAlchemy sessions belong.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from sqlalchemy.orm import Session

from hq import holds, members
from hq.deps import MAX_ID, REFUSALS, AppIssuer, CurrentRegister, RegisterOrAdmin, engine_of
from hq.errors import NotFoundError
from hq.feed import RANK_PROGRESS_ASKED
from hq.keys import issue_app_token
from hq.members import MAX_HISTORY_PAGE
from hq.models import Register
from hq.provisioning import activate, register_info
from sync.protocol import (
    UUID_PATTERN,
    ActivateRequest,
    ActivateResponse,
    AppToken,
    EnrollRequest,
    ErrorBody,
    HistoryPage,
    HoldRequest,
    HoldState,
    MemberLookup,
    RegisterInfo,
)

MemberNo = Annotated[str, Path(pattern=r"^[0-9]{13}$", description="13-digit member number")]
HoldId = Annotated[str, Path(pattern=UUID_PATTERN)]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    out = dict(REFUSALS)
    for code in codes:
        out[code] = {"model": ErrorBody}
    return out


router = APIRouter(prefix="/v1")


@router.post(
    "/registers/activate",
    response_model=ActivateResponse,
    responses={403: {"model": ErrorBody}, 409: {"model": ErrorBody}},
    tags=["registers"],
)
def activate_register(body: ActivateRequest, request: Request) -> ActivateResponse:
    """Exchange a one-time provisioning code for this register's bearer token."""
    return activate(engine_of(request), body.device_id, body.code)


@router.get("/registers/me", response_model=RegisterInfo, responses=_errors(), tags=["registers"])
def register_me(register: CurrentRegister, request: Request) -> RegisterInfo:
    with Session(engine_of(request)) as session, session.begin():
        row = session.get(Register, register.device_id)
        if row is None:  # deleted by hand while the token was in flight
            raise NotFoundError(f"unknown register {register.device_id}")
        return register_info(session, row)


@router.post(
    "/members",
    response_model=MemberLookup,
    status_code=status.HTTP_201_CREATED,
    responses={**_errors(409, 422), 200: {"model": MemberLookup, "description": "a retry"}},
    tags=["members"],
)
def enroll_member(
    body: EnrollRequest, who: RegisterOrAdmin, request: Request, response: Response
) -> MemberLookup:
    """Enrol a member (at a counter or by an admin); a retried `request_id` gets 200."""
    result, created = members.enroll(engine_of(request), who, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get(
    "/members/{member_no}", response_model=MemberLookup, responses=_errors(404), tags=["members"]
)
def get_member(
    member_no: MemberNo,
    who: RegisterOrAdmin,
    request: Request,
    rank_progress: Annotated[bool, Query(description=RANK_PROGRESS_ASKED)] = False,
) -> MemberLookup:
    return members.lookup(engine_of(request), member_no, rank_progress=rank_progress,
                          now=request.app.state.clock())


@router.get(
    "/members/{member_no}/history",
    response_model=HistoryPage,
    responses=_errors(404),
    tags=["members"],
)
def member_history(
    member_no: MemberNo,
    who: RegisterOrAdmin,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="next_before of the previous page")
    ] = None,
) -> HistoryPage:
    return members.history(engine_of(request), member_no, limit=limit, before=before)


@router.post(
    "/members/{member_no}/app-token",
    response_model=AppToken,
    responses=_errors(404, 409, 503),
    tags=["members"],
)
def app_token(member_no: MemberNo, who: AppIssuer, request: Request) -> AppToken:
    """Sign the short-lived QR token a member's app displays."""
    return issue_app_token(engine_of(request), member_no)


@router.post(
    "/holds",
    response_model=HoldState,
    status_code=status.HTTP_201_CREATED,
    responses={**_errors(404, 409), 200: {"model": HoldState, "description": "a retry"}},
    tags=["holds"],
)
def create_hold(
    body: HoldRequest, register: CurrentRegister, request: Request, response: Response
) -> HoldState:
    """Reserve points for an online redemption; a retried `hold_id` gets 200."""
    state, created = holds.create_hold(engine_of(request), register, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return state


@router.get("/holds/{hold_id}", response_model=HoldState, responses=_errors(404), tags=["holds"])
def get_hold(hold_id: HoldId, register: CurrentRegister, request: Request) -> HoldState:
    return holds.get_hold(engine_of(request), register, hold_id)


@router.post(
    "/holds/{hold_id}/void", response_model=HoldState, responses=_errors(404, 409), tags=["holds"]
)
def void_hold(hold_id: HoldId, register: CurrentRegister, request: Request) -> HoldState:
    return holds.void_hold(engine_of(request), register, hold_id)
