"""`python -m desktop.poslink`: print the POS link's OpenAPI document (for integrators
who want it without a running Tamaru)."""

from __future__ import annotations

import json

from desktop.poslink.server import openapi_document

if __name__ == "__main__":
    print(json.dumps(openapi_document(), ensure_ascii=False, indent=2))
