"""File drop for older registers: a sale dropped in a folder as JSON or CSV, the result
written beside it.

- `<name>.json`: the same body as `POST /v1/pos/sales` (or `POST /v1/pos/returns` when it
  has a `return_id`).
- `<name>.csv`: one row per basket line, `sale_id,sku,name,category,quantity,amount_yen,
  tax_rate`, an optional header row, UTF-8 or Shift_JIS (cp932); prices tax included.

The file stays where it is while the sale waits at the counter (each poll hands it to the
broker again, which replays rather than adding a second sale: a restart loses nothing).
Once settled, `<name>.result.json` is written atomically (temporary file, fsync, rename)
and the input moves to `processed/`; a file that cannot be read gets `<name>.error.json`
and moves to `rejected/`. While another sale waits, a file simply stays for the next poll,
so a register may drop several and they are served in order.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from desktop.poslink.broker import PosBroker
from desktop.poslink.models import PosError, PosReturnRequest, PosSaleRequest

log = logging.getLogger(__name__)

CSV_COLUMNS = ("sale_id", "sku", "name", "category", "quantity", "amount_yen", "tax_rate")
MAX_FILE_BYTES = 1_000_000
MIN_INTERVAL_S, MAX_INTERVAL_S = 0.1, 10.0

Outcome = Literal["settled", "waiting", "busy", "rejected", "unsettled"]


@dataclass(frozen=True)
class Processed:
    path: Path
    outcome: Outcome


class DropFileError(ValueError):
    """A dropped file that cannot be a sale; `field` names what is wrong."""

    def __init__(self, ja: str, en: str, field: str = "file") -> None:
        super().__init__(en)
        self.ja, self.en, self.field = ja, en, field


def write_atomic(path: Path, data: bytes) -> None:
    """Readers see the old file or the whole new one, never half of it, even after a crash."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    if os.name == "posix":
        # The rename itself is durable only once the folder is synced.
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Many Japanese registers still write Shift_JIS.
        return raw.decode("cp932")
    except UnicodeDecodeError as exc:
        raise DropFileError("文字コードが読めません（UTF-8 か Shift_JIS にしてください）",
                            "Unreadable text: use UTF-8 or Shift_JIS") from exc


def _int_cell(value: str, row: int, column: str, minimum: int = 0) -> int:
    cleaned = value.strip().replace(",", "")
    if not cleaned.isdigit() or int(cleaned) < minimum:
        raise DropFileError(f"{row} 行目の {column} は {minimum} 以上の整数で書いてください（{value!r}）",
                            f"row {row}: {column} must be an integer >= {minimum}, not {value!r}",
                            f"row {row}.{column}")
    return int(cleaned)


def parse_csv(text: str) -> PosSaleRequest:
    rows = [r for r in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in r)]
    first = 1
    if rows and rows[0] and rows[0][0].strip().lower() == "sale_id":
        rows, first = rows[1:], 2
    if not rows:
        raise DropFileError("明細がありません", "No basket lines", "lines")
    lines: list[dict[str, Any]] = []
    sale_ids: set[str] = set()
    for n, row in enumerate(rows, first):
        if len(row) != len(CSV_COLUMNS):
            raise DropFileError(f"{n} 行目の列数が {len(row)} です（{len(CSV_COLUMNS)} 列必要）",
                                f"row {n}: {len(row)} columns, expected {len(CSV_COLUMNS)} "
                                f"({','.join(CSV_COLUMNS)})", f"row {n}")
        cells = dict(zip(CSV_COLUMNS, (c.strip() for c in row), strict=True))
        sale_ids.add(cells["sale_id"])
        lines.append({"sku": cells["sku"], "name": cells["name"], "category": cells["category"],
                      "quantity": _int_cell(cells["quantity"], n, "quantity", minimum=1),
                      "amount_yen": _int_cell(cells["amount_yen"], n, "amount_yen"),
                      "tax_rate": _int_cell(cells["tax_rate"], n, "tax_rate")})
    if len(sale_ids) != 1:
        raise DropFileError("1 つのファイルには 1 つの sale_id だけを書いてください",
                            "One file holds one sale: all rows need the same sale_id", "sale_id")
    body = {"sale_id": sale_ids.pop(), "amount_yen": sum(ln["amount_yen"] for ln in lines),
            "tax_basis": "included", "lines": lines}
    return PosSaleRequest.model_validate(body)


def parse_file(path: Path) -> PosSaleRequest | PosReturnRequest:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DropFileError("ファイルが大きすぎます", f"File larger than {MAX_FILE_BYTES} bytes")
    text = _decode(path.read_bytes())
    if path.suffix.lower() == ".csv":
        return parse_csv(text)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DropFileError(f"JSON として読めません（{exc.lineno} 行目）",
                            f"Not JSON: {exc.msg} at line {exc.lineno}", "body") from exc
    if isinstance(body, dict) and "return_id" in body:
        return PosReturnRequest.model_validate(body)
    return PosSaleRequest.model_validate(body)


def _validation_error(exc: ValidationError) -> DropFileError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "body"
    return DropFileError(f"{field} が正しくありません: {first['msg']}",
                         f"{field}: {first['msg']}", field)


class FileDrop:
    """Watches one folder by polling (no OS file-watch API is needed on old till PCs)."""

    def __init__(self, broker: PosBroker, folder: Path, *, interval_s: float = 1.0,
                 settle_s: float = 1.0) -> None:
        self.broker = broker
        self.folder = folder
        # Bounded: too fast wastes a till's CPU, too slow keeps the cashier waiting.
        self.interval_s = min(max(interval_s, MIN_INTERVAL_S), MAX_INTERVAL_S)
        # A file younger than this may still be being written by the register.
        self.settle_s = max(settle_s, 0.0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tamaru-poslink-drop",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # The folder may be a network share that comes and goes: keep watching.
                log.exception("POS file drop poll failed")
            self._stop.wait(self.interval_s)

    def candidates(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        now = time.time()
        found: list[tuple[float, str, Path]] = []
        for path in self.folder.iterdir():
            name = path.name.lower()
            if (name.startswith(".") or not path.is_file()
                    or not name.endswith((".json", ".csv"))
                    or name.endswith((".result.json", ".error.json"))):
                continue
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if now - mtime >= self.settle_s:
                found.append((mtime, path.name, path))
        return [p for _, _, p in sorted(found)]

    def poll_once(self) -> list[Processed]:
        """Handle every settled file once, oldest first; what happened to each."""
        (self.folder / "processed").mkdir(parents=True, exist_ok=True)
        (self.folder / "rejected").mkdir(exist_ok=True)
        return [Processed(path, self.process(path)) for path in self.candidates()]

    def process(self, path: Path) -> Outcome:
        stem = path.name.rsplit(".", 1)[0]
        try:
            try:
                request = parse_file(path)
            except ValidationError as exc:
                raise _validation_error(exc) from exc
        except DropFileError as exc:
            self._reject(path, stem, {"error": "invalid_file", "field": exc.field,
                                      "detail": {"ja": exc.ja, "en": exc.en}})
            return "rejected"
        except OSError:
            log.warning("POS drop file %s not readable yet", path, exc_info=True)
            return "unsettled"
        try:
            if isinstance(request, PosReturnRequest):
                submitted = self.broker.submit_return(request)
            else:
                submitted = self.broker.submit_sale(request)
        except PosError as exc:
            if exc.code == "counter_busy":
                return "busy"
            self._reject(path, stem, exc.body())
            return "rejected"
        view = submitted.view
        if view.state == "waiting":
            return "waiting"
        write_atomic(self.folder / f"{stem}.result.json", _json(view))
        _move(path, self.folder / "processed")
        return "settled"

    def _reject(self, path: Path, stem: str, body: dict[str, Any]) -> None:
        body = {**body, "file": path.name}
        write_atomic(self.folder / f"{stem}.error.json",
                     json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8"))
        _move(path, self.folder / "rejected")


def _json(view: BaseModel) -> bytes:
    return json.dumps(view.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8")


def _move(path: Path, folder: Path) -> None:
    target = folder / path.name
    if target.exists():
        # The same name dropped again (a POS that reuses file names): keep both.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    os.replace(path, target)
