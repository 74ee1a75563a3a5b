"""`.env.example` lists every setting Starport reads, and only those: it cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from starport.entrypoints.config import StarportConfig

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_lists_every_setting_and_nothing_else() -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    settings = {name.upper() for name in StarportConfig.model_fields}
    assert listed == settings, (sorted(settings - listed), sorted(listed - settings))
