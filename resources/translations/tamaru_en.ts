<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="ja">
<context>
    <name>Banner</name>
    <message>
        <location filename="../../desktop/screens/statusbar.py" line="+152"/>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>BasketPanel</name>
    <message>
        <location filename="../../desktop/screens/counter_parts.py" line="+185"/>
        <source>明細</source>
        <translation>Items</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>商品</source>
        <translation>Item</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>分類</source>
        <translation>Cat.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>数量</source>
        <translation>Qty</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>金額</source>
        <translation>Amount</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>商品名（任意）</source>
        <translation>Item name (optional)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>分類: ポイントの対象外やキャンペーンはプログラムで決まります</source>
        <translation>Category: the program decides point exclusions and campaigns</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>明細に追加</source>
        <translation>Add item</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>選択した行を削除</source>
        <translation>Remove selected</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>金額欄に入力して「明細に追加」。明細がなければ金額だけで会計します</source>
        <translation>Type the amount, then &quot;Add item&quot;. Without items, the amount alone is the sale</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{name}（{note}）</source>
        <translation>{name} ({note})</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>（商品）</source>
        <translation>(item)</translation>
    </message>
</context>
<context>
    <name>CameraScanner</name>
    <message>
        <location filename="../../desktop/camera_scan.py" line="+63"/>
        <source>カメラ読み取りは停止中です</source>
        <translation>Camera scanning is off</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カメラを準備しています</source>
        <translation>Starting the camera</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カメラで会員コードを読み取れます</source>
        <translation>Ready to scan member codes with the camera</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このパソコンではカメラ読み取りを使えません（カメラ機能が入っていません）</source>
        <translation>Camera scanning is not available on this PC (camera support is not installed)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>このパソコンではカメラ読み取りを使えません（QRコードの読み取り機能が入っていません）</source>
        <translation>Camera scanning is not available on this PC (QR code reading is not installed)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>カメラが見つかりません。接続を確認してください</source>
        <translation>No camera found. Check the connection</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>カメラが使えなくなりました。接続を確認してください</source>
        <translation>The camera stopped working. Check the connection</translation>
    </message>
</context>
<context>
    <name>Categories</name>
    <message>
        <location filename="../../desktop/flows/basket.py" line="+32"/>
        <source>食品</source>
        <translation>Food</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>生鮮食品</source>
        <translation>Fresh food</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>日用品</source>
        <translation>Household goods</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お米</source>
        <translation>Rice</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>飲料</source>
        <translation>Drinks</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>酒類</source>
        <translation>Alcohol</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>たばこ</source>
        <translation>Tobacco</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ギフトカード</source>
        <translation>Gift cards</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>指定ごみ袋</source>
        <translation>Official garbage bags</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>切手・はがき</source>
        <translation>Stamps and postcards</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>処方薬</source>
        <translation>Prescriptions</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>医薬品</source>
        <translation>Medicines</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>化粧品</source>
        <translation>Cosmetics</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ベビー用品</source>
        <translation>Baby goods</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ペット用品</source>
        <translation>Pet supplies</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>分類なし</source>
        <translation>No category</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ポイント対象外</source>
        <translation>earns no points</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイント利用不可</source>
        <translation>points not usable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイント対象外・利用不可</source>
        <translation>no points earned or used</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>キャンペーン対象</source>
        <translation>campaign item</translation>
    </message>
</context>
<context>
    <name>CounterScreen</name>
    <message>
        <location filename="../../desktop/screens/counter.py" line="+54"/>
        <source>ポイント残高まで</source>
        <translation>up to the balance</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>オフライン中の上限</source>
        <translation>offline limit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>1回のご利用上限</source>
        <translation>limit per sale</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントで払える金額まで</source>
        <translation>up to the amount points may pay</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>最低利用ポイントに届きません</source>
        <translation>below the minimum</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員のみ</source>
        <translation>members only</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>金額（円）</source>
        <translation>Amount (yen)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>利用ポイント</source>
        <translation>Points to use</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>全部使う</source>
        <translation>Use all</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>確定（Enter / F8）</source>
        <translation>Confirm (Enter / F8)</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+71"/>
        <source>取消（Esc）</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <location line="-67"/>
        <source>取引を取り消す</source>
        <translation>Void sale</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>記録したこのお買上げを全額返品として取り消します（返品画面が開きます）</source>
        <translation>Cancels this recorded sale as a full return (opens the returns screen)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>明細 {total}</source>
        <translation>Items {total}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>明細 {total} ＋ {amount} ＝ {sum}</source>
        <translation>Items {total} + {amount} = {sum}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>明細 {n} 行の合計 {total}</source>
        <translation>Items: {n} line(s), total {total}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>次のお客様（Esc）</source>
        <translation>Next customer (Esc)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の取引を取消（Esc）</source>
        <translation>Cancel POS sale (Esc)</translation>
    </message>
    <message>
        <location line="+81"/>
        <source>最大 {points} pt（{why}）</source>
        <translation>Up to {points} pt ({why})</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>再発行できるレシートがまだありません</source>
        <translation>No receipt to reprint yet</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>記録しました（取引番号 {no}）</source>
        <translation>Recorded (transaction no. {no})</translation>
    </message>
</context>
<context>
    <name>DeviceChoices</name>
    <message>
        <location filename="../../desktop/flows/settings_devices.py" line="+36"/>
        <source>LAN（IP アドレス）</source>
        <translation>LAN (IP address)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>USB</source>
        <translation>USB</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>シリアル（COM ポート）</source>
        <translation>Serial (COM port)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>デバイスファイル</source>
        <translation>Device file</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>画面に表示（デモ用）</source>
        <translation>On screen (demo)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>テキスト（漢字モード・速い）</source>
        <translation>Text (kanji mode, fast)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>画像（どの機種でもきれい）</source>
        <translation>Image (clean on any model)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>使わない（キーボード入力型だけ）</source>
        <translation>None (keyboard-type scanners only)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>シリアル（USB-COM）</source>
        <translation>Serial (USB-COM)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>デモ用スキャナー</source>
        <translation>Demo scanner</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>例 192.168.0.50 または 192.168.0.50:9100</source>
        <translation>e.g. 192.168.0.50 or 192.168.0.50:9100</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ベンダー:プロダクト 例 04b8:0202</source>
        <translation>vendor:product, e.g. 04b8:0202</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>例 /dev/ttyS0 または COM1</source>
        <translation>e.g. /dev/ttyS0 or COM1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>例 /dev/usb/lp0</source>
        <translation>e.g. /dev/usb/lp0</translation>
    </message>
</context>
<context>
    <name>DevicePanel</name>
    <message>
        <location filename="../../desktop/screens/counter_parts.py" line="+135"/>
        <source>デモ用カードリーダー</source>
        <translation>Demo card reader</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>タッチ: {name}</source>
        <translation>Tap: {name}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>（停止中）</source>
        <translation> (blocked)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>タッチ: 未登録のカード</source>
        <translation>Tap: unknown card</translation>
    </message>
</context>
<context>
    <name>DevicesPanel</name>
    <message>
        <location filename="../../desktop/screens/settings_devices.py" line="+99"/>
        <source>機器の設定を保存</source>
        <translation>Save device settings</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>保存した機器は、次にアプリを起動したときから使われます。保存する前に「テスト」で確かめてください</source>
        <translation>Saved devices are used from the next time the app starts. Check them with the tests before saving</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>カードリーダー</source>
        <translation>Card reader</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+119"/>
        <source>読み取りテスト</source>
        <translation>Test read</translation>
    </message>
    <message>
        <location line="-115"/>
        <source>デモ用カードをタッチ</source>
        <translation>Tap the demo card</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>デモ用リーダー（画面のボタンでタッチ）</source>
        <translation>Demo reader (tap with an on-screen button)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>IC カードリーダー（最初に接続されたもの）</source>
        <translation>IC card reader (the first one connected)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>IC カードリーダー: {name}</source>
        <translation>IC card reader: {name}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>レシートプリンター</source>
        <translation>Receipt printer</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>標準（機種を指定しない）</source>
        <translation>Standard (no specific model)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{mm} mm</source>
        <translation>{mm} mm</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+60"/>
        <source>接続</source>
        <translation>Connection</translation>
    </message>
    <message>
        <location line="-60"/>
        <source>アドレス</source>
        <translation>Address</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>機種</source>
        <translation>Model</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>用紙の幅</source>
        <translation>Paper width</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>印刷方式</source>
        <translation>Print mode</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+60"/>
        <source>通信速度</source>
        <translation>Baud rate</translation>
    </message>
    <message>
        <location line="-42"/>
        <source>テスト印字</source>
        <translation>Test print</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>状態を確認</source>
        <translation>Check status</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>シリアルスキャナー</source>
        <translation>Serial scanner</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>例 /dev/ttyACM0 または COM3</source>
        <translation>e.g. /dev/ttyACM0 or COM3</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>ポート</source>
        <translation>Port</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>終端文字</source>
        <translation>Terminator</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>カメラ（会員アプリの QR）</source>
        <translation>Camera (member app QR)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>使わない</source>
        <translation>Not used</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>既定のカメラ</source>
        <translation>Default camera</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>カメラのテスト</source>
        <translation>Test camera</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>詳細設定</source>
        <translation>Advanced settings</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>この機器構成には詳細設定はありません</source>
        <translation>These devices have no advanced settings</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>カードをリーダーにタッチしてください…</source>
        <translation>Tap a card on the reader…</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>印刷しています…</source>
        <translation>Printing…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>確認しています…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location line="+15"/>
        <location line="+3"/>
        <source>スキャナーでバーコードを読み取ってください…</source>
        <translation>Scan a barcode with the scanner…</translation>
    </message>
    <message>
        <location line="+9"/>
        <location line="+23"/>
        <source>読み取りました: {code}</source>
        <translation>Scanned: {code}</translation>
    </message>
    <message>
        <location line="-15"/>
        <source>カメラは使わない設定です</source>
        <translation>The camera is set to &quot;Not used&quot;</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>このパソコンにはカメラ読み取りの機能が入っていません</source>
        <translation>Camera scanning is not installed on this PC</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>機器の設定を保存しました。次にアプリを起動したときから使われます</source>
        <translation>Device settings saved. They are used from the next time the app starts</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>変更はありません</source>
        <translation>No changes</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>{name}（{model}）</source>
        <translation>{name} ({model})</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{message}&#x3000;カード番号 {uid}</source>
        <translation>{message}  Card no. {uid}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{message}（{detail}）</source>
        <translation>{message} ({detail})</translation>
    </message>
</context>
<context>
    <name>EnrolScreen</name>
    <message>
        <location filename="../../desktop/screens/enrol.py" line="+54"/>
        <source>入会</source>
        <translation>Enrol</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>会員登録（店頭）</source>
        <translation>Member sign-up (in store)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お名前とフリガナだけで登録できます。誕生月と電話番号は任意です。</source>
        <translation>Only the name and its kana are needed. Birthday month and phone are optional.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>例 山田 花子</source>
        <translation>e.g. 山田 花子</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>例 ヤマダ ハナコ</source>
        <translation>e.g. ヤマダ ハナコ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>答えない</source>
        <translation>Prefer not to say</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{m}月</source>
        <translation>Month {m}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>任意 例 090-1234-5678</source>
        <translation>Optional, e.g. 090-1234-5678</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>お名前</source>
        <translation>Name</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>フリガナ</source>
        <translation>Name in kana</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>誕生月（任意）</source>
        <translation>Birthday month (optional)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>電話番号（任意）</source>
        <translation>Phone (optional)</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>クリア</source>
        <translation>Clear</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>登録する</source>
        <translation>Enrol</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>カード</source>
        <translation>Card</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>登録したカードはこのレジですぐに使えます。オフラインでも登録でき、HQ に接続したときに会員番号が発行されます。</source>
        <translation>The card works at this register right away. Enrolment also works offline; the member number is issued once HQ is reached.</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>入力内容を確認してください</source>
        <translation>Please check the entries</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>このカードを登録します</source>
        <translation>This card will be registered</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>新しいカードをタッチするか、会員カードのバーコードを読み取ってください</source>
        <translation>Tap a new card or scan the member card&apos;s barcode</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>登録しました（取引番号 {no}）。入会受付票を印刷しています。カードはすぐに使えます</source>
        <translation>Enrolled (transaction no. {no}). Printing the enrolment slip. The card can be used right away</translation>
    </message>
</context>
<context>
    <name>Enrolment</name>
    <message>
        <location filename="../../desktop/flows/enrol.py" line="+42"/>
        <source>個人情報の取り扱いに同意します</source>
        <translation>I agree to the handling of my personal information</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ご登録の情報は、ポイントサービスの提供とご本人確認のためにのみ利用し、法令に基づく場合を除き第三者に提供しません。</source>
        <translation>Your details are used only to provide the points service and to confirm your identity, and are not given to third parties except where the law requires.</translation>
    </message>
</context>
<context>
    <name>History</name>
    <message>
        <location filename="../../desktop/flows/lookup.py" line="+51"/>
        <source>HQ</source>
        <translation>HQ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このレジの記録のみ</source>
        <translation>This register&apos;s records only</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>獲得</source>
        <translation>Earned</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用</source>
        <translation>Used</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品（獲得取消）</source>
        <translation>Return (earned points reversed)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品（利用返還）</source>
        <translation>Return (used points restored)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>失効</source>
        <translation>Expired</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>調整</source>
        <translation>Adjustment</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>不足</source>
        <translation>Shortfall</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>不足の精算</source>
        <translation>Shortfall repaid</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>統合（受入）</source>
        <translation>Merge (in)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>統合（移出）</source>
        <translation>Merge (out)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>移行</source>
        <translation>Carried over</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>販売</source>
        <translation>Sale</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品</source>
        <translation>Return</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイント調整</source>
        <translation>Point adjustment</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>入会</source>
        <translation>Enrolment</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カード停止</source>
        <translation>Card blocked</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カード再発行</source>
        <translation>Card reissued</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員統合</source>
        <translation>Member merge</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>未送信</source>
        <translation>Not sent</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>送信中</source>
        <translation>Sending</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部で保留</source>
        <translation>On hold at HQ</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+1"/>
        <source>確定</source>
        <translation>Confirmed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部で却下</source>
        <translation>Refused by HQ</translation>
    </message>
</context>
<context>
    <name>HourChart</name>
    <message>
        <location filename="../../desktop/screens/reports.py" line="+106"/>
        <source>発行ポイント</source>
        <translation>Points issued</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>利用ポイント</source>
        <translation>Points used</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>（時）</source>
        <translation>(hour)</translation>
    </message>
</context>
<context>
    <name>LookupScreen</name>
    <message>
        <location filename="../../desktop/screens/lookup.py" line="+82"/>
        <source>会員照会</source>
        <translation>Member look-up</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>会員番号・カード番号・電話番号</source>
        <translation>Member no., card no. or phone</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>検索</source>
        <translation>Search</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>カードをタッチしても呼び出せます</source>
        <translation>You can also tap a card to find the member</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>有効期限ごとのポイント</source>
        <translation>Points by expiry</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>種類</source>
        <translation>Type</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+36"/>
        <source>ポイント</source>
        <translation>Points</translation>
    </message>
    <message>
        <location line="-36"/>
        <source>有効期限</source>
        <translation>Expiry</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+1"/>
        <source>カード</source>
        <translation>Card</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>状態</source>
        <translation>Status</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>理由 例 紛失届</source>
        <translation>Reason, e.g. reported lost</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カード停止</source>
        <translation>Block card</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>再発行</source>
        <translation>Reissue</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>日時</source>
        <translation>Date/time</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>内容</source>
        <translation>Activity</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>残高</source>
        <translation>Balance</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>備考</source>
        <translation>Notes</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>レシート</source>
        <translation>Receipt</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>さらに表示</source>
        <translation>Show more</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>履歴</source>
        <translation>History</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>ポイントを加算（+）または減算（-）します。理由は HQ の記録とお客様の控えに残ります。</source>
        <translation>Add (+) or deduct (-) points. The reason is kept in HQ&apos;s records and on the customer&apos;s copy.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>例 +100 / -50</source>
        <translation>e.g. +100 / -50</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>理由 例 レシート紛失分の付与</source>
        <translation>Reason, e.g. points for a lost receipt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>調整する</source>
        <translation>Adjust</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>調整ポイント</source>
        <translation>Points to adjust</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ポイント調整</source>
        <translation>Adjust points</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>統合元の会員のポイントとカードを、表示中の会員に移します。統合元は利用停止になります。</source>
        <translation>Moves the points and cards of the member merged in to the member shown. The merged member is then blocked.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>統合元の会員番号またはカード番号</source>
        <translation>Member no. or card no. to merge in</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>確認</source>
        <translation>Check</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>理由 例 二重登録</source>
        <translation>Reason, e.g. registered twice</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>統合する</source>
        <translation>Merge</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>会員統合</source>
        <translation>Merge members</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>店長のみ操作できます</source>
        <translation>Manager only</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>カードを選んでください</source>
        <translation>Select a card</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>新しいカードをタッチしてください</source>
        <translation>Tap the new card</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>（利用停止）</source>
        <translation> (blocked)</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>会員を検索してください</source>
        <translation>Search for a member</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{name} 様</source>
        <translation>{name}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>（HQ で発行待ち）</source>
        <translation>(to be issued by HQ)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>会員番号 {no}&#x3000;電話 {phone}</source>
        <translation>Member no. {no}  Phone {phone}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>会員番号 {no}</source>
        <translation>Member no. {no}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>利用停止</source>
        <translation>Blocked</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>仮登録</source>
        <translation>Provisional</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>不足 {debt}</source>
        <translation>Owes {debt}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>HQ: 残高 {b}&#x3000;取り置き {h}&#x3000;利用可能 {a}</source>
        <translation>HQ: balance {b}  held {h}  available {a}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>HQ 未確定の増減 {d:+,} pt を含みます</source>
        <translation>Includes {d:+,} pt not yet confirmed by HQ</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>期間限定</source>
        <translation>Limited-time</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>通常</source>
        <translation>Base</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{date} まで</source>
        <translation>Until {date}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>期限なし</source>
        <translation>No expiry</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>利用中</source>
        <translation>Active</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>停止</source>
        <translation>Blocked</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{note}&#x3000;{state}</source>
        <translation>{note}  {state}</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>再発行</source>
        <comment>reprint a receipt</comment>
        <translation>Reprint</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>レシート {no} をもう一度印刷します（再発行と印字されます）</source>
        <translation>Print receipt {no} again (marked as a reprint)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>統合元: {name}（{no}）{points}</source>
        <translation>Merge in: {name} ({no}) {points}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{what}（取引番号 {no}）</source>
        <translation>{what} (transaction no. {no})</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../desktop/window.py" line="+101"/>
        <source>{store}&#x3000;レジ {device}</source>
        <translation>{store}  Register {device}</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>サインアウト</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <location line="+72"/>
        <source>カメラ読み取りを使えません</source>
        <translation>Camera scanning is not available</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このパソコンにはカメラ読み取りの機能が入っていません。設定（F9）でカメラを「使わない」にしてください</source>
        <translation>Camera scanning is not installed on this PC. Set the camera to &quot;Not used&quot; in Settings (F9)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>カメラを開けません: {reason}</source>
        <translation>Cannot open the camera: {reason}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>設定（F9）でカメラを選び直してください</source>
        <translation>Choose the camera again in Settings (F9)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>カードや会員バーコードはそのまま読み取れます。カメラの接続を確認するか、設定（F9）でカメラを選び直してください</source>
        <translation>Cards and member barcodes can still be read. Check the camera connection, or choose the camera again in Settings (F9)</translation>
    </message>
    <message>
        <location line="+25"/>
        <location line="+58"/>
        <source>記録が終わるまでお待ちください</source>
        <translation>Please wait until the sale is recorded</translation>
    </message>
    <message>
        <location line="-31"/>
        <source>「{title}」は店長の承認が必要です</source>
        <translation>&quot;{title}&quot; needs a manager&apos;s approval</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>先にサインインしてください</source>
        <translation>Please sign in first</translation>
    </message>
    <message>
        <location line="+91"/>
        <source>HQ に接続できません（{reason}）</source>
        <translation>Cannot reach HQ ({reason})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>販売はそのまま続けられます。ポイントの利用はオフラインの上限までです。ネットワークのケーブルとルーターを確認してください</source>
        <translation>You can keep selling. Points can be used up to the offline limit. Check the network cable and the router</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>レシートを印刷できませんでした: {reason}</source>
        <translation>The receipt was not printed: {reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>お買い上げは記録済みです。プリンターの電源・用紙・ケーブルを確認してください。レシートはあとで再印刷できます</source>
        <translation>The sale is recorded. Check the printer&apos;s power, paper and cable. The receipt can be reprinted later</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>プリンターを確認してください: {reason}</source>
        <translation>Check the printer: {reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>直したら「印刷を再開」を押してください。お買い上げは記録済みです</source>
        <translation>When it is fixed, press &quot;Resume printing&quot;. The sale is recorded</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>印刷を再開</source>
        <translation>Resume printing</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>HQ が取引を受け付けませんでした（{reason}）</source>
        <translation>HQ refused a sale ({reason})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この取引はポイントに反映されていません。店長に連絡してください</source>
        <translation>Its points were not applied. Tell the manager</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>HQ との同期を止めています: {reason}</source>
        <translation>Sync with HQ is stopped: {reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>販売は続けられ、取引はこのレジに残ります。レジの登録が取り消された場合は、店長が設定（F9）の「初期設定（プロビジョニング）」で本部から受け取ったコードを入力し直してください</source>
        <translation>You can keep selling; sales are kept on this register. If the register was unregistered, a manager enters a new code from head office under &quot;Initial setup (provisioning)&quot; in Settings (F9)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>もう一度試す</source>
        <translation>Try again</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>返品 {n} 件が {hours} 時間以上 HQ で保留のままです（{numbers}）</source>
        <translation>{n} return(s) on hold at HQ for {hours} h or more ({numbers})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>、</source>
        <comment>between receipt numbers</comment>
        <translation>, </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返品 {n} 件が {hours} 時間以上 HQ で保留のままです</source>
        <translation>{n} return(s) on hold at HQ for {hours} h or more</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>元のお買上げがまだ HQ に届いていないため、ポイントが戻せません。お買上げをしたレジが HQ に接続しているか確かめ、そのレジで「今すぐ同期」を押してください。解決しないときは本部に連絡してください</source>
        <translation>Their original sales have not reached HQ yet, so the points cannot be settled. Check that the register that made the sale is connected to HQ and press &quot;Sync now&quot; on it. If that does not help, contact head office</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>カードリーダー（{name}）が外れました</source>
        <translation>The card reader ({name}) was unplugged</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>USB ケーブルを差し直してください。つながると自動で使えるようになります。その間は会員 QR の読み取りか、会員番号の入力で続けられます</source>
        <translation>Plug the USB cable in again: the reader works again by itself once connected. Meanwhile, scan the member QR code or enter the member number</translation>
    </message>
</context>
<context>
    <name>ManagerApprovalDialog</name>
    <message>
        <location filename="../../desktop/screens/approval.py" line="+38"/>
        <source>店長の承認</source>
        <translation>Manager approval</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>店長の承認が必要です</source>
        <translation>A manager&apos;s approval is needed</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>店長のスタッフ番号</source>
        <translation>Manager&apos;s staff code</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+3"/>
        <source>暗証番号</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location line="-2"/>
        <source>スタッフ番号</source>
        <translation>Staff code</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>やめる</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>承認する</source>
        <translation>Approve</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>確認しています…</source>
        <translation>Checking…</translation>
    </message>
</context>
<context>
    <name>MemberPanel</name>
    <message>
        <location filename="../../desktop/screens/counter_parts.py" line="-334"/>
        <source>カードをタッチまたはQRをスキャン</source>
        <translation>Tap a card or scan a QR code</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>会員番号で呼び出す</source>
        <translation>Find by member number</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>呼出</source>
        <translation>Find</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>誕生月</source>
        <translation>Birthday month</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>オフライン</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location line="+30"/>
        <location line="+27"/>
        <source>{name} 様</source>
        <translation>{name}</translation>
    </message>
    <message>
        <location line="-24"/>
        <source>会員番号 {no}</source>
        <translation>Member no. {no}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>まもなく失効: {points}（最初は {date}）</source>
        <translation>Expiring soon: {points} (first on {date})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>停止中のカード {n} 枚</source>
        <translation>{n} blocked card(s)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>未精算 {points}</source>
        <translation>Owes {points}</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>残高 {balance}</source>
        <translation>Balance {balance}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ありがとうございました（今回 +{earned}）</source>
        <translation>Thank you (+{earned} this time)</translation>
    </message>
</context>
<context>
    <name>PosBanner</name>
    <message>
        <location filename="../../desktop/screens/counter_strips.py" line="+52"/>
        <source>会員なしで会計</source>
        <translation>No member</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>カードのないお客様: POS にポイントなしでお会計するよう伝えます</source>
        <translation>Customer without a card: tells the POS to settle without points</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>POS から {amount}</source>
        <translation>From the POS: {amount}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>内税</source>
        <translation>tax incl.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>外税</source>
        <translation>tax excl.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{items} 点（{basis}）・POS の取引 {sale_id}。会員カードをタッチまたは QR をスキャンし、確定してください</source>
        <translation>{items} item(s) ({basis}) · POS sale {sale_id}. Tap the member card or scan the QR code, then confirm</translation>
    </message>
</context>
<context>
    <name>PrintPanel</name>
    <message>
        <location line="+13"/>
        <source>新しいロール紙をセットしてカバーを閉じ、「印刷を再開」を押してください</source>
        <translation>Load a new paper roll, close the cover and press &quot;Resume printing&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターのカバーを奥まで閉じてから「印刷を再開」を押してください</source>
        <translation>Close the printer cover fully, then press &quot;Resume printing&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターの電源を切り、紙詰まりを取り除いてから電源を入れ、「印刷を再開」を押してください</source>
        <translation>Turn the printer off, clear the paper jam, turn it on again and press &quot;Resume printing&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターの電源が入っているか、ケーブルが抜けていないか確認してください</source>
        <translation>Check that the printer is on and its cable is plugged in</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+2"/>
        <source>プリンターの電源と、LAN・USB ケーブルを確認してください</source>
        <translation>Check the printer&apos;s power and its LAN/USB cable</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターの電源を入れ直してください</source>
        <translation>Turn the printer off and on again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ケーブルがしっかり差さっているか確認してください</source>
        <translation>Check that the cable is firmly plugged in</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターを使っているほかのアプリを閉じてください</source>
        <translation>Close any other application using the printer</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>店長に連絡してください</source>
        <translation>Tell the manager</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>印刷を再開</source>
        <translation>Resume printing</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>あとで印刷</source>
        <translation>Print later</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>レシート再発行</source>
        <translation>Reprint receipt</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>、</source>
        <comment>between receipt numbers</comment>
        <translation>, </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>印刷できなかったレシート {n} 件（{numbers} ほか）</source>
        <translation>Receipts not printed: {n} ({numbers} and others)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>印刷できなかったレシート {n} 件（{numbers}）</source>
        <translation>Receipts not printed: {n} ({numbers})</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>印刷を止めています: {reason}</source>
        <translation>Printing paused: {reason}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{advice}。お買い上げは記録済みで、レジはそのまま使えます</source>
        <translation>{advice}. The sale is recorded and the register can keep selling</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{reason}。{advice}。直したら「未印刷を印刷」を押してください</source>
        <translation>{reason}. {advice}. When it is fixed, press &quot;Print unprinted&quot;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{advice}。直したら「未印刷を印刷」を押してください</source>
        <translation>{advice}. When it is fixed, press &quot;Print unprinted&quot;</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>印刷をやり直しています（{n} 回目）: {reason}</source>
        <translation>Retrying the print (attempt {n}): {reason}</translation>
    </message>
    <message>
        <location line="-17"/>
        <source>印刷できなかったレシート {n} 件</source>
        <translation>Receipts not printed: {n}</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>印刷しています</source>
        <translation>Printing</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>プリンター: 準備できています</source>
        <translation>Printer: ready</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>未印刷を印刷（{n} 件）</source>
        <translation>Print unprinted ({n})</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>最後のレシート（{no}）をもう一度印刷します</source>
        <translation>Print the last receipt ({no}) again</translation>
    </message>
</context>
<context>
    <name>ProvisionDialog</name>
    <message>
        <location filename="../../desktop/screens/provision.py" line="+146"/>
        <source>Tamaru — 初期設定</source>
        <translation>Tamaru — Initial setup</translation>
    </message>
</context>
<context>
    <name>ProvisionPanel</name>
    <message>
        <location line="-94"/>
        <source>レジの初期設定</source>
        <translation>Register setup</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>本部から受け取った HQ のアドレスとプロビジョニングコードを入力してください。コードは一度だけ使えます。</source>
        <translation>Enter the HQ address and the provisioning code from head office. The code works only once.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>S001（空欄なら本部の登録に従う）</source>
        <translation>S001 (if empty, head office&apos;s record is used)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>登録する</source>
        <translation>Register</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>HQ のアドレス</source>
        <translation>HQ address</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レジ番号</source>
        <translation>Register no.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗コード</source>
        <translation>Store code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プロビジョニングコード</source>
        <translation>Provisioning code</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>HQ に接続しています…</source>
        <translation>Connecting to HQ…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>登録できませんでした: {error}</source>
        <translation>Registration failed: {error}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>登録しました: レジ {device}（店舗 {store}）</source>
        <translation>Registered: register {device} (store {store})</translation>
    </message>
</context>
<context>
    <name>QuotePanel</name>
    <message>
        <location filename="../../desktop/screens/counter_parts.py" line="+106"/>
        <source>お会計</source>
        <translation>Total</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員と金額を入力すると、お支払いと獲得ポイントがここに出ます</source>
        <translation>Identify the member and enter the amount: what to pay and the points earned appear here</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>合計</source>
        <translation>Subtotal</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ポイント利用</source>
        <translation>Points used</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お支払い</source>
        <translation>To pay</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>獲得予定</source>
        <translation>Points earned</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>通常ポイント</source>
        <translation>Base points</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ランク特典</source>
        <translation>Rank bonus</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>期間限定・{date} まで</source>
        <translation>limited-time, until {date}</translation>
    </message>
</context>
<context>
    <name>ReportsScreen</name>
    <message>
        <location filename="../../desktop/screens/reports.py" line="+31"/>
        <source>集計</source>
        <translation>Reports</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>日計を表示</source>
        <translation>Day totals</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>自分のシフト</source>
        <translation>My shift</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CSV に書き出す（このレジ）</source>
        <translation>Export CSV (this register)</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>会員のお買上げ</source>
        <translation>Member sales</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>会員数</source>
        <translation>Members</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>発行ポイント</source>
        <translation>Points issued</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>利用ポイント</source>
        <translation>Points used</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品</source>
        <translation>Returns</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>返品のポイント取消／返却</source>
        <translation>Points reversed/restored on returns</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイント調整</source>
        <translation>Point adjustments</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>入会</source>
        <translation>Enrolments</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ 未確定／保留</source>
        <translation>Pending at HQ</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>このレジ</source>
        <translation>This register</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+87"/>
        <source>店舗全体（HQ）</source>
        <translation>Whole store (HQ)</translation>
    </message>
    <message>
        <location line="+43"/>
        <location line="+16"/>
        <source>{reversed}／{restored}</source>
        <translation>{reversed} / {restored}</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>保留 {n} 件</source>
        <translation>{n} on hold</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>保留 {n} 件（却下 {m} 件）</source>
        <translation>{n} on hold ({m} refused)</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>時間帯別のポイント（店舗全体・HQ）</source>
        <translation>Points by hour (whole store, HQ)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>時間帯別のポイント（このレジ）</source>
        <translation>Points by hour (this register)</translation>
    </message>
    <message>
        <location line="-156"/>
        <source>入会（担当者別）</source>
        <translation>Enrolments by staff</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ポイントの内訳（キャンペーン別）</source>
        <translation>Points by campaign</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>サインインしてください</source>
        <translation>Please sign in</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>このレジの記録を書き出しました: {path}</source>
        <translation>Exported this register&apos;s records: {path}</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{name} さんのシフト（{time}〜）</source>
        <translation>{name}&apos;s shift (from {time})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{year}年{month}月{day}日 の日計</source>
        <translation>Day totals for {year}-{month}-{day}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>このレジ（{device}）</source>
        <translation>This register ({device})</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>「このレジ」はこのレジの記録だけの集計です。店舗全体の集計を HQ に問い合わせています…</source>
        <translation>&quot;This register&quot; counts this register&apos;s records only. Asking HQ for the whole store&apos;s totals…</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>店舗全体（HQ・レジ {n} 台）</source>
        <translation>Whole store (HQ, registers: {n})</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>「このレジ」はこのレジの記録だけ、「店舗全体」は HQ が受け付けた店舗のすべてのレジの集計です（{time} 現在）</source>
        <translation>&quot;This register&quot; counts this register&apos;s records only; &quot;Whole store&quot; counts every register of the store, as received by HQ (as of {time})</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>未確定 {n} 件</source>
        <translation>{n} unconfirmed</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>未確定 {n} 件（却下 {m} 件）</source>
        <translation>{n} unconfirmed ({m} refused)</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+3"/>
        <location line="+13"/>
        <location line="+3"/>
        <source>{n} 件&#x3000;{yen}</source>
        <translation>{n} · {yen}</translation>
    </message>
    <message>
        <location line="-18"/>
        <location line="+6"/>
        <location line="+10"/>
        <location line="+6"/>
        <location line="+19"/>
        <source>{n} 人</source>
        <translation>{n}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>なし</source>
        <translation>None</translation>
    </message>
    <message>
        <location line="-121"/>
        <source>書き出せませんでした: {e}</source>
        <translation>Could not export: {e}</translation>
    </message>
</context>
<context>
    <name>ReturnsScreen</name>
    <message>
        <location filename="../../desktop/screens/returns.py" line="+52"/>
        <source>返品</source>
        <translation>Returns</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>返品するお買上げ</source>
        <translation>Sale to return</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>取引番号 例 R01-000001</source>
        <translation>Transaction no., e.g. R01-000001</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>呼び出す</source>
        <translation>Find</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>レシートのQRコードを読み取るか、取引番号を入力してください</source>
        <translation>Scan the receipt&apos;s QR code or enter the transaction no.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>取引番号</source>
        <translation>Transaction no.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>お買上げ日時</source>
        <translation>Date of sale</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お買上げ金額</source>
        <translation>Sale amount</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>獲得ポイント</source>
        <translation>Points earned</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用ポイント</source>
        <translation>Points used</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>返品済み</source>
        <translation>Already returned</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品できる金額</source>
        <translation>Amount returnable</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>返品する商品を選んでください</source>
        <translation>Select the items to return</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>返品金額（円）</source>
        <translation>Return amount (yen)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>金額で返品</source>
        <translation>Return by amount</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>すべて返品</source>
        <translation>Return all</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>ポイントの戻し</source>
        <translation>Points on this return</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>返品金額</source>
        <translation>Return amount</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>獲得ポイントの取消</source>
        <translation>Earned points reversed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用ポイントの返却</source>
        <translation>Used points restored</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>現在の残高</source>
        <translation>Current balance</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品後の残高（見込み）</source>
        <translation>Balance after return (est.)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>ポイントは HQ での確定後に正式に反映されます</source>
        <translation>Points become final once HQ confirms them</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>店長のスタッフ番号</source>
        <translation>Manager&apos;s staff code</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>暗証番号</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>承認</source>
        <translation>Approve</translation>
    </message>
    <message>
        <location line="+12"/>
        <location line="+105"/>
        <source>やり直す</source>
        <translation>Start over</translation>
    </message>
    <message>
        <location line="-102"/>
        <source>返品を確定</source>
        <translation>Confirm return</translation>
    </message>
    <message>
        <location line="+89"/>
        <source>POS から返品 {amount}</source>
        <translation>Return from the POS: {amount}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>POS の返品 {return_id}（POS の取引 {sale_id}、レシート {receipt_no}）。内容を確かめて「返品を確定」を押してください</source>
        <translation>POS return {return_id} (POS sale {sale_id}, receipt {receipt_no}). Check it and press &quot;Confirm return&quot;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>POS の返品を取消</source>
        <translation>Cancel the POS return</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>別のレジ（{device}）のお買上げです。ポイントは HQ の値です</source>
        <translation>Sold at another register ({device}). The points are HQ&apos;s figures</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ポイントは HQ 確定済みの値です</source>
        <translation>Points as confirmed by HQ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントはこのレジの計算です（HQ 未確定）</source>
        <translation>Points as worked out by this register (not yet confirmed by HQ)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{name} 様（会員番号 {no}）</source>
        <translation>{name} (member no. {no})</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>返品金額（円、最大 {max}）</source>
        <translation>Return amount (yen, up to {max})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返品する商品か金額を選んでください</source>
        <translation>Choose the items or an amount to return</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>店長の承認が必要です。</source>
        <translation>A manager&apos;s approval is needed.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>承認済み（{who}）</source>
        <translation>Approved ({who})</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>返品を記録し、POS に結果を送りました（取引番号 {no}、{amount}）。返品受付票を印刷しています</source>
        <translation>Return recorded and sent to the POS (transaction no. {no}, {amount}). Printing the return slip</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返品を記録しました（取引番号 {no}、{amount}）。返品受付票を印刷しています</source>
        <translation>Return recorded (transaction no. {no}, {amount}). Printing the return slip</translation>
    </message>
</context>
<context>
    <name>Roles</name>
    <message>
        <location filename="../../desktop/screens/signin.py" line="+27"/>
        <source>店長</source>
        <translation>Manager</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レジ担当</source>
        <translation>Cashier</translation>
    </message>
</context>
<context>
    <name>Screens</name>
    <message>
        <location filename="../../desktop/screens/counter.py" line="-368"/>
        <source>レジ</source>
        <translation>Counter</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/signin.py" line="+9"/>
        <source>サインイン</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/enrol.py" line="-178"/>
        <source>入会</source>
        <translation>Enrol</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/lookup.py" line="-376"/>
        <source>会員照会</source>
        <translation>Member look-up</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/reports.py" line="-158"/>
        <source>集計</source>
        <translation>Reports</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/returns.py" line="-362"/>
        <source>返品</source>
        <translation>Returns</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/settings.py" line="+69"/>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <location filename="../../desktop/settings.py" line="+39"/>
        <source>HQ の URL。空なら組み込み HQ（SQLite）をこの PC で起動する</source>
        <translation>HQ&apos;s URL. If empty, the embedded HQ (SQLite) runs on this PC</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>このレジの認証トークン（tamaru-hq provision で発行）</source>
        <translation>This register&apos;s authentication token (issued by tamaru-hq provision)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>本部独自の CA 証明書（PEM ファイルのパス）。設定するとその CA だけを信頼する。空なら公的な証明書で確認する</source>
        <translation>Head office&apos;s own CA certificate (path of a PEM file). If set, only that CA is trusted; if empty, public certificates are used</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>レジ番号</source>
        <translation>Register no.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗コード</source>
        <translation>Store code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシートに印字する店舗名</source>
        <translation>Store name printed on receipts</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>店舗名の下に印字する行（住所・電話番号など）。1行ずつ改行で区切り、4行まで、各行 全角でおよそ15文字まで（58 mm 幅のレシートの1行）</source>
        <translation>Lines printed under the store name (address, phone…). One per line, up to 4 lines, each up to about 15 full-width characters (one line of a 58 mm receipt)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ポイントプログラムのメッセージの後に印字する一行（全角でおよそ15文字まで）</source>
        <translation>One line printed after the points program&apos;s message (up to about 15 full-width characters)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返品とポイント調整のレシートは、お店控えをもう1枚印字する</source>
        <translation>Print an extra store copy of return and point adjustment receipts</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>お買上げのレシートも、お店控えをもう1枚印字する</source>
        <translation>Print an extra store copy of sales receipts too</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>カードリーダー: simulated, pcsc（最初のリーダー）, pcsc:&lt;リーダー名&gt;。カードのファイルから会員番号を読むときは ?aid=…&amp;file=…&amp;length=…&amp;encoding=ascii|bcd|hex を続ける</source>
        <translation>Card reader: simulated, pcsc (the first reader), pcsc:&lt;reader name&gt;. To read the member number from a file on the card, add ?aid=…&amp;file=…&amp;length=…&amp;encoding=ascii|bcd|hex</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>プリンター: simulated, network:HOST[:PORT], usb:VID:PID, serial:PORT, file:/dev/usb/lp0。?mode=kanji（テキスト）|raster（画像）&amp;paper=58|80&amp;profile=機種</source>
        <translation>Printer: simulated, network:HOST[:PORT], usb:VID:PID, serial:PORT, file:/dev/usb/lp0. ?mode=kanji (text)|raster (image)&amp;paper=58|80&amp;profile=model</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>シリアル（USB-COM）スキャナー: 空なら使わない, serial:/dev/ttyACM0?baud=9600, simulated。キーボード入力型のスキャナーは設定なしで使える</source>
        <translation>Serial (USB-COM) scanner: empty for none, serial:/dev/ttyACM0?baud=9600, simulated. Keyboard-type scanners work without a setting</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>会員 QR を読むカメラ: 空なら使わない, default（既定のカメラ）, またはカメラの名前</source>
        <translation>Camera for member QR codes: empty for none, default (the default camera), or the camera&apos;s name</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>キーボード入力型スキャナー: 1文字ごとの間隔の上限（ミリ秒）。これより遅い入力は人の入力</source>
        <translation>Keyboard-type scanner: longest gap between characters (ms). Slower input is a person typing</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>キーボード入力型スキャナー: コードの最短の文字数</source>
        <translation>Keyboard-type scanner: fewest characters in a code</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>キーボード入力型スキャナー: スキャナーに設定した先頭文字（任意）</source>
        <translation>Keyboard-type scanner: prefix set on the scanner (optional)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>キーボード入力型スキャナー: スキャナーに設定した末尾文字（任意）</source>
        <translation>Keyboard-type scanner: suffix set on the scanner (optional)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>会員アプリの QR コードを確認するとき、HQ との時計のずれをどこまで許すか（秒）</source>
        <translation>How far the clock may differ from HQ&apos;s when checking member app QR codes (seconds)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>暗証番号を続けて何回間違えるとロックするか</source>
        <translation>How many wrong PINs in a row lock the staff member out</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ロックの長さ（分）。店長はいつでも解除できる</source>
        <translation>Length of a lock (minutes). A manager can unlock at any time</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>オンラインでポイントを使うとき HQ で確保しておく時間（秒、10〜900）</source>
        <translation>How long HQ holds points being used online (seconds, 10–900)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ポイント確保の HQ の応答を待つ時間（秒）。過ぎるとオフラインの上限で利用する</source>
        <translation>How long to wait for HQ&apos;s answer to a points hold (seconds). After that, the offline limit applies</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>タイムゾーン（IANA 名）</source>
        <translation>Time zone (IANA name)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>表示言語: ja または en</source>
        <translation>Display language: ja or en</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>定期同期の間隔（秒）</source>
        <translation>Interval between regular syncs (seconds)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>レジデータベースのバックアップ間隔（秒）</source>
        <translation>Interval between backups of the register database (seconds)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>残すバックアップの数</source>
        <translation>Number of backups to keep</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS 連携の HTTP API のポート（127.0.0.1 のみ、例 8473）。0 なら使わない</source>
        <translation>Port of the POS link HTTP API (127.0.0.1 only, e.g. 8473). 0 for none</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS 連携のファイル受け渡しフォルダ。空なら使わない</source>
        <translation>Exchange folder for the POS link files. Empty for none</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>受け渡しフォルダを確認する間隔（秒、0.1〜10）</source>
        <translation>How often to check the exchange folder (seconds, 0.1–10)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の取引・返品がレジで確定されないまま待てる時間（分、1〜1440）。過ぎると取り消され、次を受け付ける</source>
        <translation>How long a POS sale or return may wait unconfirmed at the register (minutes, 1–1440). After that it is cancelled and the next one is accepted</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>この金額（円）を超える返品には店長の承認が必要</source>
        <translation>Returns over this amount (yen) need a manager&apos;s approval</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>お買上げからこの日数を過ぎた返品には店長の承認が必要</source>
        <translation>Returns more than this many days after the sale need a manager&apos;s approval</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <location filename="../../desktop/screens/settings.py" line="+7"/>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location line="+29"/>
        <location line="+77"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location line="-83"/>
        <source>表示言語</source>
        <translation>Display language</translation>
    </message>
    <message>
        <location line="-13"/>
        <source>機器</source>
        <translation>Devices</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシートと表示</source>
        <translation>Receipts and display</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+76"/>
        <source>POS 連携</source>
        <translation>POS link</translation>
    </message>
    <message>
        <location line="-75"/>
        <source>HQ</source>
        <translation>HQ</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>画面の言語は、次にアプリを起動したときから切り替わります。レシートはお客様のため日本語で印字します</source>
        <translation>The screen language changes the next time the app starts. Receipts are printed in Japanese for the customers</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>レシート</source>
        <translation>Receipt</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>例
東京都渋谷区道玄坂2-10-7
TEL 03-3461-0925</source>
        <translation>e.g.
東京都渋谷区道玄坂2-10-7
TEL 03-3461-0925</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>例 レシートは大切に保管してください</source>
        <translation>e.g. レシートは大切に保管してください</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗名</source>
        <translation>Store name</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗名の下の行（住所・電話番号など）</source>
        <translation>Lines under the store name (address, phone…)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシート下部の一行</source>
        <translation>Footer line</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>返品とポイント調整のレシートは、お店控えも印字する</source>
        <translation>Also print a store copy of return and point adjustment receipts</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>お買上げのレシートも、お店控えを印字する</source>
        <translation>Also print a store copy of sales receipts</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>レシートの設定を保存</source>
        <translation>Save receipt settings</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>店舗名はレシートの一番上に大きく印字されます。その下の行は {lines} 行まで、各行と下部の一行は 58 mm 幅のレシートの1行に入る長さ（全角でおよそ {full} 文字）までです。お店控えは「お店控え」と印字され、お客様のレシートの後に出ます。次に起動したときから使われます。お礼の言葉などポイントプログラムのメッセージは、本部のプログラムで決まります</source>
        <translation>The store name is printed large at the top of the receipt. Up to {lines} lines go under it; each of them and the footer line must fit on one line of a 58 mm receipt (about {full} full-width characters). A store copy is marked &quot;お店控え&quot; (store copy) and comes out after the customer&apos;s receipt. Changes are used from the next start. Thank-you words and other points program messages are set in head office&apos;s program</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>POS レジから売上を受け取り、会員のポイントと値引きを返します。使わないときはポートを 0、フォルダを空にします</source>
        <translation>Takes sales from the POS and answers with the member&apos;s points and discount. To turn it off, set the port to 0 and leave the folder empty</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>例 8473（0 なら使わない）</source>
        <translation>e.g. 8473 (0 for none)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>例 /srv/pos-drop（空なら使わない）</source>
        <translation>e.g. /srv/pos-drop (empty for none)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HTTP API のポート（127.0.0.1）</source>
        <translation>HTTP API port (127.0.0.1)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>受け渡しフォルダ</source>
        <translation>Exchange folder</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>連携トークン</source>
        <translation>Link token</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS がこのレジに接続するときの合言葉です。画面には表示しません。「コピー」で POS の設定に貼り付けてください</source>
        <translation>The password the POS uses to connect to this register. It is not shown on screen: press &quot;Copy&quot; and paste it into the POS settings</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>コピー</source>
        <translation>Copy</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+124"/>
        <source>再発行</source>
        <translation>Reissue</translation>
    </message>
    <message>
        <location line="-109"/>
        <source>HQ（本部サーバー）</source>
        <translation>HQ (head office server)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>HQ のアドレスを変えるとき、またはレジを登録し直すときは、本部から受け取ったコードで初期設定を行います。</source>
        <translation>To change the HQ address or set up this register again, run the initial setup with the code from head office.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>初期設定（プロビジョニング）</source>
        <translation>Initial setup (provisioning)</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>レシートの設定を保存しました。次に起動したときから印字されます</source>
        <translation>Receipt settings saved. They are printed from the next start</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>変更はありません</source>
        <translation>No changes</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>POS 連携の設定を保存しました。次にアプリを起動したときから使われます</source>
        <translation>POS link settings saved. They are used from the next time the app starts</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>連携中: {url}</source>
        <translation>Linked: {url}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>連携中（受け渡しフォルダ）</source>
        <translation>Linked (exchange folder)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>今は連携していません</source>
        <translation>Not linked at the moment</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>●●●●●●●●…{last}</source>
        <translation>●●●●●●●●…{last}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>（まだ発行されていません）</source>
        <translation>(not issued yet)</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>トークンをコピーしました。POS の設定に貼り付けてください</source>
        <translation>Token copied. Paste it into the POS settings</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>本当に再発行する</source>
        <translation>Really reissue</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>再発行すると今のトークンはすぐに使えなくなります。もう一度押すと再発行します</source>
        <translation>Reissuing stops the current token at once. Press again to reissue</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>トークンを再発行しました。新しいトークンをコピーして POS に設定してください</source>
        <translation>Token reissued. Copy the new token and set it in the POS</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>保存しました。画面の言語は次に起動したときから切り替わります</source>
        <translation>Saved. The screen language changes the next time the app starts</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>状態: {m}</source>
        <translation>Status: {m}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>保存しました</source>
        <translation>Saved</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>レジ {device} として {url} に登録しました。アプリを再起動すると新しい HQ に接続します</source>
        <translation>Registered as register {device} at {url}. Restart the app to connect to the new HQ</translation>
    </message>
</context>
<context>
    <name>SignInScreen</name>
    <message>
        <location filename="../../desktop/screens/signin.py" line="+24"/>
        <location line="+47"/>
        <location line="+46"/>
        <source>サインイン</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <location line="-90"/>
        <source>{store}&#x3000;レジ {device}</source>
        <translation>{store}  Register {device}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>例: 2001</source>
        <translation>e.g. 2001</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+41"/>
        <source>スタッフ番号</source>
        <translation>Staff code</translation>
    </message>
    <message>
        <location line="-39"/>
        <location line="+40"/>
        <source>暗証番号</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location line="-21"/>
        <source>戻る</source>
        <translation>Back</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ロックを解除（店長）</source>
        <translation>Unlock (manager)</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>デモ用スタッフ（組み込み HQ のときだけ表示）</source>
        <translation>Demo staff (shown only with the embedded HQ)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>スタッフ</source>
        <translation>Staff</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{name}（{role}）</source>
        <translation>{name} ({role})</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>交代</source>
        <translation>Change staff</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} さんがサインイン中です。交代するスタッフがサインインしてください</source>
        <translation>{name} is signed in. The next staff member signs in here</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>確認しています…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>ロックが解除されました。もう一度サインインしてください</source>
        <translation>The lock has ended. Please sign in again</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ロック中: 解除まであと {m}分{s:02d}秒</source>
        <translation>Locked: {m}:{s:02d} left</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>スタッフ {code} のロックを解除します</source>
        <translation>Unlock staff member {code}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>ロックを解除しました。サインインしてください</source>
        <translation>Unlocked. Please sign in</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../../desktop/screens/statusbar.py" line="-104"/>
        <location line="+50"/>
        <source>今すぐ同期</source>
        <translation>Sync now</translation>
    </message>
    <message>
        <location line="-44"/>
        <source>交代</source>
        <translation>Change staff</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>サインアウト</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>同期停止</source>
        <translation>Sync stopped</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>接続確認中</source>
        <translation>Connecting</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>オンライン</source>
        <translation>Online</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>オフライン</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>HQ 保留 {n} 件</source>
        <translation>{n} on hold at HQ</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>未送信 {n} 件</source>
        <translation>{n} to send</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>最終同期 {time}</source>
        <translation>Last sync {time}</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>最終同期 —</source>
        <translation>Last sync —</translation>
    </message>
    <message>
        <location line="-46"/>
        <source>返品の元のお買上げが HQ に届くまで、HQ がその返品を保留しています。届けば自動で確定します</source>
        <translation>HQ holds these returns until their original sales reach it. They are confirmed by themselves once the sales arrive</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>同期中…</source>
        <translation>Syncing…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>担当: {name}</source>
        <translation>Staff: {name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>サインインしていません</source>
        <translation>Not signed in</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>初回同期中 {n} 件</source>
        <translation>First sync: {n}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>初回同期中…</source>
        <translation>First sync…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>送信中 {sent}/{total}</source>
        <translation>Sending {sent}/{total}</translation>
    </message>
</context>
<context>
    <name>core</name>
    <message>
        <location filename="../../desktop/flows/messages.py" line="+16"/>
        <source>サインインしてください</source>
        <translation>Please sign in</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スタッフ番号と暗証番号を入力してください</source>
        <translation>Enter your staff code and PIN</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店長の承認が必要です。店長のスタッフ番号と暗証番号を入力してください</source>
        <translation>A manager&apos;s approval is needed. Enter a manager&apos;s staff code and PIN</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>サインインできませんでした。もう一度お試しください</source>
        <translation>Sign-in failed. Please try again</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>レシートのコードです。返品画面で読み取ってください</source>
        <translation>This is a receipt code. Scan it on the returns screen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この会員コードはすでに使われています。アプリで新しいコードを表示してもらってください</source>
        <translation>This member code was already used. Ask the member to show a new code in the app</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この会員はまだこのレジに届いていません。同期してからもう一度読み取ってください</source>
        <translation>This member has not reached the register yet. Sync, then scan again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この会員番号は登録されていません。番号を確かめてください</source>
        <translation>This member number is not registered. Check the number</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この会員は利用停止中です。ポイントは使えません。店長にお知らせください</source>
        <translation>This member is blocked; points cannot be used. Please tell the manager</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>登録されていないカードです。会員番号で呼び出すか、入会の手続きをしてください</source>
        <translation>This card is not registered. Find the member by number, or enrol them</translation>
    </message>
    <message>
        <location line="+2"/>
        <location filename="../../desktop/i18n.py" line="+91"/>
        <source>このカードは利用停止中です。店長にお知らせください</source>
        <translation>This card is blocked. Please tell the manager</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>無効な会員コードです（署名鍵が失効しています）</source>
        <translation>This member code is not valid (its signing key was retired)</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/enrol.py" line="+9"/>
        <source>アプリの会員証です。このお客様はすでに会員なので、入会の手続きは不要です。レジ画面（F1）でこの QR を読み取ってお会計してください</source>
        <translation>This is a member&apos;s app card: the customer is already a member and needs no enrolment. Scan this QR code on the counter screen (F1) for the sale</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>お名前を入力してください</source>
        <translation>Enter the name</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お名前は{max}文字以内で入力してください</source>
        <translation>Keep the name to {max} characters</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>フリガナを入力してください</source>
        <translation>Enter the name in kana</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>フリガナはカタカナで入力してください</source>
        <translation>Enter the kana in katakana</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>フリガナは{max}文字以内で入力してください</source>
        <translation>Keep the kana to {max} characters</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>誕生月は1〜12の数字で選んでください</source>
        <translation>Choose a birthday month from 1 to 12</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>個人情報の取り扱いへの同意が必要です</source>
        <translation>Consent to the handling of personal information is needed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カードをタッチするか、会員カードのバーコードを読み取ってください</source>
        <translation>Tap a card or scan the member card&apos;s barcode</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>このカードはすでに登録されています。別のカードをタッチしてください</source>
        <translation>This card is already registered. Tap another card</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この会員番号はすでに登録されています。別の会員カードを読み取ってください</source>
        <translation>This member number is already registered. Scan another member card</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>レシートではなく、会員カードのバーコードを読み取ってください</source>
        <translation>Scan the member card&apos;s barcode, not a receipt</translation>
    </message>
    <message>
        <location line="+2"/>
        <location filename="../../desktop/flows/messages.py" line="+3"/>
        <source>記録中です。しばらくお待ちください</source>
        <translation>Recording. Please wait</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>登録できませんでした。もう一度「登録する」を押してください</source>
        <translation>The enrolment was not recorded. Press &quot;Enrol&quot; again</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../desktop/flows/lookup.py" line="+1"/>
        <source>カード …{last4}</source>
        <translation>Card …{last4}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員カード …{last4}</source>
        <translation>Member card …{last4}</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/messages.py" line="+1"/>
        <source>会員カードをタッチしてください</source>
        <translation>Please tap the member card</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../sync/ops_core.py" line="+42"/>
        <source>ポイントプログラムがまだ届いていません。同期してください</source>
        <translation>The points program has not arrived yet. Please sync</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>記録できませんでした。もう一度確定してください</source>
        <translation>The sale was not recorded. Please confirm again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ でポイントを確保しています…</source>
        <translation>Reserving the points at HQ…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ に接続できないため、オフラインの利用上限（{allowance:,} pt）の範囲でポイントを利用しました。接続が戻ると HQ に送られます</source>
        <translation>HQ could not be reached, so the points were used within the offline limit ({allowance:,} pt). They go to HQ when the connection is back</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>HQ に接続できません。オフライン中に利用できるのは {allowance:,} pt までです。利用ポイントを減らして確定してください</source>
        <translation>HQ cannot be reached. Offline, at most {allowance:,} pt can be used. Lower the points and confirm again</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ほかのレジで利用中のポイントがあるため、今利用できるのは {available:,} pt までです。利用ポイントを減らしてください</source>
        <translation>Some points are in use at another register: at most {available:,} pt can be used now. Lower the points</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>HQ がポイントの利用を受け付けませんでした。同期してからもう一度お試しください</source>
        <translation>HQ did not accept the points. Sync, then try again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>金額</source>
        <translation>amount</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>数量</source>
        <translation>quantity</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用ポイント</source>
        <translation>points to use</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{what}は数字で入力してください</source>
        <translation>Enter the {what} in digits</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>金額を入力するか、明細を追加してください</source>
        <translation>Enter an amount or add items</translation>
    </message>
    <message>
        <location filename="../../desktop/i18n.py" line="-43"/>
        <source>会員コードを読み取れませんでした。もう一度読み取ってください</source>
        <translation>The member code could not be read. Please scan it again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この会員コードを確認できません。同期してからもう一度読み取ってください</source>
        <translation>This member code cannot be checked yet. Sync, then scan it again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>無効な会員コードです</source>
        <translation>This member code is not valid</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員コードの有効期限が切れています。アプリで新しいコードを表示してください</source>
        <translation>This member code has expired. Ask the member to show a new code in the app</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員コードの時刻が正しくありません。レジの時計を確認してください</source>
        <translation>The member code&apos;s time is wrong. Check this register&apos;s clock</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>読み取れませんでした。もう一度読み取ってください</source>
        <translation>Nothing could be read. Please scan again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>読み取ったデータが長すぎます。もう一度読み取ってください</source>
        <translation>The scanned data is too long. Please scan again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>日本語入力がオンになっています。半角英数に切り替えてから読み取ってください</source>
        <translation>Japanese input is on. Switch to direct input, then scan again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員番号のチェックデジットが正しくありません。もう一度読み取ってください</source>
        <translation>The member number&apos;s check digit is wrong. Please scan again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員バーコードではありません（商品のバーコードかもしれません）</source>
        <translation>This is not a member barcode (perhaps a product barcode)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシートのコードを読み取れませんでした</source>
        <translation>The receipt code could not be read</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員コードでもレシートでもないコードです</source>
        <translation>This code is neither a member code nor a receipt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>カードリーダーが見つかりません</source>
        <translation>The card reader is not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カードの読み取り中に離されました。もう一度タッチしてください</source>
        <translation>The card was taken away while being read. Please tap again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このカードは読み取れません</source>
        <translation>This card cannot be read</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カードリーダーが他のアプリで使用中です</source>
        <translation>Another application is using the card reader</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スキャナーが見つかりません</source>
        <translation>The scanner is not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スキャナーとの接続が切れました</source>
        <translation>The scanner was disconnected</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スキャナーが他のアプリで使用中です</source>
        <translation>Another application is using the scanner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スキャナーを使う権限がありません</source>
        <translation>No permission to use the scanner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>読み取ったコードを文字にできませんでした。もう一度読み取ってください</source>
        <translation>The scanned code could not be turned into text. Please scan again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターに接続できません</source>
        <translation>Cannot connect to the printer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターが見つかりません</source>
        <translation>The printer is not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターを使う権限がありません</source>
        <translation>No permission to use the printer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターが他のアプリで使用中です</source>
        <translation>Another application is using the printer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターが応答しません</source>
        <translation>The printer does not answer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターがオフラインです。電源とケーブルを確認してください</source>
        <translation>The printer is offline. Check its power and cable</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>印刷中にプリンターとの接続が切れました</source>
        <translation>The printer was disconnected while printing</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>用紙切れです</source>
        <translation>Out of paper</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターのカバーが開いています</source>
        <translation>The printer cover is open</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターでエラーが発生しました</source>
        <translation>The printer reported an error</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシート用の日本語フォントがありません</source>
        <translation>The Japanese font for receipts is missing</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>USBプリンターを使うためのソフトウェアが入っていません</source>
        <translation>The software for USB printers is not installed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>印刷できませんでした</source>
        <translation>Could not print</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>印刷できます</source>
        <translation>Ready to print</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>印刷できます（用紙が残りわずかです）</source>
        <translation>Ready to print (paper is running low)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>接続できました（このプリンターは状態を返しません）</source>
        <translation>Connected (this printer does not report its status)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>登録されていないカードです</source>
        <translation>This card is not registered</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>会員情報がまだ届いていません。同期後にもう一度お試しください</source>
        <translation>This member has not reached the register yet. Sync, then try again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この会員は利用停止中です</source>
        <translation>This member is blocked</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この会員番号は見つかりません</source>
        <translation>This member number is not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員番号が重複しています。同期後にもう一度お試しください</source>
        <translation>This member number is duplicated. Sync, then try again</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>HQ の証明書を確認できません。URL が正しいか、本部独自の証明書なら CA ファイルを指定してください</source>
        <translation>HQ&apos;s certificate cannot be verified. Check the URL and, for head office&apos;s own certificate, give the CA file</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/lookup.py" line="+3"/>
        <source>この操作は店長のみ行えます</source>
        <translation>Only a manager can do this</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>先に会員を選んでください</source>
        <translation>Select a member first</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../desktop/flows/returns.py" line="+67"/>
        <source>記録できませんでした</source>
        <translation>Could not be recorded</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../desktop/i18n.py" line="-52"/>
        <source>会員が見つかりません</source>
        <translation>Member not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>履歴を読み込めませんでした</source>
        <translation>The history could not be loaded</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>オフラインのため、このレジの記録を表示しています</source>
        <translation>Offline: showing this register&apos;s records</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{reason}。このレジの記録を表示しています</source>
        <translation>{reason}. Showing this register&apos;s records</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部で登録が確定するまで、このレジの記録のみ表示します</source>
        <translation>Until HQ confirms the enrolment, only this register&apos;s records are shown</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>会員番号・カード番号・電話番号のどれかを入力してください</source>
        <translation>Enter a member no., card no. or phone number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>電話番号で検索するにはレジの登録（本部との接続設定）が必要です</source>
        <translation>Searching by phone needs this register to be registered with HQ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>会員番号（13桁）・カード番号・電話番号で検索してください</source>
        <translation>Search by member no. (13 digits), card no. or phone number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>該当する会員が見つかりません</source>
        <translation>No matching member found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>統合元は会員番号かカードで1人に絞ってください</source>
        <translation>Use a member no. or card to pick exactly one member to merge in</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>調整するポイントを「+100」「-50」のように入力してください</source>
        <translation>Enter the points to adjust like &quot;+100&quot; or &quot;-50&quot;</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カードの利用を停止しました</source>
        <translation>The card is blocked</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>新しいカードを登録しました</source>
        <translation>The new card is registered</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントを {points} pt 調整しました</source>
        <translation>Points adjusted by {points} pt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員を統合しました</source>
        <translation>Members merged</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシート {no} の再発行を印刷しています</source>
        <translation>Printing a reprint of receipt {no}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシート {no} はこのレジに残っていないため、再発行できません</source>
        <translation>Receipt {no} is not kept on this register, so it cannot be reprinted</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>このレジではレシートを再発行できません</source>
        <translation>This register cannot reprint receipts</translation>
    </message>
    <message>
        <location filename="../../desktop/i18n.py" line="+1"/>
        <source>レジが登録されていません</source>
        <translation>This register is not set up</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントの取り置きが取消済みか期限切れです。もう一度ポイント利用を入力してください</source>
        <translation>The points hold was cancelled or has expired. Enter the points to use again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スタッフ番号または暗証番号が違います</source>
        <translation>Wrong staff code or PIN</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ロック解除は店長のみ行えます</source>
        <translation>Only a manager can unlock</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の応答がタイムアウトしました</source>
        <translation>HQ did not answer in time</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の応答を読めません</source>
        <translation>HQ&apos;s answer could not be read</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ のカーソルが巻き戻りました。管理者に連絡してください</source>
        <translation>HQ&apos;s sync position went backwards. Contact the administrator</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../sync/hq_link.py" line="+72"/>
        <source>HQ の証明書を確認できません。HQ のアドレスと、本部独自の証明書なら設定の hq.ca_file を確認してください</source>
        <translation>HQ&apos;s certificate cannot be verified. Check the HQ address and, for head office&apos;s own certificate, the hq.ca_file setting</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ の応答に送った取引の結果がありません</source>
        <translation>HQ&apos;s answer has no results for the sales sent</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の応答を読めません（同期の応答の形が違います）</source>
        <translation>HQ&apos;s answer could not be read (unexpected sync answer)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の応答を読めません（更新の応答の形が違います）</source>
        <translation>HQ&apos;s answer could not be read (unexpected update answer)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>電話番号は市外局番から10桁または11桁で入力してください</source>
        <translation>Enter the phone number with its area code: 10 or 11 digits</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員番号が正しくありません</source>
        <translation>This member number is not valid</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このカードはすでに登録されています</source>
        <translation>This card is already registered</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この会員番号はすでに登録されています</source>
        <translation>This member number is already registered</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カードの番号を読み取れませんでした。もう一度タッチしてください</source>
        <translation>The card&apos;s number could not be read. Please tap again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>調整の理由を入力してください</source>
        <translation>Enter the reason for the adjustment</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>調整するポイントを入力してください（0 以外）</source>
        <translation>Enter the points to adjust (not 0)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>停止の理由を入力してください</source>
        <translation>Enter the reason for blocking the card</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このカードはすでに停止されています</source>
        <translation>This card is already blocked</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>新しいカードが古いカードと同じです</source>
        <translation>The new card is the same as the old one</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>新しいカードはすでに登録されています</source>
        <translation>The new card is already registered</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>同じ会員どうしは統合できません</source>
        <translation>A member cannot be merged with itself</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>統合の理由を入力してください</source>
        <translation>Enter the reason for the merge</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用停止中の会員は統合できません</source>
        <translation>A blocked member cannot be merged</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>統合元の会員にポイントの取り置きがあります。取消または期限切れ後に統合してください</source>
        <translation>The member to merge in has points on hold. Merge once the hold is cancelled or has expired</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>返品する明細の合計が返品金額と一致しません</source>
        <translation>The items to return do not add up to the return amount</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品金額は1円以上で入力してください</source>
        <translation>Enter a return amount of at least 1 yen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>本部にこの会員の記録がありません</source>
        <translation>HQ has no record of this member</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部にこの取引の記録がありません（この店舗の取引でないか、まだ本部に届いていません）</source>
        <translation>HQ has no record of this sale (it is not from this store, or has not reached HQ yet)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>本部にこの店舗の記録がありません</source>
        <translation>HQ has no record of this store</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>集計期間の指定が正しくありません</source>
        <translation>The report period is not valid</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部の応答がありません</source>
        <translation>HQ does not answer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部に接続できません</source>
        <translation>Cannot reach HQ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部がこのレジの問い合わせを拒否しました</source>
        <translation>HQ refused this register&apos;s request</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部の応答を読めません</source>
        <translation>HQ&apos;s answer could not be read</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシート番号を読み取れませんでした</source>
        <translation>The receipt number could not be read</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターの設定が正しくありません</source>
        <translation>The printer setting is not valid</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の取引は取り消されたか、既に処理されています</source>
        <translation>The POS sale was cancelled or has already been handled</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS への結果の記録に失敗しました。再起動すると POS に送られます</source>
        <translation>The result could not be recorded for the POS. It is sent to the POS when the app restarts</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ が入力を受け付けませんでした。レジ番号とコードを確認してください</source>
        <translation>HQ did not accept the input. Check the register no. and the code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プロビジョニングコードを入力してください（例: 7KQ2-M9XD-4TRA）</source>
        <translation>Enter the provisioning code (e.g. 7KQ2-M9XD-4TRA)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>HQ の応答を読めません。URL が Tamaru の HQ を指しているか確認してください</source>
        <translation>HQ&apos;s answer could not be read. Check that the URL points to a Tamaru HQ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の応答が別のレジのものです。本部に連絡してください</source>
        <translation>HQ&apos;s answer is for another register. Contact head office</translation>
    </message>
    <message>
        <location line="+2"/>
        <location filename="../../loyalty/basket.py" line="+18"/>
        <source>商品がありません</source>
        <translation>There are no items</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../loyalty/quote.py" line="+38"/>
        <source>金額は整数で入力してください</source>
        <translation>Enter the amount as a whole number</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../loyalty/basket.py" line="+8"/>
        <source>金額は1円以上で入力してください</source>
        <translation>Enter an amount of at least 1 yen</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../loyalty/redeeming.py" line="+18"/>
        <source>利用ポイントは整数で入力してください</source>
        <translation>Enter the points to use as a whole number</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../loyalty/redeeming.py" line="+1"/>
        <source>利用ポイントは0以上で入力してください</source>
        <translation>Points to use cannot be negative</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../loyalty/redeeming.py" line="+1"/>
        <source>ポイントを利用するには会員を確認してください</source>
        <translation>Identify the member to use points</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../loyalty/redeeming.py" line="+3"/>
        <source>お会計金額を超えてポイントを利用できません</source>
        <translation>Points cannot exceed the amount to pay</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員を確認するとポイントを利用できます</source>
        <translation>Identify the member to use points</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>通常ポイント</source>
        <translation>Base points</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/counter_pos.py" line="+29"/>
        <source>POS の金額（{pos}）と明細の合計（{basket}）が違います。POS から送り直してください</source>
        <translation>The POS amount ({pos}) differs from the items&apos; total ({basket}). Send the sale again from the POS</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の取引（{amount}）を取り消しました。POS には「レジで取り消されました」と伝わります</source>
        <translation>The POS sale ({amount}) was cancelled. The POS is told &quot;Cancelled at the loyalty counter&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS に「会員なしでお会計」と伝えました（{amount}）。POS でそのままお会計してください</source>
        <translation>The POS was told &quot;No member: settle without points&quot; ({amount}). Finish the sale on the POS</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS が取引（{amount}）を取り消しました</source>
        <translation>The POS cancelled the sale ({amount})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS の取引（{amount}）は確定されないまま時間が過ぎたため取り消しました。POS から送り直してください</source>
        <translation>The POS sale ({amount}) expired unconfirmed and was cancelled. Send it again from the POS</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>POS の取引を取り消せませんでした。もう一度「取消」を押してください</source>
        <translation>The POS sale could not be cancelled. Press &quot;Cancel&quot; again</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/counter.py" line="+106"/>
        <source>カードリーダーが使えるようになりました</source>
        <translation>The card reader is working again</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カードリーダーが使えるようになりました。会員カードをタッチしてください</source>
        <translation>The card reader is working again. Please tap the member card</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/reports.py" line="+54"/>
        <source>（不明）</source>
        <translation>(unknown)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>HQ に接続できないため、このレジの集計のみ表示しています</source>
        <translation>HQ cannot be reached: showing this register&apos;s totals only</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ が設定されていないため、このレジの集計のみ表示しています</source>
        <translation>No HQ is set up: showing this register&apos;s totals only</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ から店舗の集計を受け取れませんでした（{reason}）。このレジの集計のみ表示しています</source>
        <translation>HQ did not send the store&apos;s totals ({reason}). Showing this register&apos;s totals only</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>シフトの集計はこのレジの記録だけから作ります</source>
        <translation>Shift totals come from this register&apos;s records only</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>HQ 未確定</source>
        <translation>Not yet confirmed by HQ</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/returns.py" line="-11"/>
        <source>レシートのQRコードを読み取ってください</source>
        <translation>Scan the receipt&apos;s QR code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この取引は本部で受け付けられなかったため、返品のポイント処理はできません</source>
        <translation>HQ refused this sale, so its points cannot be handled in a return</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>取引 {receipt_no} はすべて返品済みです</source>
        <translation>Sale {receipt_no} has been fully returned</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品金額は数字で入力してください</source>
        <translation>Enter the return amount in digits</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>返品する商品を選んでください</source>
        <translation>Select the items to return</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>先にレシートを読み取ってください</source>
        <translation>Scan the receipt first</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>先に返品内容を選んでください</source>
        <translation>Choose what to return first</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>承認できませんでした</source>
        <translation>Not approved</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>承認は店長の暗証番号で行ってください</source>
        <translation>Approve with a manager&apos;s PIN</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name} さんが承認しました</source>
        <translation>Approved by {name}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返品金額が ￥{limit:,} を超えています</source>
        <translation>The return amount is over ¥{limit:,}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お買上げから {days} 日を過ぎています</source>
        <translation>More than {days} days since the sale</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>お客様はこのお買上げのポイントをすでに使っています。不足する {points:,} pt はマイナス残高となり、次回以降の獲得ポイントから差し引かれます</source>
        <translation>The customer has already spent this purchase&apos;s points. The missing {points:,} pt become a negative balance, taken from future earnings</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>取引 {receipt_no} はこのレジの記録にありません。番号を確かめてください</source>
        <translation>Sale {receipt_no} is not in this register&apos;s records. Check the number</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>取引 {receipt_no} は別のレジの取引です（レジ {device}）。別のレジの取引の返品には本部への接続が必要です。接続が戻ってからもう一度呼び出すか、販売したレジで返品してください</source>
        <translation>Sale {receipt_no} was made at another register ({device}). Returning it needs a connection to HQ. Try again when connected, or return it at the register that sold it</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>取引 {receipt_no} を本部に問い合わせています…</source>
        <translation>Asking HQ about sale {receipt_no}…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>本部で取引 {receipt_no} を確認できませんでした: {reason}</source>
        <translation>HQ could not check sale {receipt_no}: {reason}</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../sync/ops_core.py" line="+1"/>
        <source>このお買上げの会員の情報がまだこのレジに届いていません。同期してからもう一度お試しください</source>
        <translation>This sale&apos;s member has not reached the register yet. Sync, then try again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の返品は POS が送った金額で処理します。変えるときは取り消して POS から送り直してください</source>
        <translation>A POS return uses the amount the POS sent. To change it, cancel it and send it again from the POS</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の返品を処理中です。確定するか取り消してから、別のレシートを呼び出してください</source>
        <translation>A POS return is in progress. Confirm or cancel it before finding another receipt</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/settings_devices.py" line="+5"/>
        <source>プリンターの IP アドレスを「192.168.0.50」のように入力してください（ポートを変えるときは「192.168.0.50:9100」）</source>
        <translation>Enter the printer&apos;s IP address like &quot;192.168.0.50&quot; (with another port, &quot;192.168.0.50:9100&quot;)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ポート番号は 1〜65535 の数字で入力してください</source>
        <translation>Enter a port number from 1 to 65535</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>USB プリンターはベンダー ID とプロダクト ID を「04b8:0202」のように入力してください</source>
        <translation>For a USB printer, enter the vendor ID and product ID like &quot;04b8:0202&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>シリアルポートを「/dev/ttyS0」や「COM1」のように入力してください</source>
        <translation>Enter the serial port like &quot;/dev/ttyS0&quot; or &quot;COM1&quot;</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターのデバイスファイルを「/dev/usb/lp0」のように入力してください</source>
        <translation>Enter the printer&apos;s device file like &quot;/dev/usb/lp0&quot;</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターの接続方法を選んでください</source>
        <translation>Choose how the printer is connected</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>用紙の幅は 58 mm か 80 mm から選んでください</source>
        <translation>Choose a paper width of 58 mm or 80 mm</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>印刷方式は「テキスト」か「画像」から選んでください</source>
        <translation>Choose &quot;Text&quot; or &quot;Image&quot; as the print mode</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>通信速度は一覧から選んでください</source>
        <translation>Choose a baud rate from the list</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>機種名に使えない文字が含まれています（{profile}）</source>
        <translation>The model name has characters that cannot be used ({profile})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターの機種 {profile} は一覧にありません。一覧から選ぶか、空にしてください</source>
        <translation>Printer model {profile} is not in the list. Choose one from the list or leave it empty</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>プリンターの機種 {profile} は {paper} mm 幅の用紙に印字できません。用紙の幅か機種を選び直してください</source>
        <translation>Printer model {profile} cannot print on {paper} mm paper. Choose another paper width or model</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>プリンターの設定が正しくありません: {detail}</source>
        <translation>The printer setting is not valid: {detail}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スキャナーのシリアルポートを「/dev/ttyACM0」や「COM3」のように入力してください</source>
        <translation>Enter the scanner&apos;s serial port like &quot;/dev/ttyACM0&quot; or &quot;COM3&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>スキャナーの終端文字は CR・LF・CR+LF から選んでください</source>
        <translation>Choose CR, LF or CR+LF as the scanner&apos;s terminator</translation>
    </message>
    <message>
        <location filename="../../desktop/flows/settings_ops.py" line="+49"/>
        <source>このPCの組み込み HQ（デモ用）</source>
        <translation>The embedded HQ on this PC (demo)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>カードリーダーを開けません（{spec}）</source>
        <translation>Cannot open the card reader ({spec})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{seconds}秒以内にカードが読み取られませんでした</source>
        <translation>No card was read within {seconds} s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>読み取りました（{reader}）</source>
        <translation>Card read ({reader})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>プリンターの設定が正しくありません（{spec}）</source>
        <translation>The printer setting is not valid ({spec})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>テスト印字を送りました。用紙を確認してください</source>
        <translation>Test page sent. Check the paper</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>確認中にエラーが発生しました</source>
        <translation>An error occurred during the check</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スキャナーを開けません（{spec}）</source>
        <translation>Cannot open the scanner ({spec})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{seconds}秒以内にコードが読み取られませんでした</source>
        <translation>No code was scanned within {seconds} s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>読み取りました: {code}</source>
        <translation>Scanned: {code}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>シリアルスキャナーを使わない設定です。キーボード入力型のスキャナーはそのまま使えます</source>
        <translation>No serial scanner is set. Keyboard-type scanners work as they are</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この設定では開けません: {detail}</source>
        <translation>Cannot open with this setting: {detail}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>表示言語は日本語か English から選んでください</source>
        <translation>Choose 日本語 or English as the display language</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシートの設定ではありません: {key}</source>
        <translation>Not a receipt setting: {key}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗名を入力してください</source>
        <translation>Enter the store name</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗名は {max} 文字以内で入力してください</source>
        <translation>Keep the store name to {max} characters</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>機器の詳細設定ではありません: {key}</source>
        <translation>Not an advanced device setting: {key}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{name}は数字で入力してください</source>
        <translation>Enter {name} as a number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS 連携のポートは 1024〜65535 の数字で入力してください（使わないときは 0）</source>
        <translation>Enter a POS link port from 1024 to 65535 (0 for none)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>受け渡しフォルダは「/」から始まるフォルダの場所で入力してください</source>
        <translation>Enter the exchange folder as a path starting with &quot;/&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>受け渡しフォルダ {path} がありません。先にフォルダを作ってください</source>
        <translation>The exchange folder {path} does not exist. Create it first</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>受け渡しフォルダ {path} に書き込めません。フォルダの権限を確認してください</source>
        <translation>Cannot write to the exchange folder {path}. Check the folder&apos;s permissions</translation>
    </message>
    <message>
        <location filename="../../desktop/poslink/counter_adapter.py" line="+52"/>
        <source>POS の金額（￥{amount:,}）と異なります</source>
        <translation>Differs from the POS&apos;s amount (¥{amount:,})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS の取引（￥{amount:,}）は金額が異なるため待機中のままです</source>
        <translation>The POS sale (¥{amount:,}) stays waiting: its amount differs</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の返品（{return_id}）は取り消されたか時間切れになりました。返品は記録していません</source>
        <translation>The POS return ({return_id}) was cancelled or has expired. The return was not recorded</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の返品（{pos}、{pos_receipt}）と画面の返品（{counter}、{receipt}）が違います。返品は記録していません</source>
        <translation>The POS return ({pos}, {pos_receipt}) differs from the one on screen ({counter}, {receipt}). The return was not recorded</translation>
    </message>
    <message>
        <location filename="../../desktop/poslink/returns_desk.py" line="+39"/>
        <source>POS から返品 ￥{amount:,}（{return_id}）が届きました。内容を確かめて「返品を確定」を押してください</source>
        <translation>A return of ¥{amount:,} ({return_id}) came from the POS. Check it and press &quot;Confirm return&quot;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>POS の返品（￥{amount:,}）を取り消しました。POS には「レジで取り消されました」と伝わります</source>
        <translation>The POS return (¥{amount:,}) was cancelled. The POS is told &quot;Cancelled at the loyalty counter&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS が返品（￥{amount:,}）を取り消しました</source>
        <translation>The POS cancelled the return (¥{amount:,})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>POS の返品（￥{amount:,}）は確定されないまま時間が過ぎたため取り消されました</source>
        <translation>The POS return (¥{amount:,}) expired unconfirmed</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の返品（￥{amount:,}、取引 {receipt_no}）はお受けできません: {reason} POS にそう伝えました</source>
        <translation>The POS return (¥{amount:,}, sale {receipt_no}) cannot be accepted: {reason} The POS has been told</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>POS の返品を取り消せませんでした。もう一度「取消」を押してください</source>
        <translation>The POS return could not be cancelled. Press &quot;Cancel&quot; again</translation>
    </message>
    <message>
        <location filename="../../desktop/receipts/options.py" line="+41"/>
        <source>店舗名の下の行は {max} 行までにしてください（今 {count} 行）</source>
        <translation>Use at most {max} lines under the store name (now {count})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{what}「{line}」は 58 mm 幅のレシートの1行に入りません。全角でおよそ {full} 文字までにしてください</source>
        <translation>The {what} &quot;{line}&quot; does not fit on one line of a 58 mm receipt. Keep it to about {full} full-width characters</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{what}の「{char}」はレシートに印字できません。別の文字にしてください</source>
        <translation>&quot;{char}&quot; in the {what} cannot be printed on receipts. Use another character</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>店舗名の下の行</source>
        <translation>line under the store name</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>レシート下部の一行</source>
        <translation>footer line</translation>
    </message>
    <message>
        <location filename="../../desktop/app.py" line="+53"/>
        <source>POS 連携を開始できません（ポート {port}: {error}）。設定の poslink.port を確認してください</source>
        <translation>The POS link cannot start (port {port}: {error}). Check the poslink.port setting</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>バックアップに失敗しました: {error}</source>
        <translation>Backup failed: {error}</translation>
    </message>
    <message>
        <location filename="../../desktop/camera_scan.py" line="-30"/>
        <source>カメラ読み取りは設定で停止されています</source>
        <translation>Camera scanning is turned off in the settings</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カメラの指定が読み取れません。一覧から選び直してください</source>
        <translation>The camera setting cannot be read. Choose the camera from the list again</translation>
    </message>
    <message>
        <location filename="../../desktop/provisioning.py" line="+38"/>
        <source>HQ の URL は https:// で指定してください（{url}）。HTTP はこの PC 上の HQ（127.0.0.1）にだけ使えます</source>
        <translation>Give HQ&apos;s URL with https:// ({url}). Plain HTTP is only for an HQ on this PC (127.0.0.1)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>レジ番号</source>
        <translation>Register number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>店舗コード</source>
        <translation>Store code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{what}「{value}」は使えません: 英数字と - _ . の 64 文字以内で入力してください</source>
        <translation>{what} &quot;{value}&quot; cannot be used: use up to 64 letters, digits, - _ or .</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>本部に新しいコードを発行してもらってください（tamaru-hq provision）</source>
        <translation>ask HQ for a new code (tamaru-hq provision)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>この PC のレジデータはレジ {found}（店舗 {store}）のものです。レジ {device} として登録するには、データフォルダ {home} を別の場所に移してからやり直してください（未送信の取引がないことを先に確認してください）</source>
        <translation>The register data on this PC belongs to register {found} (store {store}). To register it as {device}, move the data folder {home} elsewhere and try again (first make sure no transactions are waiting to be sent)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>このコードは使用済みです。{ask}</source>
        <translation>This code has already been used: {ask}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このコードは有効期限が切れています。{ask}</source>
        <translation>This code has expired: {ask}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>コードが正しくないか、レジ {device} のコードではありません。コードとレジ番号を確認し、違っていなければ{ask}</source>
        <translation>The code is wrong or not for register {device}. Check the code and the register number; if both are right, {ask}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>HQ でエラーが発生しました（{status}）。しばらくしてからもう一度試すか、本部に連絡してください</source>
        <translation>HQ had an error ({status}). Try again shortly, or contact HQ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>この URL に Tamaru の HQ が見つかりません（{status}）。URL を確認してください</source>
        <translation>No Tamaru HQ at this URL ({status}). Check the URL</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ の応答が想定外です（{status}: {detail}）</source>
        <translation>Unexpected answer from HQ ({status}: {detail})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ（{url}）に接続できません。URL とネットワークを確認してください</source>
        <translation>Cannot connect to HQ ({url}). Check the URL and the network</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ（{url}）が応答しません。ネットワークを確認してもう一度試してください</source>
        <translation>HQ ({url}) does not answer. Check the network and try again</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>HQ（{url}）との通信に失敗しました（{error}）</source>
        <translation>Talking to HQ ({url}) failed ({error})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ ではレジ {device} は店舗 {store} に登録されています（入力: {entered}）。店舗コードを確認してください。コードは使用済みになったため、本部に新しいコードを発行してもらってください</source>
        <translation>HQ has register {device} in store {store} (entered: {entered}). Check the store code. The code is now used up, so ask HQ for a new one</translation>
    </message>
    <message>
        <location filename="../../sync/client.py" line="+89"/>
        <source>HQ がエラーを返しました（{status}）</source>
        <translation>HQ answered with an error ({status})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ がこのレジを受け付けません（{status}: {detail}）。レジの登録（トークン）を確認してください</source>
        <translation>HQ does not accept this register ({status}: {detail}). Check the register&apos;s registration (token)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>送信が大きすぎます（{status}: {detail}）</source>
        <translation>Too much sent at once ({status}: {detail})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ が別のプロトコルのバージョンを求めています。レジのソフトウェアを更新してください（{status}: {detail}）</source>
        <translation>HQ expects another protocol version. Update the register&apos;s software ({status}: {detail})</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>HQ が要求を受け付けません（{status}: {detail}）</source>
        <translation>HQ does not accept the request ({status}: {detail})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ がポイントの確保を断りました: {detail}</source>
        <translation>HQ refused to hold the points: {detail}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の応答が不正です（{status}）</source>
        <translation>Invalid answer from HQ ({status})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ がこのレジの取引を続けて受け付けません。HQ とレジのバージョンを確認してください（{reason}）</source>
        <translation>HQ keeps refusing this register&apos;s transactions. Check the HQ and register versions ({reason})</translation>
    </message>
    <message>
        <location filename="../../sync/hq_link.py" line="+3"/>
        <source>HQ に接続できません（{error}）</source>
        <translation>Cannot reach HQ ({error})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HQ の URL は https:// で指定してください（{url}）</source>
        <translation>Give HQ&apos;s URL with https:// ({url})</translation>
    </message>
    <message>
        <location filename="../../sync/ops.py" line="+55"/>
        <source>残高（{balance:,} pt）を超えて減らせません</source>
        <translation>Cannot take away more than the balance ({balance:,} pt)</translation>
    </message>
    <message>
        <location filename="../../sync/ops_core.py" line="+4"/>
        <source>販売</source>
        <translation>Sale</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>返品</source>
        <translation>Return</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイント調整</source>
        <translation>Points adjustment</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>入会</source>
        <translation>Enrolment</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カード停止</source>
        <translation>Card blocked</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>カード再発行</source>
        <translation>Card reissued</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員統合</source>
        <translation>Member merge</translation>
    </message>
    <message>
        <location filename="../../sync/ops_returns.py" line="+45"/>
        <source>取引 {receipt_no} は別のレジの取引です。販売したレジか、本部で返品を受け付けてください</source>
        <translation>Sale {receipt_no} was made at another register. Take the return at that register or at HQ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>取引 {receipt_no} はこのレジの記録にありません。販売したレジか、本部で返品を受け付けてください</source>
        <translation>Sale {receipt_no} is not in this register&apos;s records. Take the return at the register that sold it or at HQ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>取引 {receipt_no} は販売ではありません（{kind}）</source>
        <translation>Transaction {receipt_no} is not a sale ({kind})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>明細「{line}」はすでに返品済みか、この取引にありません</source>
        <translation>Item &quot;{line}&quot; has already been returned or is not in this sale</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>返品できるのは残り ￥{remaining:,} までです（お買上げ ￥{amount:,}、返品済み ￥{returned:,}）</source>
        <translation>At most ¥{remaining:,} can still be returned (purchase ¥{amount:,}, returned ¥{returned:,})</translation>
    </message>
    <message>
        <location filename="../../sync/staff.py" line="+29"/>
        <source>暗証番号は{low}〜{high}桁の数字にしてください</source>
        <translation>The PIN must be {low} to {high} digits</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>スタッフ {staff_id} は登録されていません</source>
        <translation>Staff {staff_id} is not registered</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>暗証番号を続けて間違えたためロックされています。{minutes}分後に解除されます（店長が解除することもできます）</source>
        <translation>Locked after repeated wrong PINs. Unlocks in {minutes} min (a manager can unlock it sooner)</translation>
    </message>
    <message>
        <location filename="../../sync/store.py" line="+66"/>
        <location filename="../../loyalty/redeeming.py" line="-2"/>
        <source>ポイント残高（{balance:,} pt）を超えて利用できません</source>
        <translation>Cannot use more than the balance ({balance:,} pt)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このデータベースはレジ {device}（店舗 {store}）のものです</source>
        <translation>This database belongs to register {device} (store {store})</translation>
    </message>
    <message>
        <location filename="../../loyalty/basket.py" line="-7"/>
        <source>明細が多すぎます（上限 {limit} 行）</source>
        <translation>Too many lines (at most {limit})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n}行目: 金額は整数で入力してください</source>
        <translation>Line {n}: enter the amount in whole yen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n}行目: 金額は0円以上で入力してください</source>
        <translation>Line {n}: the amount must be ¥0 or more</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n}行目: 数量は1以上の整数で入力してください</source>
        <translation>Line {n}: the quantity must be a whole number of 1 or more</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n}行目: 税率が正しくありません</source>
        <translation>Line {n}: invalid tax rate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{n}行目: 商品コードが正しくありません</source>
        <translation>Line {n}: invalid item code</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>金額が大きすぎます（上限 {limit:,} 円）</source>
        <translation>Amount too large (at most ¥{limit:,})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ポイント残高が正しくありません</source>
        <translation>Invalid point balance</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>誕生月が正しくありません</source>
        <translation>Invalid birth month</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>オフライン利用枠が正しくありません</source>
        <translation>Invalid offline allowance</translation>
    </message>
    <message>
        <location filename="../../loyalty/quote.py" line="-1"/>
        <source>キャンペーンの判定には日時が必要です</source>
        <translation>A date and time are needed to apply campaigns</translation>
    </message>
    <message>
        <location filename="../../loyalty/redeeming.py" line="+1"/>
        <source>オフライン中は {allowance:,} pt までしか利用できません</source>
        <translation>Offline, at most {allowance:,} pt can be used</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>ポイント利用対象の金額（{yen:,} 円）を超えて利用できません</source>
        <translation>Cannot use more than the amount points may pay for (¥{yen:,})</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>1回のご利用は {points:,} pt までです</source>
        <translation>At most {points:,} pt per purchase</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントは {points:,} pt 以上から利用できます</source>
        <translation>Points can be used from {points:,} pt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントは {points:,} pt 単位で利用できます</source>
        <translation>Points are used in steps of {points:,} pt</translation>
    </message>
    <message>
        <location filename="../../sync/recovery.py" line="+41"/>
        <source>レジのデータベースを別のプログラムが使用中です。レジを再起動してください</source>
        <translation>Another program is using the register&apos;s database. Restart the register</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>レジのデータベースが破損しており、退避もできませんでした。店長に連絡してください（{error}）</source>
        <translation>The register&apos;s database is damaged and could not be moved aside. Call the store manager ({error})</translation>
    </message>
    <message>
        <location filename="../../sync/store_db.py" line="+228"/>
        <source>レジのデータベースが破損していたため、販売を停止しています。店長に連絡してください（退避したファイル: {name}）</source>
        <translation>Sales are stopped: the register&apos;s database was damaged. Call the store manager (file kept aside: {name})</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>データベースを復旧中です。HQ との同期が終わるまで販売できません（退避したファイル: {name}）</source>
        <translation>The database is being restored. Sales resume once sync with HQ has finished (file kept aside: {name})</translation>
    </message>
    <message>
        <location filename="../../desktop/hq_lookup.py" line="+31"/>
        <source>本部がエラーを返しました（{status}）</source>
        <translation>HQ answered with an error ({status})</translation>
    </message>
    <message>
        <location filename="../../sync/client_checks.py" line="+25"/>
        <source>HQ の応答が不正です（{status}: {detail}）</source>
        <translation>Invalid answer from HQ ({status}: {detail})</translation>
    </message>
    <message>
        <location filename="../../sync/store_holds.py" line="+43"/>
        <source>確定済み</source>
        <translation>already posted</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>取消済み</source>
        <translation>already voided</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>期限切れ</source>
        <translation>expired</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントの取り置きが見つかりません</source>
        <translation>The points hold was not found</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>このポイントの取り置きは{state}です</source>
        <translation>This points hold is {state}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントの取り置きの期限が切れています</source>
        <translation>The points hold has expired</translation>
    </message>
</context>
</TS>
