"""Qt-free flows of the counter application: sign-in and staff, identification, the sale.

Each flow is a small state machine over the register store and the sync client. Widgets
call its typed operations; results come back as named events on the `EventBus`, which
`desktop.bridge` re-emits as Qt signals. Tests drive the flows without a GUI.
"""
