"""The pure loyalty domain: program rules, quotes, ledger arithmetic, member codes.

Nothing here does I/O, imports Qt or an ORM, or reads the clock: callers pass in what
the rules need. Both the register (offline quotes) and HQ (the ledger) run this code.

- `program`: the program file (earn, redeem, expiry, ranks, campaigns, stacking).
- `quote`: what a basket earns and may redeem, explained; `quote_sale` for amounts.
- `ranks`: rank criteria and evaluation as of a date.
- `ledger` (with `lots`): lots, redemptions, returns, expiry, debt, merges, invariants.
- `tokens`: signed member QR tokens; `scan`: classifying what a scanner typed.
- `simulate`: quoting from JSON for HQ staff trying a program.
"""
