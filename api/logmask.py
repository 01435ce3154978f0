"""Keys in URLs never reach a log: uvicorn's access log with ``key=…`` masked.

GIS clients may send their API key as ``?key=`` (api/deps.gis_client_key). uvicorn logs
each request's path with its query string, so ``gridmap serve`` installs ``MaskKeys`` on the
access log handler (``log_config()``).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

KEY_IN_URL = re.compile(r"(?i)([?&](?:key|api_key|apikey)=)[^&\s]*")
MASK = r"\1***"


def mask_url(text: str) -> str:
    """``text`` with the value of every key-like query parameter replaced by ``***``."""
    return KEY_IN_URL.sub(MASK, text)


class MaskKeys(logging.Filter):
    """Masks keys in an access log record's arguments (uvicorn passes the path as one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_url(a) if isinstance(a, str) else a for a in record.args)
        record.msg = mask_url(str(record.msg))
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with MaskKeys on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["mask_keys"] = {"()": f"{__name__}.MaskKeys"}
    config["handlers"]["access"]["filters"] = ["mask_keys"]
    return config
