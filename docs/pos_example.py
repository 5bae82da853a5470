#!/usr/bin/env python3
"""An example POS for Tamaru's POS link: hands a sale to the loyalty counter and prints
the discount and points the cashier confirmed. Standard library only.

    python docs/pos_example.py --amount 3280
    python docs/pos_example.py --amount 1640 --tax-basis excluded \\
        --line "4901234567894,お茶,drink,2,1000,10" --line "4900000000001,パン,food,1,500,8"
    python docs/pos_example.py --amount 3280 --file-drop /path/to/drop-folder

Exit status: 0 confirmed, 2 refused or cancelled, 1 an error. A retry after a network
error reuses the same sale id, so it can never ring the sale up twice.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any


def default_token_file() -> Path:
    home = os.environ.get("TAMARU_HOME")
    if home:
        return Path(home).expanduser() / "poslink-token"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "tamaru" / "poslink-token"


def build_sale(args: argparse.Namespace) -> dict[str, Any]:
    sale: dict[str, Any] = {"sale_id": args.sale_id, "amount_yen": args.amount,
                            "tax_basis": args.tax_basis, "currency": "JPY"}
    if args.line:
        lines = []
        for text in args.line:
            sku, name, category, quantity, amount, rate = text.split(",")
            lines.append({"sku": sku, "name": name, "category": category,
                          "quantity": int(quantity), "amount_yen": int(amount),
                          "tax_rate": int(rate)})
        sale["lines"] = lines
    return sale


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def call_with_retries(self, method: str, path: str, body: dict[str, Any] | None = None,
                          timeout: float = 10.0, tries: int = 5) -> tuple[int, dict[str, Any]]:
        """Network errors are retried with the same body: the sale id makes that safe."""
        for attempt in range(tries):
            try:
                return self.call(method, path, body, timeout)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == tries - 1:
                    raise
                print(f"network error ({exc}); retrying the same sale", file=sys.stderr)
                time.sleep(0.5 * 2 ** attempt)
        raise AssertionError("unreachable")


def run_http(args: argparse.Namespace, sale: dict[str, Any]) -> dict[str, Any]:
    token = args.token or default_token_file().read_text(encoding="ascii").strip()
    api = Api(args.url, token)
    status, body = api.call_with_retries("POST", "/v1/pos/sales", sale)
    if status not in (200, 202):
        raise SystemExit(f"refused ({status}): {body.get('error')}: "
                         f"{body.get('detail', {}).get('en')}")
    print(f"sent {sale['sale_id']}: {body['state']} — ask the member for their card",
          file=sys.stderr)
    deadline = time.monotonic() + args.timeout
    try:
        while body["state"] == "waiting" and time.monotonic() < deadline:
            wait = max(1, min(30, int(deadline - time.monotonic())))
            status, body = api.call_with_retries(
                "GET", f"/v1/pos/sales/{sale['sale_id']}?wait={wait}", timeout=wait + 10)
            if status != 200:
                raise SystemExit(f"refused ({status}): {body.get('error')}")
    except KeyboardInterrupt:
        body = {"state": "waiting"}
    if body["state"] == "waiting":
        # Nobody settled it: withdraw it so the counter is free for the next customer.
        status, cancelled = api.call_with_retries(
            "POST", f"/v1/pos/sales/{sale['sale_id']}/cancel")
        if status != 200:
            # The cashier was confirming at that moment: the sale's own state says how it ended.
            status, cancelled = api.call_with_retries(
                "GET", f"/v1/pos/sales/{sale['sale_id']}?wait=10", timeout=20)
        body = cancelled
    return body


def run_file_drop(args: argparse.Namespace, sale: dict[str, Any]) -> dict[str, Any]:
    folder = Path(args.file_drop)
    name = sale["sale_id"]
    tmp = folder / f".{name}.json.tmp"
    tmp.write_text(json.dumps(sale, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / f"{name}.json")  # the watcher never sees half a file
    print(f"dropped {name}.json — ask the member for their card", file=sys.stderr)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        for suffix in (".result.json", ".error.json"):
            path = folder / f"{name}{suffix}"
            if path.exists():
                answer: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                return answer
        time.sleep(0.2)
    raise SystemExit(f"no result for {name} after {args.timeout} s")


def show(answer: dict[str, Any]) -> int:
    state = answer.get("state")
    if state == "confirmed":
        r = answer["result"]
        print(f"confirmed  member {r['member_no']}  receipt {r['receipt_no']}")
        print(f"discount   ￥{r['discount_yen']:,} ({r['points_used']:,} pt used)")
        print(f"amount due ￥{r['amount_due_yen']:,}")
        print(f"points     +{r['points_earned']:,} pt, balance {r['balance_after']:,} pt")
        return 0
    if state in ("refused", "cancelled"):
        detail = answer.get("detail") or {}
        print(f"{state}: {answer.get('reason')} — {detail.get('en', '')} / {detail.get('ja', '')}")
        print("settle the sale without points")
        return 2
    print(f"error: {answer.get('error')} — {(answer.get('detail') or {}).get('en', '')}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amount", type=int, required=True,
                        help="what the customer pays before points, tax included (yen)")
    parser.add_argument("--tax-basis", choices=("included", "excluded"), default="included")
    parser.add_argument("--line", action="append",
                        help="sku,name,category,quantity,amount_yen,tax_rate (repeatable)")
    parser.add_argument("--sale-id", default=None, help="the POS's own id (default: new)")
    parser.add_argument("--url", default="http://127.0.0.1:8473")
    parser.add_argument("--token", default=None,
                        help=f"bearer token (default: read {default_token_file()})")
    parser.add_argument("--timeout", type=int, default=300, help="seconds to wait for the cashier")
    parser.add_argument("--file-drop", metavar="DIR", default=None,
                        help="drop the sale as a file in DIR instead of calling the API")
    parser.add_argument("--json", action="store_true", help="print the raw answer as JSON")
    args = parser.parse_args(argv)
    if args.sale_id is None:
        args.sale_id = f"EX-{datetime.now().astimezone():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    sale = build_sale(args)
    answer = run_file_drop(args, sale) if args.file_drop else run_http(args, sale)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
        return 0 if answer.get("state") == "confirmed" else 2 if "state" in answer else 1
    return show(answer)


if __name__ == "__main__":
    sys.exit(main())
