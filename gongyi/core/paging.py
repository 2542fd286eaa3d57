"""Bounds for paging through lists, the same for every list the site and the API show."""

from __future__ import annotations

# Far past any list we keep. SQLite and PostgreSQL refuse an OFFSET past a 64-bit integer (a 500), so a
# larger offset is refused as input (the API names the field) or simply shows an empty page.
MAX_OFFSET = 1_000_000_000
