"""Runtime hook of the store build: runs before any Tamaru code in the frozen app.

Qt and the receipt renderer find fonts through fontconfig. The bundled libfontconfig
reads the system's /etc/fonts/fonts.conf; a counter PC installed without the
fontconfig configuration package has none, and Qt would then see no Japanese font at
all. In that case the build's own fonts.conf (system font folders and a per-user cache)
is used instead. A FONTCONFIG_FILE set by the operator always wins.
"""

import os
import sys
from pathlib import Path

_bundle = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))
if "FONTCONFIG_FILE" not in os.environ and not Path("/etc/fonts/fonts.conf").is_file():
    _conf = _bundle / "fontconfig" / "fonts.conf"
    if _conf.is_file():
        os.environ["FONTCONFIG_FILE"] = str(_conf)
