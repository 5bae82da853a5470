"""The HQ server: owns the ledger, ingests register ops, and serves the pull feed.

`hq.app.create_app` builds the FastAPI application (push and pull there; other register
routes in `hq.api`, the admin API in `hq.admin`); `hq.ingest` applies ops, `hq.members`,
`hq.holds`, `hq.provisioning` and `hq.keys` hold the operations behind the routes, and
`hq.cli` is the `tamaru-hq` command. `docs/hq.md` is the operator's guide.
"""
