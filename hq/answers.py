"""A push's answers as JSON, in the shape of `sync.protocol.OpResult`, without models.

Deciders answer with plain dicts (`hq.batch.Decision`). An answer is stored with its op,
replayed field for field to every retry, and sent back, so each is brought to the
`OpResult` shape once here — every field in the model's order, defaults filled in,
times written as pydantic writes them — and the response body is encoded from these
dicts directly, where each answer used to be validated into a model and dumped again
three times over. `tests/hq/test_hq_push_caller.py` holds the shapes to the models.
"""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel
from pydantic_core import to_json, to_jsonable_python

from sync.protocol import LotSummary, OpResult, PointsLine


def _fields(model: type[BaseModel]) -> tuple[tuple[str, Any], ...]:
    return tuple((name, None if f.is_required() else f.default) for name, f in model.model_fields.items())


_RESULT = _fields(OpResult)
_LINE = _fields(PointsLine)
_LOT = _fields(LotSummary)


def _shaped(data: dict[str, Any], fields: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    return {name: data.get(name, default) for name, default in fields}


def answer(result: dict[str, Any]) -> dict[str, Any]:
    """`result` as `OpResult.model_validate(result).model_dump(mode="json")` gives it."""
    out = _shaped(result, _RESULT)
    if out["breakdown"] is not None:
        out["breakdown"] = [_shaped(line, _LINE) for line in out["breakdown"]]
    if out["lots"] is not None:
        out["lots"] = [_shaped(lot, _LOT) for lot in out["lots"]]
    return cast(dict[str, Any], to_jsonable_python(out))


def replay(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored answer of an op sent again."""
    result = answer(stored)
    if result["status"] == "applied":
        result["status"] = "duplicate"
    # A refusal stays a refusal (`duplicate` would read as "it was applied"), and a parked
    # op is still parked.
    return result


def push_body(answers: list[dict[str, Any]]) -> bytes:
    """The body of a push's response (`sync.protocol.PushResponse`)."""
    return to_json({"results": answers})
