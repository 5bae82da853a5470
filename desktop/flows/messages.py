"""Sentences the flows show the cashier, kept translatable although the flows know no Qt.

`Message` (loyalty.message) is a `str` (the Japanese sentence, as logs and tests read it)
that also keeps its template and values, so the screen can look the template up in the
"core" translation context and fill in the same values in English. Templates are marked
with `QT_TRANSLATE_NOOP` so `pyside6-lupdate` collects them into resources/translations/.
"""

from __future__ import annotations

from loyalty.message import QT_TRANSLATE_NOOP, Message  # noqa: F401 - the flows import both here

CORE = "core"

# -- sign-in --------------------------------------------------------------------------
SIGN_IN_FIRST = QT_TRANSLATE_NOOP("core", "サインインしてください")
ENTER_CODE_AND_PIN = QT_TRANSLATE_NOOP("core", "スタッフ番号と暗証番号を入力してください")
NOT_A_MANAGER = QT_TRANSLATE_NOOP("core", "店長の承認が必要です。店長のスタッフ番号と暗証番号を入力してください")
SIGN_IN_FAILED = QT_TRANSLATE_NOOP("core", "サインインできませんでした。もう一度お試しください")

# -- identification -------------------------------------------------------------------
RECEIPT_SCANNED = QT_TRANSLATE_NOOP("core", "レシートのコードです。返品画面で読み取ってください")
REPLAYED = QT_TRANSLATE_NOOP(
    "core", "この会員コードはすでに使われています。アプリで新しいコードを表示してもらってください")
MEMBER_NOT_CACHED = QT_TRANSLATE_NOOP(
    "core", "この会員はまだこのレジに届いていません。同期してからもう一度読み取ってください")
UNKNOWN_MEMBER_NO = QT_TRANSLATE_NOOP(
    "core", "この会員番号は登録されていません。番号を確かめてください")
MEMBER_BLOCKED = QT_TRANSLATE_NOOP(
    "core", "この会員は利用停止中です。ポイントは使えません。店長にお知らせください")
UNKNOWN_CARD = QT_TRANSLATE_NOOP(
    "core", "登録されていないカードです。会員番号で呼び出すか、入会の手続きをしてください")
CARD_BLOCKED = QT_TRANSLATE_NOOP(
    "core", "このカードは利用停止中です。店長にお知らせください")
KEY_RETIRED = QT_TRANSLATE_NOOP("core", "無効な会員コードです（署名鍵が失効しています）")

# -- the sale -------------------------------------------------------------------------
BUSY = QT_TRANSLATE_NOOP("core", "記録中です。しばらくお待ちください")
TOUCH_CARD = QT_TRANSLATE_NOOP("core", "会員カードをタッチしてください")
NO_PROGRAM = QT_TRANSLATE_NOOP("core", "ポイントプログラムがまだ届いていません。同期してください")
NOT_RECORDED = QT_TRANSLATE_NOOP("core", "記録できませんでした。もう一度確定してください")
HOLDING = QT_TRANSLATE_NOOP("core", "HQ でポイントを確保しています…")
OFFLINE_USED = QT_TRANSLATE_NOOP(
    "core", "HQ に接続できないため、オフラインの利用上限（{allowance:,} pt）の範囲でポイントを"
    "利用しました。接続が戻ると HQ に送られます")
OFFLINE_TOO_MANY = QT_TRANSLATE_NOOP(
    "core", "HQ に接続できません。オフライン中に利用できるのは {allowance:,} pt までです。"
    "利用ポイントを減らして確定してください")
HOLD_SHORT = QT_TRANSLATE_NOOP(
    "core", "ほかのレジで利用中のポイントがあるため、今利用できるのは {available:,} pt までです。"
    "利用ポイントを減らしてください")
HOLD_REFUSED = QT_TRANSLATE_NOOP(
    "core", "HQ がポイントの利用を受け付けませんでした。同期してからもう一度お試しください")
LINE_AMOUNT = QT_TRANSLATE_NOOP("core", "金額")
LINE_QUANTITY = QT_TRANSLATE_NOOP("core", "数量")
REDEEM_POINTS = QT_TRANSLATE_NOOP("core", "利用ポイント")
NUMBERS_ONLY = QT_TRANSLATE_NOOP("core", "{what}は数字で入力してください")
EMPTY_BASKET = QT_TRANSLATE_NOOP("core", "金額を入力するか、明細を追加してください")
