"""The PySide6 counter application: composition root, Qt-free counter flows, widgets,
and the bridge that turns core events into Qt signals."""
