"""First-run provisioning of a register: HQ address and one-time code in, token kept.

An HQ operator runs `tamaru-hq provision --store S001 --device R03` and reads the code
to the installer, who types it at the register with HQ's address. `activate` exchanges
the code for the register's token (`POST /v1/registers/activate`), and `save_activation`
keeps the token in the secret store (`desktop.secrets`) and the address and ids in
`config.toml`. Qt-free: the first-run screen (`desktop.screens.provision`) and tests
call the same functions.

Every failure is a `ProvisioningError` whose message tells the installer, in Japanese,
what to do next: check the code, ask HQ for a new one, check the address or network.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
from pydantic import ValidationError

from desktop.secrets import StoredToken, save_token
from desktop.settings import Settings
from loyalty.message import QT_TRANSLATE_NOOP, Message
from sync.client import check_hq_url, tls_context
from sync.protocol import ActivateResponse

ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # what HQ accepts as a device or store id
TIMEOUT_S = 15.0

Reason = Literal["input", "url", "unknown_code", "expired_code", "used_code", "store_mismatch",
                 "unreachable", "tls", "server", "answer", "local_database"]

# What the installer is told (translated on screen through the "core" context).
HTTP_LOCAL_ONLY = QT_TRANSLATE_NOOP(
    "core", "HQ の URL は https:// で指定してください（{url}）。HTTP はこの PC 上の HQ（127.0.0.1）にだけ使えます")
REGISTER_NO = QT_TRANSLATE_NOOP("core", "レジ番号")
STORE_CODE = QT_TRANSLATE_NOOP("core", "店舗コード")
BAD_ID = QT_TRANSLATE_NOOP(
    "core", "{what}「{value}」は使えません: 英数字と - _ . の 64 文字以内で入力してください")
ASK_NEW_CODE = QT_TRANSLATE_NOOP("core", "本部に新しいコードを発行してもらってください（tamaru-hq provision）")
OTHER_REGISTERS_DATA = QT_TRANSLATE_NOOP(
    "core", "この PC のレジデータはレジ {found}（店舗 {store}）のものです。レジ {device} として"
    "登録するには、データフォルダ {home} を別の場所に移してからやり直してください（未送信の取引が"
    "ないことを先に確認してください）")
CODE_USED = QT_TRANSLATE_NOOP("core", "このコードは使用済みです。{ask}")
CODE_EXPIRED = QT_TRANSLATE_NOOP("core", "このコードは有効期限が切れています。{ask}")
CODE_UNKNOWN = QT_TRANSLATE_NOOP(
    "core", "コードが正しくないか、レジ {device} のコードではありません。コードとレジ番号を確認し、"
    "違っていなければ{ask}")
HQ_FAILED = QT_TRANSLATE_NOOP(
    "core", "HQ でエラーが発生しました（{status}）。しばらくしてからもう一度試すか、本部に連絡してください")
NO_HQ_HERE = QT_TRANSLATE_NOOP(
    "core", "この URL に Tamaru の HQ が見つかりません（{status}）。URL を確認してください")
UNEXPECTED = QT_TRANSLATE_NOOP("core", "HQ の応答が想定外です（{status}: {detail}）")
CANNOT_CONNECT = QT_TRANSLATE_NOOP(
    "core", "HQ（{url}）に接続できません。URL とネットワークを確認してください")
NO_ANSWER = QT_TRANSLATE_NOOP(
    "core", "HQ（{url}）が応答しません。ネットワークを確認してもう一度試してください")
EXCHANGE_FAILED = QT_TRANSLATE_NOOP("core", "HQ（{url}）との通信に失敗しました（{error}）")
OTHER_STORE = QT_TRANSLATE_NOOP(
    "core", "HQ ではレジ {device} は店舗 {store} に登録されています（入力: {entered}）。店舗コードを"
    "確認してください。コードは使用済みになったため、本部に新しいコードを発行してもらってください")


class ProvisioningError(Exception):
    """Activation failed; `str(error)` is the installer's message, `reason` the kind."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class Activation:
    """What HQ answered; the token is left out of repr so a log line cannot leak it."""

    hq_url: str
    device_id: str
    store_id: str
    company_id: str
    epoch: int
    program_version: int | None
    token: str = field(repr=False)


def normalize_url(text: str) -> str:
    """An address as typed, made a checked HQ URL (https, or http to this PC only)."""
    text = text.strip()
    if text and "://" not in text:
        text = "https://" + text
    try:
        return check_hq_url(text)
    except ValueError as exc:
        raise ProvisioningError(Message(HTTP_LOCAL_ONLY, url=text), "url") from exc


def check_id(what: str, value: str) -> str:
    value = value.strip()
    if not ID_RE.fullmatch(value):
        raise ProvisioningError(Message(BAD_ID, what=what, value=value), "input")
    return value


def local_identity(home: Path) -> tuple[str, str] | None:
    """The (device id, store id) an existing register database is bound to, if any."""
    db = home / "register.db"
    if not db.exists():
        return None
    try:
        con = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return None
    try:
        row = con.execute("SELECT device_id, store_id FROM sync_state WHERE id = 1").fetchone()
    except sqlite3.Error:
        return None  # a damaged file is the start-up check's business, not ours
    finally:
        con.close()
    return (str(row[0]), str(row[1])) if row else None


def check_local_identity(home: Path, device_id: str, store_id: str | None) -> None:
    """Refuse before the code is spent when this PC's database belongs to another register."""
    found = local_identity(home)
    if found is None:
        return
    if found[0] != device_id or (store_id is not None and found[1] != store_id):
        raise ProvisioningError(Message(OTHER_REGISTERS_DATA, found=found[0], store=found[1],
                                        device=device_id, home=str(home)), "local_database")


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    detail = data.get("detail") if isinstance(data, dict) else None
    return detail if isinstance(detail, str) else ""


def _refusal(response: httpx.Response, device_id: str) -> ProvisioningError:
    detail = _detail(response)
    status = response.status_code
    ask = ASK_NEW_CODE
    if status == 409 and "already used" in detail:
        return ProvisioningError(Message(CODE_USED, ask=ask), "used_code")
    if status == 403 and "expired" in detail:
        return ProvisioningError(Message(CODE_EXPIRED, ask=ask), "expired_code")
    if status == 403:
        return ProvisioningError(Message(CODE_UNKNOWN, device=device_id, ask=ask), "unknown_code")
    if status == 422 and detail == "":
        # FastAPI's own validation answer: the request was well formed for us but not
        # for this server, or the URL is not a Tamaru HQ.
        return ProvisioningError("HQ が入力を受け付けませんでした。レジ番号とコードを確認してください",
                                 "input")
    if status >= 500:
        return ProvisioningError(Message(HQ_FAILED, status=status), "server")
    if status == 404:
        return ProvisioningError(Message(NO_HQ_HERE, status=status), "answer")
    return ProvisioningError(Message(UNEXPECTED, status=status, detail=detail[:100]), "answer")


def activate(hq_url: str, device_id: str, code: str, *, store_id: str | None = None,
             ca_file: Path | None = None, timeout: float = TIMEOUT_S,
             transport: httpx.BaseTransport | None = None) -> Activation:
    """Exchange the one-time code for this register's token.

    `store_id`, when given, must be the store HQ bound the register to: a register
    installed in the wrong shop is caught here, before it sells anything.
    """
    url = normalize_url(hq_url)
    device_id = check_id(REGISTER_NO, device_id)
    if store_id is not None:
        store_id = check_id(STORE_CODE, store_id)
    code = code.strip()
    if not code or len(code) > 64:
        raise ProvisioningError("プロビジョニングコードを入力してください（例: 7KQ2-M9XD-4TRA）",
                                "input")
    try:
        with httpx.Client(base_url=url, timeout=timeout, verify=tls_context(url, ca_file),
                          transport=transport) as client:
            response = client.post("/v1/registers/activate",
                                   json={"device_id": device_id, "code": code})
    except httpx.ConnectError as exc:
        if "CERTIFICATE" in str(exc).upper() or "SSL" in str(exc).upper():
            raise ProvisioningError(
                "HQ の証明書を確認できません。URL が正しいか、本部独自の証明書なら CA ファイルを"
                "指定してください", "tls") from exc
        raise ProvisioningError(Message(CANNOT_CONNECT, url=url), "unreachable") from exc
    except httpx.TimeoutException as exc:
        raise ProvisioningError(Message(NO_ANSWER, url=url), "unreachable") from exc
    except httpx.HTTPError as exc:
        raise ProvisioningError(Message(EXCHANGE_FAILED, url=url, error=type(exc).__name__),
                                "unreachable") from exc
    if response.status_code != 200:
        raise _refusal(response, device_id)
    try:
        answer = ActivateResponse.model_validate_json(response.content)
    except ValidationError as exc:
        raise ProvisioningError(
            "HQ の応答を読めません。URL が Tamaru の HQ を指しているか確認してください",
            "answer") from exc
    if answer.device_id != device_id or not answer.token.strip():
        raise ProvisioningError("HQ の応答が別のレジのものです。本部に連絡してください", "answer")
    if store_id is not None and answer.store_id != store_id:
        raise ProvisioningError(Message(OTHER_STORE, device=device_id, store=answer.store_id,
                                        entered=store_id), "store_mismatch")
    return Activation(hq_url=url, device_id=answer.device_id, store_id=answer.store_id,
                      company_id=answer.company_id, epoch=answer.epoch,
                      program_version=answer.program_version, token=answer.token)


def save_activation(settings_home: Path, activation: Activation, *,
                    ca_file: Path | None = None) -> StoredToken:
    """Keep the token in the secret store and the address and ids in config.toml.

    The token goes first: if config.toml were written first and the token then failed,
    the register would start against HQ with no credentials.
    """
    stored = save_token(settings_home, activation.token)
    settings = Settings.load(settings_home)
    settings.set("hq.url", activation.hq_url)
    settings.set("register.device_id", activation.device_id)
    settings.set("register.store_id", activation.store_id)
    # The CA that verified HQ now verifies every later connection too.
    settings.set("hq.ca_file", str(ca_file.resolve()) if ca_file else "")
    if settings.get("hq.token"):
        settings.set("hq.token", "")  # an old install's token, replaced by this activation
    settings.save()
    return stored


def provision(home: Path, hq_url: str, device_id: str, code: str, *,
              store_id: str | None = None, ca_file: Path | None = None,
              transport: httpx.BaseTransport | None = None) -> Activation:
    """The whole first run: check this PC's data, activate, save. Used by the screen."""
    device_id = check_id(REGISTER_NO, device_id)
    if store_id is not None and store_id.strip() == "":
        store_id = None
    check_local_identity(home, device_id, store_id.strip() if store_id else None)
    activation = activate(hq_url, device_id, code, store_id=store_id, ca_file=ca_file,
                          transport=transport)
    save_activation(home, activation, ca_file=ca_file)
    return activation


def needs_provisioning(settings: Settings, *, frozen: bool) -> bool:
    """Whether start-up must ask for an HQ address and code first.

    A development install with no HQ address runs the embedded demo HQ; the store build
    has no embedded HQ, so there an empty address means "not provisioned yet". A
    configured HQ without any token also needs a code.
    """
    from desktop.secrets import load_token

    if not settings.get("hq.url"):
        return frozen
    return load_token(settings.home, settings) is None
