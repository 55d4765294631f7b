"""One theme (issue 26, point 5): every colour the console draws is written in ui/theme.py.

A hex colour anywhere else in src/xentui/ui (a Python style string, a DEFAULT_CSS, the
stylesheet) is how `BAD` came to be #ff6b6b in one module and #ff6b5e in another: the scan
below fails on one. The stylesheet names the palette's colours as CSS variables that the app
hands to Textual from the theme.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.style import Style

import xentui.ui
from xentui.ui import theme

UI = Path(xentui.ui.__file__).parent
#: a colour literal: '#' then 3, 4, 6 or 8 hex digits, not part of a longer word ('#ob-step2' is an id)
HEX = re.compile(r"(?<![\w&])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3,4})(?![\w-])")


def hex_literals(text: str) -> list[str]:
    return HEX.findall(text)


@pytest.mark.parametrize(("text", "found"), [
    ('BAD = "bold #ff6b5e"', ["#ff6b5e"]),
    ("border-left: outer #b04fd1; background: #8e24aa 25%;", ["#b04fd1", "#8e24aa"]),
    ('style="white on #b3261e"', ["#b3261e"]),
    ("color: #fff;", ["#fff"]),
    ("OnboardScreen #ob-step2 { }", []),  # an id, not a colour
    ('self.query_one("#ob-add-config")', []),
    ("a{color:#add}", ["#add"]),  # (an id spelt in hex letters would be caught too: rename it)
    ("# a comment", []),
])
def test_the_scan_finds_hex_colours_and_not_ids(text: str, found: list[str]) -> None:
    assert hex_literals(text) == found


def test_no_hex_colour_outside_the_theme() -> None:
    offenders = []
    for path in sorted(UI.rglob("*")):
        if path.suffix not in (".py", ".tcss") or path == UI / "theme.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if hex_literals(line):
                offenders.append(f"{path.relative_to(UI)}:{n}: {line.strip()}")
    assert not offenders, "colours belong in ui/theme.py:\n" + "\n".join(offenders)


def test_every_style_of_the_theme_parses_and_the_stylesheet_uses_its_variables() -> None:
    styles = {n: v for n, v in vars(theme).items() if n.isupper() and isinstance(v, str)}
    for name, value in styles.items():
        Style.parse(value)  # raises on a typo
    for name, value in theme.VERDICT_STYLES.items():
        assert Style.parse(value).bgcolor is not None, name
    css = (UI / "xentui.tcss").read_text()
    used = set(re.findall(r"\$([a-z][a-z0-9-]*)", css))
    for var in theme.CSS_VARIABLES:
        assert var in used, f"${var} is defined by the theme but the stylesheet does not use it"
        assert re.fullmatch(r"#[0-9a-f]{6}", theme.CSS_VARIABLES[var])


async def test_the_app_hands_the_theme_variables_to_textual() -> None:
    from xentui.devtools.samples import sample_app

    app = sample_app("split-brain")
    async with app.run_test(size=(80, 24)):
        variables = app.get_css_variables()
        for var, colour in theme.CSS_VARIABLES.items():
            assert variables[var].lower() == colour
