"""Languages of the counter application: Japanese in the code, English by Qt translation.

Japanese is the source language: widgets wrap their text in `self.tr()` (or
`QCoreApplication.translate`), `pyside6-lupdate` collects it into
`resources/translations/tamaru_en.ts`, and `pyside6-lrelease` compiles `tamaru_en.qm`
(`make translations` does both). `install` loads the file for the `locale.language`
setting at start.

Sentences that come from the core (store refusals, quote errors, device reasons, the
flows' messages) are Japanese strings. `core()` looks them up in the "core" context:

- fixed sentences are translated: those listed in `CORE_CATALOG` below, and the flows'
  templates (`desktop.flows.messages`), whose values (points, yen) are filled in after;
- sentences the core formats itself, with a number or a name inside (e.g. "ポイント残高
  （500 pt）を超えて利用できません" from `loyalty`, "このデータベースはレジ R01 …" from the
  store, HQ's own `detail` texts), cannot be matched and stay Japanese in English mode;
- data stays as it is: member and staff names, program and campaign names, receipts
  (printed in Japanese for the customer), and log lines.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from desktop.flows.messages import CORE, Message
from resources import RESOURCES

log = logging.getLogger(__name__)

TRANSLATIONS = RESOURCES / "translations"
LANGUAGES = ("ja", "en")

_installed: list[QTranslator] = []
_language = "ja"


def QT_TRANSLATE_NOOP(context: str, source: str) -> str:  # noqa: N802 - the name lupdate reads
    return source


# Fixed sentences of the core packages the screen may show (see the module docstring).
# tests/desktop/test_i18n.py keeps this list complete for the message tables it can see.
CORE_CATALOG: tuple[str, ...] = (
    # loyalty.tokens.MESSAGES
    QT_TRANSLATE_NOOP("core", "会員コードを読み取れませんでした。もう一度読み取ってください"),
    QT_TRANSLATE_NOOP("core", "この会員コードを確認できません。同期してからもう一度読み取ってください"),
    QT_TRANSLATE_NOOP("core", "無効な会員コードです"),
    QT_TRANSLATE_NOOP("core", "会員コードの有効期限が切れています。アプリで新しいコードを表示してください"),
    QT_TRANSLATE_NOOP("core", "会員コードの時刻が正しくありません。レジの時計を確認してください"),
    # loyalty.scan.MESSAGES
    QT_TRANSLATE_NOOP("core", "読み取れませんでした。もう一度読み取ってください"),
    QT_TRANSLATE_NOOP("core", "読み取ったデータが長すぎます。もう一度読み取ってください"),
    QT_TRANSLATE_NOOP("core", "日本語入力がオンになっています。半角英数に切り替えてから読み取ってください"),
    QT_TRANSLATE_NOOP("core", "会員番号のチェックデジットが正しくありません。もう一度読み取ってください"),
    QT_TRANSLATE_NOOP("core", "会員バーコードではありません（商品のバーコードかもしれません）"),
    QT_TRANSLATE_NOOP("core", "レシートのコードを読み取れませんでした"),
    QT_TRANSLATE_NOOP("core", "会員コードでもレシートでもないコードです"),
    # devices: card readers and scanners
    QT_TRANSLATE_NOOP("core", "カードリーダーが見つかりません"),
    QT_TRANSLATE_NOOP("core", "カードの読み取り中に離されました。もう一度タッチしてください"),
    QT_TRANSLATE_NOOP("core", "このカードは読み取れません"),
    QT_TRANSLATE_NOOP("core", "カードリーダーが他のアプリで使用中です"),
    QT_TRANSLATE_NOOP("core", "スキャナーが見つかりません"),
    QT_TRANSLATE_NOOP("core", "スキャナーとの接続が切れました"),
    QT_TRANSLATE_NOOP("core", "スキャナーが他のアプリで使用中です"),
    QT_TRANSLATE_NOOP("core", "スキャナーを使う権限がありません"),
    QT_TRANSLATE_NOOP("core", "読み取ったコードを文字にできませんでした。もう一度読み取ってください"),
    # devices: printers
    QT_TRANSLATE_NOOP("core", "プリンターに接続できません"),
    QT_TRANSLATE_NOOP("core", "プリンターが見つかりません"),
    QT_TRANSLATE_NOOP("core", "プリンターを使う権限がありません"),
    QT_TRANSLATE_NOOP("core", "プリンターが他のアプリで使用中です"),
    QT_TRANSLATE_NOOP("core", "プリンターが応答しません"),
    QT_TRANSLATE_NOOP("core", "プリンターがオフラインです。電源とケーブルを確認してください"),
    QT_TRANSLATE_NOOP("core", "印刷中にプリンターとの接続が切れました"),
    QT_TRANSLATE_NOOP("core", "用紙切れです"),
    QT_TRANSLATE_NOOP("core", "プリンターのカバーが開いています"),
    QT_TRANSLATE_NOOP("core", "プリンターでエラーが発生しました"),
    QT_TRANSLATE_NOOP("core", "レシート用の日本語フォントがありません"),
    QT_TRANSLATE_NOOP("core", "USBプリンターを使うためのソフトウェアが入っていません"),
    QT_TRANSLATE_NOOP("core", "印刷できませんでした"),
    # devices.printer_status: a printer's state on the settings screen
    QT_TRANSLATE_NOOP("core", "印刷できます"),
    QT_TRANSLATE_NOOP("core", "印刷できます（用紙が残りわずかです）"),
    QT_TRANSLATE_NOOP("core", "接続できました（このプリンターは状態を返しません）"),
    # sync: store, staff, sync client
    QT_TRANSLATE_NOOP("core", "登録されていないカードです"),
    QT_TRANSLATE_NOOP("core", "このカードは利用停止中です。店長にお知らせください"),
    QT_TRANSLATE_NOOP("core", "会員情報がまだ届いていません。同期後にもう一度お試しください"),
    QT_TRANSLATE_NOOP("core", "この会員は利用停止中です"),
    QT_TRANSLATE_NOOP("core", "この会員番号は見つかりません"),
    QT_TRANSLATE_NOOP("core", "会員番号が重複しています。同期後にもう一度お試しください"),
    QT_TRANSLATE_NOOP("core", "会員が見つかりません"),
    QT_TRANSLATE_NOOP("core", "レジが登録されていません"),
    QT_TRANSLATE_NOOP("core", "ポイントの取り置きが取消済みか期限切れです。もう一度ポイント利用を入力してください"),
    QT_TRANSLATE_NOOP("core", "スタッフ番号または暗証番号が違います"),
    QT_TRANSLATE_NOOP("core", "ロック解除は店長のみ行えます"),
    QT_TRANSLATE_NOOP("core", "HQ の応答がタイムアウトしました"),
    QT_TRANSLATE_NOOP("core", "HQ の応答を読めません"),
    QT_TRANSLATE_NOOP("core", "HQ のカーソルが巻き戻りました。管理者に連絡してください"),
    QT_TRANSLATE_NOOP("core", "HQ の証明書を確認できません。HQ のアドレスと、本部独自の証明書なら"
                      "設定の hq.ca_file を確認してください"),
    QT_TRANSLATE_NOOP("core", "HQ の応答に送った取引の結果がありません"),
    QT_TRANSLATE_NOOP("core", "HQ の応答を読めません（同期の応答の形が違います）"),
    QT_TRANSLATE_NOOP("core", "HQ の応答を読めません（更新の応答の形が違います）"),
    # sync.ops: enrolment and the managers' corrections (card block, reissue, adjust, merge)
    QT_TRANSLATE_NOOP("core", "電話番号は市外局番から10桁または11桁で入力してください"),
    QT_TRANSLATE_NOOP("core", "会員番号が正しくありません"),
    QT_TRANSLATE_NOOP("core", "このカードはすでに登録されています"),
    QT_TRANSLATE_NOOP("core", "この会員番号はすでに登録されています"),
    QT_TRANSLATE_NOOP("core", "カードの番号を読み取れませんでした。もう一度タッチしてください"),
    QT_TRANSLATE_NOOP("core", "調整の理由を入力してください"),
    QT_TRANSLATE_NOOP("core", "調整するポイントを入力してください（0 以外）"),
    QT_TRANSLATE_NOOP("core", "停止の理由を入力してください"),
    QT_TRANSLATE_NOOP("core", "このカードはすでに停止されています"),
    QT_TRANSLATE_NOOP("core", "新しいカードが古いカードと同じです"),
    QT_TRANSLATE_NOOP("core", "新しいカードはすでに登録されています"),
    QT_TRANSLATE_NOOP("core", "同じ会員どうしは統合できません"),
    QT_TRANSLATE_NOOP("core", "統合の理由を入力してください"),
    QT_TRANSLATE_NOOP("core", "利用停止中の会員は統合できません"),
    QT_TRANSLATE_NOOP("core", "統合元の会員にポイントの取り置きがあります。"
                      "取消または期限切れ後に統合してください"),
    # sync.ops_returns
    QT_TRANSLATE_NOOP("core", "返品する明細の合計が返品金額と一致しません"),
    QT_TRANSLATE_NOOP("core", "返品金額は1円以上で入力してください"),
    # desktop.hq_lookup: why HQ's history, a sale or the store's figures could not be had
    QT_TRANSLATE_NOOP("core", "本部にこの会員の記録がありません"),
    QT_TRANSLATE_NOOP("core", "本部にこの取引の記録がありません（この店舗の取引でないか、"
                      "まだ本部に届いていません）"),
    QT_TRANSLATE_NOOP("core", "本部にこの店舗の記録がありません"),
    QT_TRANSLATE_NOOP("core", "集計期間の指定が正しくありません"),
    QT_TRANSLATE_NOOP("core", "本部の応答がありません"),
    QT_TRANSLATE_NOOP("core", "本部に接続できません"),
    QT_TRANSLATE_NOOP("core", "本部がこのレジの問い合わせを拒否しました"),
    QT_TRANSLATE_NOOP("core", "本部の応答を読めません"),
    QT_TRANSLATE_NOOP("core", "レシート番号を読み取れませんでした"),
    # desktop.flows.settings_ops: a printer setting the status check cannot open
    QT_TRANSLATE_NOOP("core", "プリンターの設定が正しくありません"),
    # desktop.poslink.counter_adapter: a POS sale that can no longer be recorded
    QT_TRANSLATE_NOOP("core", "POS の取引は取り消されたか、既に処理されています"),
    QT_TRANSLATE_NOOP("core", "POS への結果の記録に失敗しました。再起動すると POS に送られます"),
    # desktop.provisioning: why registering the register failed (the fixed ones)
    QT_TRANSLATE_NOOP("core", "HQ が入力を受け付けませんでした。レジ番号とコードを確認してください"),
    QT_TRANSLATE_NOOP("core", "プロビジョニングコードを入力してください（例: 7KQ2-M9XD-4TRA）"),
    QT_TRANSLATE_NOOP("core", "HQ の証明書を確認できません。URL が正しいか、本部独自の証明書なら "
                      "CA ファイルを指定してください"),
    QT_TRANSLATE_NOOP("core", "HQ の応答を読めません。URL が Tamaru の HQ を指しているか確認してください"),
    QT_TRANSLATE_NOOP("core", "HQ の応答が別のレジのものです。本部に連絡してください"),
    # loyalty: quotes
    QT_TRANSLATE_NOOP("core", "商品がありません"),
    QT_TRANSLATE_NOOP("core", "金額は整数で入力してください"),
    QT_TRANSLATE_NOOP("core", "金額は1円以上で入力してください"),
    QT_TRANSLATE_NOOP("core", "利用ポイントは整数で入力してください"),
    QT_TRANSLATE_NOOP("core", "利用ポイントは0以上で入力してください"),
    QT_TRANSLATE_NOOP("core", "ポイントを利用するには会員を確認してください"),
    QT_TRANSLATE_NOOP("core", "お会計金額を超えてポイントを利用できません"),
    QT_TRANSLATE_NOOP("core", "会員を確認するとポイントを利用できます"),
    QT_TRANSLATE_NOOP("core", "通常ポイント"),
)


def install(language: str) -> str:
    """Load the translations for `language` ("ja" or "en") into the running application.

    Qt's own strings (standard dialog buttons) follow the same language. Returns the
    language in effect; an unknown one or a missing file leaves Japanese, with a log line.
    """
    global _language
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication before installing translations")
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    wanted = language if language in LANGUAGES else "ja"
    if wanted != language:
        log.warning("unknown language %r; using Japanese", language)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{wanted}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _installed.append(qt)
    if wanted == "en":
        ours = QTranslator(app)
        if ours.load(str(TRANSLATIONS / "tamaru_en.qm")):
            app.installTranslator(ours)
            _installed.append(ours)
        else:
            log.warning("translations %s missing; using Japanese", TRANSLATIONS / "tamaru_en.qm")
            wanted = "ja"
    QLocale.setDefault(QLocale(QLocale.Language.English if wanted == "en"
                               else QLocale.Language.Japanese))
    _language = wanted
    return wanted


def language() -> str:
    return _language


def core(text: Any) -> str:
    """A sentence from the core in the screen's language (see the module docstring)."""
    if isinstance(text, Message):
        params = {key: core(value) if isinstance(value, str) else value
                  for key, value in text.params.items()}
        template = QCoreApplication.translate(CORE, text.template)
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A translation that lost a placeholder must not hide the message.
            log.warning("bad translation of %r", text.template)
            return str(text)
    if isinstance(text, BaseException):
        text = text.args[0] if text.args else str(text)
        return core(text)
    return QCoreApplication.translate(CORE, str(text))
