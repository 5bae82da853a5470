"""A realistic sample receipt shared by the receipt, printer and decoder tests."""

from __future__ import annotations

from devices.receipt import Receipt, ReceiptLine

QR_PAYLOAD = "TMR1:S0042:R02:000123"
LONG_NOTICE = (
    "ポイントの有効期限は最終ご利用日から1年間です。期間限定ポイントは各キャンペーンの"
    "期限までにご利用ください。またのご来店を心よりお待ちしております。"
)


def sample_receipt(qr_payload: str | None = QR_PAYLOAD) -> Receipt:
    line = ReceiptLine
    return Receipt(
        header=(
            line("たまる商店 渋谷店", size="large", bold=True, align="center"),
            line("東京都渋谷区道玄坂1-2-3", align="center"),
            line("TEL 03-1234-5678", align="center"),
            line(""),
            line("2025年6月14日(土) 14:32", "レジ 02"),
            line("取引番号", "0002-000123"),
            line("担当", "佐藤"),
        ),
        body=(
            line(""),
            line("山田 花子 様", bold=True),
            line("会員番号", "※※※※1234"),
            line("合計", "￥1,234", bold=True, size="large"),
            line("獲得ポイント", "12 pt"),
            line("利用ポイント", "0 pt"),
            line("ポイント残高", "1,246 pt", bold=True),
            line(""),
        ),
        qr_payload=qr_payload,
        footer=(
            line(LONG_NOTICE),
            line("ありがとうございました", align="center"),
        ),
    )
