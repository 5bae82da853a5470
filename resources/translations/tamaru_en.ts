<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="ja">
<context>
    <name>Banner</name>
    <message>
        <location filename="../../desktop/screens/statusbar.py" line="+137"/>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>BasketPanel</name>
    <message>
        <location filename="../../desktop/screens/counter_parts.py" line="+195"/>
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
        <location line="+20"/>
        <source>分類</source>
        <translation>Cat.</translation>
    </message>
    <message>
        <location line="-20"/>
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
        <location line="+8"/>
        <source>分類（ポイント対象外の分類はプログラムで決まります）</source>
        <translation>Category (the program decides which categories earn no points)</translation>
    </message>
    <message>
        <location line="+4"/>
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
        <location line="+6"/>
        <source>（商品）</source>
        <translation>(item)</translation>
    </message>
</context>
<context>
    <name>CameraScanner</name>
    <message>
        <location filename="../../desktop/camera_scan.py" line="+60"/>
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
    <name>CounterScreen</name>
    <message>
        <location filename="../../desktop/screens/counter.py" line="+48"/>
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
        <location line="+79"/>
        <source>金額（円）</source>
        <translation>Amount (yen)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>利用ポイント</source>
        <translation>Points to use</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>全部使う</source>
        <translation>Use all</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>確定（Enter / F8）</source>
        <translation>Confirm (Enter / F8)</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+41"/>
        <source>取消（Esc）</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>次のお客様（Esc）</source>
        <translation>Next customer (Esc)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>POS の取引を取消（Esc）</source>
        <translation>Cancel POS sale (Esc)</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>最大 {points} pt（{why}）</source>
        <translation>Up to {points} pt ({why})</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>再発行できるレシートがまだありません</source>
        <translation>No receipt to reprint yet</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>記録しました（取引番号 {no}）</source>
        <translation>Recorded (transaction no. {no})</translation>
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
    <name>EnrolScreen</name>
    <message>
        <location filename="../../desktop/screens/enrol.py" line="+46"/>
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
    <name>HourChart</name>
    <message>
        <location filename="../../desktop/screens/reports.py" line="+90"/>
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
        <location filename="../../desktop/screens/lookup.py" line="+74"/>
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
        <location line="+2"/>
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
        <location line="+16"/>
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
        <location line="+10"/>
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
        <location line="+2"/>
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
        <location line="+20"/>
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
        <location filename="../../desktop/window.py" line="+63"/>
        <source>{store}&#x3000;レジ {device}</source>
        <translation>{store}  Register {device}</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>サインアウト</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <location line="+67"/>
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
        <location line="+56"/>
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
        <location filename="../../desktop/screens/counter_parts.py" line="-313"/>
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
        <location line="+255"/>
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
        <location line="+18"/>
        <source>印刷を止めています: {reason}</source>
        <translation>Printing paused: {reason}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>。お買い上げは記録済みで、レジはそのまま使えます</source>
        <translation>. The sale is recorded and the register can keep selling</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>印刷をやり直しています（{n} 回目）: {reason}</source>
        <translation>Retrying the print (attempt {n}): {reason}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>印刷できなかったレシート {n} 件</source>
        <translation>Receipts not printed: {n}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>。直したら「未印刷を印刷」を押してください</source>
        <translation>. When it is fixed, press &quot;Print unprinted&quot;</translation>
    </message>
    <message>
        <location line="+2"/>
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
    <name>QuotePanel</name>
    <message>
        <location line="-291"/>
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
        <location filename="../../desktop/screens/reports.py" line="+30"/>
        <source>集計</source>
        <translation>Reports</translation>
    </message>
    <message>
        <location line="+12"/>
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
        <source>CSV に書き出す</source>
        <translation>Export CSV</translation>
    </message>
    <message>
        <location line="+17"/>
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
        <source>HQ 未確定</source>
        <translation>Not yet confirmed by HQ</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>入会（担当者別）</source>
        <translation>Enrolments by staff</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ポイントの内訳（キャンペーン別）</source>
        <translation>Points by campaign</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>時間帯別のポイント</source>
        <translation>Points by hour</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>サインインしてください</source>
        <translation>Please sign in</translation>
    </message>
    <message>
        <location line="+8"/>
        <location line="+4"/>
        <source>{n} 件&#x3000;{yen}</source>
        <translation>{n} · {yen}</translation>
    </message>
    <message>
        <location line="-3"/>
        <location line="+12"/>
        <source>{n} 人</source>
        <translation>{n}</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>{n} 件</source>
        <translation>{n}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>（HQ 却下 {n} 件）</source>
        <translation> ({n} refused by HQ)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>なし</source>
        <translation>None</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>書き出せませんでした: {e}</source>
        <translation>Could not export: {e}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>書き出しました: {path}</source>
        <translation>Exported: {path}</translation>
    </message>
</context>
<context>
    <name>ReturnsScreen</name>
    <message>
        <location filename="../../desktop/screens/returns.py" line="+45"/>
        <source>返品</source>
        <translation>Returns</translation>
    </message>
    <message>
        <location line="+16"/>
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
        <source>やり直す</source>
        <translation>Start over</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>返品を確定</source>
        <translation>Confirm return</translation>
    </message>
    <message>
        <location line="+94"/>
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
        <location line="+15"/>
        <source>店長の承認が必要です: </source>
        <translation>A manager&apos;s approval is needed: </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>承認済み（{who}）</source>
        <translation>Approved ({who})</translation>
    </message>
    <message>
        <location line="+11"/>
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
        <location filename="../../desktop/screens/counter.py" line="-298"/>
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
        <location filename="../../desktop/screens/lookup.py" line="-336"/>
        <source>会員照会</source>
        <translation>Member look-up</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/reports.py" line="-147"/>
        <source>集計</source>
        <translation>Reports</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/returns.py" line="-268"/>
        <source>返品</source>
        <translation>Returns</translation>
    </message>
    <message>
        <location filename="../../desktop/screens/settings.py" line="+52"/>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <location line="+7"/>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>カードリーダー</source>
        <translation>Card reader</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+21"/>
        <source>設定: {spec}</source>
        <translation>Setting: {spec}</translation>
    </message>
    <message>
        <location line="-18"/>
        <source>読み取りテスト</source>
        <translation>Test read</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>デモ用カードをタッチ</source>
        <translation>Tap the demo card</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>レシートプリンター</source>
        <translation>Receipt printer</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>テスト印字</source>
        <translation>Test print</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>状態を確認</source>
        <translation>Check status</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>表示とレシート</source>
        <translation>Display and receipts</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+10"/>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>表示言語</source>
        <translation>Display language</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>レシートの店舗名</source>
        <translation>Store name on receipts</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>表示言語は次に起動したときから切り替わります</source>
        <translation>A new display language takes effect the next time the app starts</translation>
    </message>
    <message>
        <location line="+5"/>
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
        <location line="+30"/>
        <source>カードをリーダーにタッチしてください…</source>
        <translation>Tap a card on the reader…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>印刷しています…</source>
        <translation>Printing…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>確認しています…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>状態: {m}</source>
        <translation>Status: {m}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>保存しました</source>
        <translation>Saved</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>保存しました。次に起動したときから切り替わります</source>
        <translation>Saved. It takes effect the next time the app starts</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>レジ {device} として {url} に登録しました。アプリを再起動すると新しい HQ に接続します</source>
        <translation>Registered as register {device} at {url}. Restart the app to connect to the new HQ</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&#x3000;カード番号 {uid}</source>
        <translation>  Card no. {uid}</translation>
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
        <location filename="../../desktop/screens/statusbar.py" line="-96"/>
        <location line="+42"/>
        <source>今すぐ同期</source>
        <translation>Sync now</translation>
    </message>
    <message>
        <location line="-36"/>
        <source>交代</source>
        <translation>Change staff</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>サインアウト</source>
        <translation>Sign out</translation>
    </message>
    <message>
        <location line="+8"/>
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
        <location line="+12"/>
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
        <location filename="../../desktop/flows/messages.py" line="+35"/>
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
        <location filename="../../desktop/i18n.py" line="+87"/>
        <source>このカードは利用停止中です。店長にお知らせください</source>
        <translation>This card is blocked. Please tell the manager</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>無効な会員コードです（署名鍵が失効しています）</source>
        <translation>This member code is not valid (its signing key was retired)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>記録中です。しばらくお待ちください</source>
        <translation>Recording. Please wait</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>会員カードをタッチしてください</source>
        <translation>Please tap the member card</translation>
    </message>
    <message>
        <location line="+1"/>
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
        <location filename="../../desktop/i18n.py" line="-39"/>
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
        <location line="+1"/>
        <source>会員が見つかりません</source>
        <translation>Member not found</translation>
    </message>
    <message>
        <location line="+1"/>
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
        <location line="+2"/>
        <source>商品がありません</source>
        <translation>There are no items</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>金額は整数で入力してください</source>
        <translation>Enter the amount as a whole number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>金額は1円以上で入力してください</source>
        <translation>Enter an amount of at least 1 yen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用ポイントは整数で入力してください</source>
        <translation>Enter the points to use as a whole number</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>利用ポイントは0以上で入力してください</source>
        <translation>Points to use cannot be negative</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ポイントを利用するには会員を確認してください</source>
        <translation>Identify the member to use points</translation>
    </message>
    <message>
        <location line="+1"/>
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
        <location filename="../../desktop/flows/counter.py" line="+89"/>
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
        <source>POS の取引を取り消せませんでした。もう一度「取消」を押してください</source>
        <translation>The POS sale could not be cancelled. Press &quot;Cancel&quot; again</translation>
    </message>
</context>
</TS>
