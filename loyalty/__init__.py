"""The pure loyalty domain: program rules, quotes and ledger arithmetic.

Nothing here does I/O, imports Qt or an ORM, or reads the clock: callers pass in what
the rules need. Both the register (offline quotes) and HQ (the ledger) run this code.
"""
