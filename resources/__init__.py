"""Data files shipped with Tamaru: programs, demo data, styles, translations."""

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
