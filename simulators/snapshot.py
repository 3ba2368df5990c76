"""Pillow-drawn camera snapshots: a scene with a car-shaped block and its plate, and the plate crop.

The plate text is drawn with a CJK font when the machine has one; otherwise the province character is
drawn as its pinyin abbreviation (``粤B12345`` → ``YUE B12345``) so the picture still identifies the car.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PLATE_COLORS = {  # colorType → (background, text)
    0: ((90, 90, 90), (255, 255, 255)),
    1: ((20, 60, 190), (255, 255, 255)),
    2: ((240, 190, 20), (0, 0, 0)),
    3: ((245, 245, 245), (0, 0, 0)),
    4: ((10, 10, 10), (255, 255, 255)),
    5: ((120, 220, 140), (0, 0, 0)),
    6: ((170, 220, 60), (0, 0, 0)),
}

PROVINCE_PINYIN = {
    "京": "JING", "津": "JIN", "沪": "HU", "渝": "YU", "冀": "JI", "豫": "YU", "云": "YUN", "辽": "LIAO",
    "黑": "HEI", "湘": "XIANG", "皖": "WAN", "鲁": "LU", "新": "XIN", "苏": "SU", "浙": "ZHE", "赣": "GAN",
    "鄂": "E", "桂": "GUI", "甘": "GAN", "晋": "JIN", "蒙": "MENG", "陕": "SHAN", "吉": "JI", "闽": "MIN",
    "贵": "GUI", "粤": "YUE", "青": "QING", "藏": "ZANG", "川": "CHUAN", "宁": "NING", "琼": "QIONG",
    "使": "SHI", "港": "GANG", "澳": "AO", "领": "LING", "挂": "GUA", "学": "XUE", "警": "JING", "应": "YING",
    "急": "JI", "无": "WU",
}

_CJK_FONT_NAMES = ("wqy-zenhei", "wqy-microhei", "notosanscjk", "notoserifcjk", "notosanssc", "sourcehansans",
                   "droidsansfallback", "simhei", "simsun", "msyh", "arphic", "ukai", "uming")
_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", str(Path.home() / ".fonts"),
              "/System/Library/Fonts", "C:/Windows/Fonts")


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Path of a font file able to draw Chinese, or None."""
    for base in _FONT_DIRS:
        root = Path(base)
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            name = path.name.lower().replace("-", "").replace("_", "")
            if path.suffix.lower() in (".ttf", ".ttc", ".otf") and any(
                    key.replace("-", "") in name for key in _CJK_FONT_NAMES):
                return str(path)
    return None


def _font(size: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, bool]:
    cjk = find_cjk_font()
    if cjk:
        return ImageFont.truetype(cjk, size), True
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size), False
    except OSError:
        return ImageFont.load_default(size), False


def printable(license: str, cjk: bool) -> str:
    """The text to draw: as is with a CJK font, otherwise non-ASCII characters spelled in pinyin."""
    if cjk:
        return license
    out = []
    for ch in license:
        if ch.isascii():
            out.append(ch)
        else:
            out.append(PROVINCE_PINYIN.get(ch, "?") + " ")
    return "".join(out).strip()


def plate_image(license: str, color_type: int = 1, size: tuple[int, int] = (220, 70)) -> Image.Image:
    bg, fg = PLATE_COLORS.get(color_type, PLATE_COLORS[0])
    img = Image.new("RGB", size, bg)
    draw = ImageDraw.Draw(img)
    draw.rectangle((3, 3, size[0] - 4, size[1] - 4), outline=fg, width=2)
    font, cjk = _font(int(size[1] * 0.55))
    text = printable(license, cjk)
    box = draw.textbbox((0, 0), text, font=font)
    width, height = box[2] - box[0], box[3] - box[1]
    if width > size[0] - 12:  # shrink pinyin that does not fit
        font, _ = _font(max(8, int(size[1] * 0.55 * (size[0] - 12) / width)))
        box = draw.textbbox((0, 0), text, font=font)
        width, height = box[2] - box[0], box[3] - box[1]
    draw.text(((size[0] - width) / 2 - box[0], (size[1] - height) / 2 - box[1]), text, fill=fg, font=font)
    return img


def scene_image(license: str, color_type: int = 1, size: tuple[int, int] = (640, 360)) -> Image.Image:
    img = Image.new("RGB", size, (70, 75, 80))
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.rectangle((0, int(h * 0.7), w, h), fill=(50, 50, 52))  # road
    body = (int(w * 0.2), int(h * 0.25), int(w * 0.8), int(h * 0.85))
    draw.rounded_rectangle(body, radius=30, fill=(180, 180, 190))
    draw.rectangle((int(w * 0.28), int(h * 0.3), int(w * 0.72), int(h * 0.5)), fill=(40, 60, 80))  # windscreen
    plate = plate_image(license, color_type, (int(w * 0.3), int(h * 0.17)))
    img.paste(plate, (int((w - plate.width) / 2), int(h * 0.62)))
    return img


def to_jpeg(img: Image.Image, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def snapshot_jpegs(license: str, color_type: int = 1) -> tuple[bytes, bytes]:
    """(scene JPEG, plate crop JPEG) for a recognition of ``license``."""
    return to_jpeg(scene_image(license, color_type)), to_jpeg(plate_image(license, color_type))
