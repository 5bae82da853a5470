"""Every setting of the register, declared once with its type, default and meaning.

Settings live in `<home>/config.toml`. The home folder comes from `TAMARU_HOME` or the
platform's data folder, resolved when asked for, never at import time.

Descriptions are Japanese, marked for translation in the "Settings" context
(`DESCRIPTION_CONTEXT`): screens show them through `QCoreApplication.translate`. A device
driver's own options go in the devices block below as `devices.<device>_<option>`: the
settings screen lists every `devices.` setting it has no field of its own for under
"詳細設定" with its description, so a new driver option needs no screen code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:  # noqa: N802 - the name lupdate reads
    """Mark a description for the translation catalog; returns it unchanged."""
    return source


DESCRIPTION_CONTEXT = "Settings"


@dataclass(frozen=True)
class Setting:
    key: str  # "section.name"
    type: type
    default: Any
    description: str  # Japanese source in DESCRIPTION_CONTEXT


SETTINGS: tuple[Setting, ...] = (
    Setting("hq.url", str, "", QT_TRANSLATE_NOOP(
        "Settings", "HQ の URL。空なら組み込み HQ（SQLite）をこの PC で起動する")),
    Setting("hq.token", str, "", QT_TRANSLATE_NOOP(
        "Settings", "このレジの認証トークン（tamaru-hq provision で発行）")),
    Setting("hq.ca_file", str, "", QT_TRANSLATE_NOOP(
        "Settings", "本部独自の CA 証明書（PEM ファイルのパス）。設定するとその CA だけを信頼する。"
        "空なら公的な証明書で確認する")),
    Setting("register.device_id", str, "R01", QT_TRANSLATE_NOOP("Settings", "レジ番号")),
    Setting("register.store_id", str, "S001", QT_TRANSLATE_NOOP("Settings", "店舗コード")),
    Setting("register.store_name", str, "たまる商店 本店", QT_TRANSLATE_NOOP(
        "Settings", "レシートに印字する店舗名")),
    # -- what the store adds to every receipt (checked in desktop/receipts/options.py) ----
    Setting("receipt.header_lines", str, "", QT_TRANSLATE_NOOP(
        "Settings", "店舗名の下に印字する行（住所・電話番号など）。1行ずつ改行で区切り、"
        "4行まで、各行 全角でおよそ15文字まで（58 mm 幅のレシートの1行）")),
    Setting("receipt.footer_line", str, "", QT_TRANSLATE_NOOP(
        "Settings", "ポイントプログラムのメッセージの後に印字する一行（全角でおよそ15文字まで）")),
    Setting("receipt.store_copy", bool, False, QT_TRANSLATE_NOOP(
        "Settings", "返品とポイント調整のレシートは、お店控えをもう1枚印字する")),
    Setting("receipt.store_copy_sales", bool, False, QT_TRANSLATE_NOOP(
        "Settings", "お買上げのレシートも、お店控えをもう1枚印字する")),
    # -- devices: what the settings screen chooses, then each driver's own options --------
    Setting("devices.reader", str, "simulated", QT_TRANSLATE_NOOP(
        "Settings", "カードリーダー: simulated, pcsc（最初のリーダー）, pcsc:<リーダー名>。"
        "カードのファイルから会員番号を読むときは ?aid=…&file=…&length=…&encoding=ascii|bcd|hex "
        "を続ける")),
    Setting("devices.printer", str, "simulated", QT_TRANSLATE_NOOP(
        "Settings", "プリンター: simulated, network:HOST[:PORT], usb:VID:PID, serial:PORT, "
        "file:/dev/usb/lp0。?mode=kanji（テキスト）|raster（画像）&paper=58|80&profile=機種")),
    Setting("devices.scanner", str, "", QT_TRANSLATE_NOOP(
        "Settings", "シリアル（USB-COM）スキャナー: 空なら使わない, serial:/dev/ttyACM0?baud=9600, "
        "simulated。キーボード入力型のスキャナーは設定なしで使える")),
    Setting("devices.camera", str, "", QT_TRANSLATE_NOOP(
        "Settings", "会員 QR を読むカメラ: 空なら使わない, default（既定のカメラ）, "
        "またはカメラの名前")),
    # (driver options: devices.<device>_<option>, listed under 詳細設定 on the screen)
    Setting("scanner.max_gap_ms", int, 40, QT_TRANSLATE_NOOP(
        "Settings", "キーボード入力型スキャナー: 1文字ごとの間隔の上限（ミリ秒）。これより遅い入力は人の入力")),
    Setting("scanner.min_length", int, 6, QT_TRANSLATE_NOOP(
        "Settings", "キーボード入力型スキャナー: コードの最短の文字数")),
    Setting("scanner.prefix", str, "", QT_TRANSLATE_NOOP(
        "Settings", "キーボード入力型スキャナー: スキャナーに設定した先頭文字（任意）")),
    Setting("scanner.suffix", str, "", QT_TRANSLATE_NOOP(
        "Settings", "キーボード入力型スキャナー: スキャナーに設定した末尾文字（任意）")),
    Setting("tokens.skew_seconds", int, 30, QT_TRANSLATE_NOOP(
        "Settings", "会員アプリの QR コードを確認するとき、HQ との時計のずれをどこまで許すか（秒）")),
    Setting("staff.max_failures", int, 5, QT_TRANSLATE_NOOP(
        "Settings", "暗証番号を続けて何回間違えるとロックするか")),
    Setting("staff.lockout_minutes", int, 15, QT_TRANSLATE_NOOP(
        "Settings", "ロックの長さ（分）。店長はいつでも解除できる")),
    Setting("redeem.hold_ttl_seconds", int, 120, QT_TRANSLATE_NOOP(
        "Settings", "オンラインでポイントを使うとき HQ で確保しておく時間（秒、10〜900）")),
    Setting("redeem.hold_timeout_seconds", int, 3, QT_TRANSLATE_NOOP(
        "Settings", "ポイント確保の HQ の応答を待つ時間（秒）。過ぎるとオフラインの上限で利用する")),
    Setting("locale.timezone", str, "Asia/Tokyo", QT_TRANSLATE_NOOP(
        "Settings", "タイムゾーン（IANA 名）")),
    Setting("locale.language", str, "ja", QT_TRANSLATE_NOOP(
        "Settings", "表示言語: ja または en")),
    Setting("sync.interval_seconds", int, 15, QT_TRANSLATE_NOOP(
        "Settings", "定期同期の間隔（秒）")),
    Setting("backup.interval_seconds", int, 3600, QT_TRANSLATE_NOOP(
        "Settings", "レジデータベースのバックアップ間隔（秒）")),
    Setting("backup.keep", int, 24, QT_TRANSLATE_NOOP("Settings", "残すバックアップの数")),
    Setting("poslink.port", int, 0, QT_TRANSLATE_NOOP(
        "Settings", "POS 連携の HTTP API のポート（127.0.0.1 のみ、例 8473）。0 なら使わない")),
    Setting("poslink.drop_dir", str, "", QT_TRANSLATE_NOOP(
        "Settings", "POS 連携のファイル受け渡しフォルダ。空なら使わない")),
    Setting("poslink.drop_interval_seconds", float, 1.0, QT_TRANSLATE_NOOP(
        "Settings", "受け渡しフォルダを確認する間隔（秒、0.1〜10）")),
    Setting("poslink.expire_minutes", int, 10, QT_TRANSLATE_NOOP(
        "Settings", "POS の取引・返品がレジで確定されないまま待てる時間（分、1〜1440）。"
        "過ぎると取り消され、次を受け付ける")),
    Setting("returns.manager_over_yen", int, 10_000, QT_TRANSLATE_NOOP(
        "Settings", "この金額（円）を超える返品には店長の承認が必要")),
    Setting("returns.manager_after_days", int, 30, QT_TRANSLATE_NOOP(
        "Settings", "お買上げからこの日数を過ぎた返品には店長の承認が必要")),
)
_BY_KEY = {s.key: s for s in SETTINGS}


class SettingsError(ValueError):
    pass


def default_home() -> Path:
    env = os.environ.get("TAMARU_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tamaru"


class Settings:
    def __init__(self, home: Path, values: dict[str, Any] | None = None) -> None:
        self.home = home
        self._values: dict[str, Any] = {}
        for key, value in (values or {}).items():
            self.set(key, value)

    @classmethod
    def load(cls, home: Path | None = None) -> Settings:
        home = home or default_home()
        path = home / "config.toml"
        values: dict[str, Any] = {}
        if path.exists():
            try:
                doc = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise SettingsError(f"{path}: 設定ファイルを読めません: {exc}") from exc
            for section, table in doc.items():
                if not isinstance(table, dict):
                    raise SettingsError(f"{path}: [{section}] は表である必要があります")
                for name, value in table.items():
                    values[f"{section}.{name}"] = value
        return cls(home, values)

    def get(self, key: str) -> Any:
        return self._values.get(key, _BY_KEY[key].default)

    def set(self, key: str, value: Any) -> None:
        setting = _BY_KEY.get(key)
        if setting is None:
            raise SettingsError(f"不明な設定です: {key}")
        if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # TOML writes 1 for one second
        # A bool is an int to Python: only a yes/no setting takes one, and only one.
        wrong = not isinstance(value, bool) if setting.type is bool else (
            isinstance(value, bool) or not isinstance(value, setting.type))
        if wrong:
            expected = "true か false" if setting.type is bool else setting.type.__name__
            raise SettingsError(f"{key}: {expected} で指定してください（{value!r}）")
        self._values[key] = value

    def save(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        sections: dict[str, list[str]] = {}
        for key, value in sorted(self._values.items()):
            section, name = key.split(".", 1)
            if isinstance(value, bool):
                rendered = "true" if value else "false"  # TOML's spelling, not Python's
            elif isinstance(value, int | float):
                rendered = str(value)
            else:
                rendered = _toml_str(value)
            sections.setdefault(section, []).append(f"{name} = {rendered}")
        text = "\n\n".join(f"[{sec}]\n" + "\n".join(lines) for sec, lines in sections.items())
        path = self.home / "config.toml"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text + "\n", encoding="utf-8")
        os.chmod(tmp, 0o600)  # it holds the register token
        tmp.replace(path)


_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n",
                 "\f": "\\f", "\r": "\\r"}


def _toml_str(value: str) -> str:
    # A basic string may hold no raw control character: the receipt's lines under the
    # store name are one setting, separated by newlines.
    escaped = "".join(_TOML_ESCAPES.get(ch) or (f"\\u{ord(ch):04X}" if ord(ch) < 0x20
                                                or ord(ch) == 0x7F else ch) for ch in value)
    return f'"{escaped}"'
