"""Schemathesis against the OpenAPI document HQ serves: no input makes HQ answer 5xx.

Runs in-process (ASGI) with a fixed number of examples per operation and generation
mode — no wall-clock budget, so a busy machine takes longer but never skips an
operation — and checks that every operation in the document was called. Each operation
is called with the token it is meant for (admin routes with an admin token, the rest
with a register's), so generated bodies reach the handlers instead of stopping at 401.
"""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine

from hq.app import create_app
from tests.hq.hq_helpers import World

# Valid requests reach the handlers; invalid ones check that refusals stay 4xx. The
# counts bound the run: about 15 requests for each of the ~40 operations.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}


@schemathesis.serializer("application/toml")
def _toml_text(_context: Any, value: Any) -> bytes:
    """Program uploads are raw TOML text; send generated strings as UTF-8."""
    return str(value).encode("utf-8")


def _headers(world: World, path: str) -> dict[str, str]:
    admin = path.startswith("/v1/admin") or path.endswith("/app-token")
    return world.auth(world.admin if admin else world.token)


def test_no_generated_request_gets_a_5xx(db_url: str, engine: Engine, world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(db_url, hold_sweep_interval=None))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25  # every route is in the document
    server_errors: list[str] = []
    answered: set[tuple[str, int]] = set()
    called: set[str] = set()

    for operation, mode in itertools.product(operations, EXAMPLES):
        @settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            headers = _headers(world, case.operation.path)
            response = case.call(headers=headers)
            called.add(f"{case.method.upper()} {case.operation.path}")
            answered.add((case.operation.path, response.status_code))
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            case.validate_response(response, checks=[not_a_server_error], headers=headers)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            continue
        except Exception as exc:  # collect every failing operation, not just the first
            server_errors.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not server_errors, "\n".join(server_errors)
    # Every operation was exercised: none was skipped or unable to make a request.
    missing = {f"{op.method.upper()} {op.path}" for op in operations} - called
    assert not missing, f"operations never called: {sorted(missing)}"
    # The tokens worked: generated requests got past authentication to real answers.
    assert {path for path, code in answered if code < 300} >= {
        "/v1/health", "/v1/sync/pull", "/v1/admin/keys", "/v1/admin/audit", "/v1/admin/registers",
    }  # fmt: skip
