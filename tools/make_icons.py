"""Draw the app icons of the installable portal (``static/icons/``) from the favicon's design, with Pillow.

The same picture as ``static/favicon.svg``: a white house with a green heart on the brand blue. Run after changing
the design and commit the PNGs: ``.venv/bin/python tools/make_icons.py``.

- ``icon-192.png`` and ``icon-512.png``: rounded square ("any" purpose in the manifest);
- ``icon-maskable-512.png``: full-bleed blue with the house inside the 80 % safe zone ("maskable");
- ``apple-touch-icon.png`` (180 px): full-bleed, iOS rounds the corners itself.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BRAND = "#1f5f8b"  # --brand in static/css/portal.css
ACCENT = "#2f6f4f"  # --accent
WHITE = "#ffffff"
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
SCALE = 4  # draw large, then shrink: smooth edges without an anti-aliasing pass


def _draw(size: int, *, rounded: bool, content: float) -> Image.Image:
    """The icon at ``size`` px; ``content`` is the share of the side the 32-unit favicon drawing takes."""
    big = size * SCALE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if rounded:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 7 // 32, fill=BRAND)
    else:
        draw.rectangle((0, 0, big - 1, big - 1), fill=BRAND)
    unit = big * content / 32
    offset = (big - 32 * unit) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x * unit, offset + y * unit)

    # The house: roof from (5, 15.5) up to (16, 6) down to (27, 15.5), walls down to y = 26.
    house = [(16, 6), (5, 15.5), (8.2, 15.5), (8.2, 26), (23.8, 26), (23.8, 15.5), (27, 15.5)]
    draw.polygon([at(x, y) for x, y in house], WHITE)
    # The heart: two circles and a point.
    radius = 2.7 * unit
    for cx in (13.3, 18.7):
        x, y = at(cx, 16.8)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=ACCENT)
    draw.polygon([at(10.75, 17.6), at(21.25, 17.6), at(16, 23.2)], ACCENT)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        _draw(size, rounded=True, content=1.0).save(OUT / f"icon-{size}.png", optimize=True)
    _draw(512, rounded=False, content=0.72).save(OUT / "icon-maskable-512.png", optimize=True)
    _draw(180, rounded=False, content=0.8).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
