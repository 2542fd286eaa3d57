"""Finding a font that has Chinese glyphs, for images made on the server (certificates, posters)."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

logger = logging.getLogger(__name__)

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    configured = os.environ.get("GONGYI_CJK_FONT")
    for candidate in ((configured,) if configured else ()) + CANDIDATES:
        if candidate and Path(candidate).exists():
            return candidate
    logger.warning("no CJK font found; install fonts-wqy-microhei or set GONGYI_CJK_FONT")
    return None


@lru_cache(maxsize=32)
def cjk_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = cjk_font_path()
    if path is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)
