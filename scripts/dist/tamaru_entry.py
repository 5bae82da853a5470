"""Entry script of the store build: runs `tamaru` (desktop.main).

It lives outside `desktop/` on purpose: PyInstaller puts the entry script's folder on
the module search path, and `desktop/secrets.py` there would hide the standard
library's `secrets` from every library that imports it.
"""

import sys

from desktop.main import main

if __name__ == "__main__":
    sys.exit(main())
