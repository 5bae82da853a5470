"""The admin API under `/v1/admin/`: registers, members and cards, programs, keys, audit.

Every route needs an admin token (`tamaru-hq admin-token create`); a register token gets
403. Every change is audited under the admin token's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hq import holds, members
from hq.audit import Actor, audit_page
from hq.db import read_only
from hq.deps import MAX_ID, REFUSALS, CurrentAdmin, engine_of
from hq.directory import publish_program
from hq.errors import DirectoryError, NotFoundError
from hq.keys import public_keys, rotate_key
from hq.member_ledger import MergeResult, adjust_points, merge_members
from hq.members import ProfileUpdate
from hq.models import ProgramVersion, Register
from hq.provisioning import (
    IssuedCode,
    list_registers,
    provision,
    provision_register,
    reregister,
    revoke_register,
)
from loyalty.program import parse_program
from sync.protocol import UUID_PATTERN, ErrorBody, MemberLookup, TokenKey

MAX_PAGE = 200
MemberNo = Annotated[str, Path(pattern=r"^[0-9]{13}$")]
CardUid = Annotated[str, Path(min_length=8, max_length=40)]
DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {**REFUSALS, **{code: {"model": ErrorBody} for code in codes}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterView(_Body):
    device_id: str
    store_id: str
    company_id: str
    active: bool  # has a token that is not revoked
    revoked: bool
    epoch: int
    last_device_seq: int
    created_at: datetime


class ProvisionRequest(_Body):
    device_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    store_id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    company_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    token: bool = False  # true: a bearer token now instead of a one-time code


class ReregisterRequest(_Body):
    reason: str | None = Field(default=None, max_length=500)
    token: bool = False


class Provisioned(_Body):
    device_id: str
    code: str | None = None
    expires_at: datetime | None = None
    token: str | None = None


class AdjustRequest(_Body):
    points: int = Field(ge=-99_999_999, le=99_999_999)
    reason: str = Field(min_length=1, max_length=200)
    request_id: str | None = Field(default=None, pattern=UUID_PATTERN)


class MergeRequest(_Body):
    source_member_no: str = Field(pattern=r"^[0-9]{13}$")
    target_member_no: str = Field(pattern=r"^[0-9]{13}$")
    reason: str = Field(min_length=1, max_length=500)


class CardReason(_Body):
    reason: str | None = Field(default=None, max_length=500)


class ReissueRequest(_Body):
    new_card_uid: str = Field(min_length=8, max_length=40)
    reason: str | None = Field(default=None, max_length=500)


class ProgramSummary(_Body):
    version: int
    name: str
    company_id: str
    published_at: datetime


class ProgramDetail(ProgramSummary):
    toml: str


class AuditView(_Body):
    id: int
    at: datetime
    actor_kind: str
    actor: str
    action: str
    entity_kind: str
    entity_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


class AuditPage(_Body):
    entries: list[AuditView]
    next_before: int | None


class SweepResult(_Body):
    expired: int


def _register_view(r: Register) -> RegisterView:
    return RegisterView(
        device_id=r.device_id, store_id=r.store_id, company_id=r.company_id,
        active=r.token_hash is not None and not r.revoked, revoked=r.revoked, epoch=r.epoch,
        last_device_seq=r.last_device_seq, created_at=r.created_at,
    )  # fmt: skip


def _provisioned(device_id: str, result: IssuedCode | str) -> Provisioned:
    if isinstance(result, str):
        return Provisioned(device_id=device_id, token=result)
    return Provisioned(device_id=device_id, code=result.code, expires_at=result.expires_at)


def _program_summary(row: ProgramVersion) -> ProgramSummary:
    program = parse_program(row.toml)
    return ProgramSummary(version=row.version, name=program.name, company_id=program.company_id,
                          published_at=row.published_at)  # fmt: skip


router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/registers", response_model=list[RegisterView], responses=_errors())
def get_registers(admin: CurrentAdmin, request: Request) -> list[RegisterView]:
    with Session(read_only(engine_of(request))) as session:
        return [_register_view(r) for r in list_registers(session)]


@router.post("/registers", response_model=Provisioned, status_code=201, responses=_errors(409, 422))
def post_register(body: ProvisionRequest, admin: CurrentAdmin, request: Request) -> Provisioned:
    """Provision a register: a one-time code to activate with, or a token at once."""
    engine, actor = engine_of(request), Actor.of(admin)
    if body.token:
        token = provision_register(engine, body.store_id, body.device_id, body.company_id, actor=actor)
        return Provisioned(device_id=body.device_id, token=token)
    issued = provision(engine, body.store_id, body.device_id, body.company_id, actor=actor)
    return _provisioned(body.device_id, issued)


@router.post("/registers/{device_id}/revoke", response_model=RegisterView, responses=_errors(404))
def post_revoke(device_id: DeviceId, admin: CurrentAdmin, request: Request) -> RegisterView:
    revoke_register(engine_of(request), device_id, actor=Actor.of(admin))
    with Session(engine_of(request)) as session:
        return _register_view(session.get_one(Register, device_id))


@router.post("/registers/{device_id}/reregister", response_model=Provisioned, responses=_errors(404))
def post_reregister(
    device_id: DeviceId, body: ReregisterRequest, admin: CurrentAdmin, request: Request
) -> Provisioned:
    """New registration epoch for a register restored from a backup (see docs/hq.md)."""
    result = reregister(engine_of(request), device_id, actor=Actor.of(admin), reason=body.reason,
                        with_token=body.token)  # fmt: skip
    return _provisioned(device_id, result)


@router.get("/members", response_model=list[MemberLookup], responses=_errors(422))
def search_members(
    admin: CurrentAdmin, request: Request, phone: Annotated[str, Query(min_length=1, max_length=32)]
) -> list[MemberLookup]:
    return members.find_by_phone(engine_of(request), phone)


@router.patch("/members/{member_no}", response_model=MemberLookup, responses=_errors(404, 409, 422))
def patch_member(
    member_no: MemberNo, body: ProfileUpdate, admin: CurrentAdmin, request: Request
) -> MemberLookup:
    return members.update_profile(engine_of(request), admin, member_no, body)


@router.post(
    "/members/{member_no}/adjust", response_model=MemberLookup, responses=_errors(404, 409, 422)
)
def post_adjust(
    member_no: MemberNo, body: AdjustRequest, admin: CurrentAdmin, request: Request
) -> MemberLookup:
    return adjust_points(engine_of(request), admin, member_no, body.points, body.reason,
                         body.request_id)  # fmt: skip


@router.post("/members/merge", response_model=MergeResult, responses=_errors(404, 409, 422))
def post_merge(body: MergeRequest, admin: CurrentAdmin, request: Request) -> MergeResult:
    return merge_members(engine_of(request), admin, body.source_member_no,
                         body.target_member_no, body.reason)  # fmt: skip


@router.post("/cards/{uid}/block", response_model=MemberLookup, responses=_errors(404, 422))
def post_block_card(uid: CardUid, body: CardReason, admin: CurrentAdmin, request: Request) -> MemberLookup:
    return members.block_card(engine_of(request), admin, uid, body.reason)


@router.post("/cards/{uid}/reissue", response_model=MemberLookup, responses=_errors(404, 409, 422))
def post_reissue_card(
    uid: CardUid, body: ReissueRequest, admin: CurrentAdmin, request: Request
) -> MemberLookup:
    return members.reissue_card(engine_of(request), admin, uid, body.new_card_uid, body.reason)


@router.get("/programs", response_model=list[ProgramSummary], responses=_errors())
def get_programs(admin: CurrentAdmin, request: Request) -> list[ProgramSummary]:
    with Session(read_only(engine_of(request))) as session:
        rows = session.scalars(select(ProgramVersion).order_by(ProgramVersion.version))
        return [_program_summary(r) for r in rows]


@router.get("/programs/{version}", response_model=ProgramDetail, responses=_errors(404))
def get_program(
    version: Annotated[int, Path(ge=1, le=2**31 - 1)], admin: CurrentAdmin, request: Request
) -> ProgramDetail:
    with Session(read_only(engine_of(request))) as session:
        row = session.get(ProgramVersion, version)
        if row is None:
            raise NotFoundError(f"unknown program version {version}")
        return ProgramDetail(**_program_summary(row).model_dump(), toml=row.toml)


_TOML_BODY = {
    "required": True,
    "content": {
        "application/toml": {"schema": {"type": "string"}},
        "text/plain": {"schema": {"type": "string"}},
    },
}


@router.post(
    "/programs",
    response_model=ProgramSummary,
    status_code=201,
    responses={**_errors(409, 422), 200: {"model": ProgramSummary, "description": "already published"}},
    openapi_extra={"requestBody": _TOML_BODY},
)
async def post_program(admin: CurrentAdmin, request: Request, response: Response) -> ProgramSummary:
    """Publish a program TOML document (the raw file as the body); 422 says what is wrong."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise DirectoryError("program file: not UTF-8 text") from None
    engine = engine_of(request)
    program, created = await run_in_threadpool(publish_program, engine, text, actor=Actor.of(admin))
    if not created:
        response.status_code = status.HTTP_200_OK

    def summary() -> ProgramSummary:
        with Session(read_only(engine)) as session:
            return _program_summary(session.get_one(ProgramVersion, program.version))

    return await run_in_threadpool(summary)


@router.get("/keys", response_model=list[TokenKey], responses=_errors())
def get_keys(admin: CurrentAdmin, request: Request) -> list[TokenKey]:
    with Session(read_only(engine_of(request))) as session:
        return public_keys(session)


@router.post("/keys/rotate", response_model=TokenKey, status_code=201, responses=_errors())
def post_rotate(admin: CurrentAdmin, request: Request) -> TokenKey:
    return rotate_key(engine_of(request), Actor.of(admin))


@router.get("/audit", response_model=AuditPage, responses=_errors())
def get_audit(
    admin: CurrentAdmin,
    request: Request,
    entity_kind: Annotated[str | None, Query(max_length=32)] = None,
    entity_key: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> AuditPage:
    with Session(read_only(engine_of(request))) as session:
        rows = audit_page(session, entity_kind=entity_kind, entity_key=entity_key,
                          before=before, limit=limit + 1)  # fmt: skip
        more = len(rows) > limit
        rows = rows[:limit]
        return AuditPage(
            entries=[AuditView.model_validate(r, from_attributes=True) for r in rows],
            next_before=rows[-1].id if more else None,
        )


@router.post("/holds/sweep", response_model=SweepResult, responses=_errors())
def post_sweep(admin: CurrentAdmin, request: Request) -> SweepResult:
    """Record every pending hold whose time is up as expired (the server also does this)."""
    return SweepResult(expired=holds.sweep(engine_of(request)))
