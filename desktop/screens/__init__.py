"""Screens of the register application and the dialogs they share.

The main window (`desktop.window`) is a shell around a stack of screens. A screen is one
file here holding one `Screen` subclass, registered in `desktop.screens.registry.SCREENS`;
the shell builds it, binds its function key and lists it in the function-key bar.
"""
