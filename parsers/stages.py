"""The signatures of the stages of the general path, which every speed layer keeps.

    record(raw, text, source) -> Result   a record that is text: to its JSON or text stage
    json(obj, source) -> Result           a decoded JSON object or array
    text(raw, text, source) -> Result     a record that is not JSON

`raw` is the record as read (bytes, or str when the caller had text); `text` the record as text
when it was decoded already (None: `raw` is ASCII bytes, decoded when needed). parsers/general.py
has the stages, parsers/fast/ the layers over them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vendor_errors.parsers.result import Origin, Result

RecordStage = Callable[[bytes | str, str | None, Origin], Result]
JsonStage = Callable[[Any, Origin], Result]
TextStage = Callable[[bytes | str, str, Origin], Result]
