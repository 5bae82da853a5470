"""The HQ server: owns the ledger, ingests register ops, and serves the pull feed.

`hq.app.create_app` builds the FastAPI application, `hq.directory` holds the admin
operations (programs, members, registers), and `hq.cli` is the `tamaru-hq` command.
"""
