"""The register's side of sync: its local store and outbox, the sync client, and the wire
protocol (`sync.protocol`) that HQ shares."""
