"""The HQ server: owns the ledger, ingests register ops, and serves the pull feed.

`hq.app.create_app` builds the FastAPI application (push and pull there; other register
routes in `hq.api`, the admin API in `hq.admin` and `hq.admin_reports`). `hq.ingest`
decides pushed ops (`hq.ops_sale`, `hq.ops_return`, `hq.ops_member`) on the ledger of
record in `hq.ledger_store`; `hq.members`, `hq.member_ledger`, `hq.holds`,
`hq.provisioning` and `hq.keys` hold the operations behind the other routes; `hq.jobs`
and `hq.reports` are the expiry and ranks jobs and the reports; `hq.cli` is the
`tamaru-hq` command. `docs/hq.md` is the operator's guide.
"""
