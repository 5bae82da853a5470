"""Devices at the counter: card readers, scanners, printers, the receipt model and its renderers.

No Qt widgets here; devices run on their own threads and report through plain callbacks.
"""
