"""Redaction of personal data and secrets: one stage, one policy, for every string that leaves.

Vendor messages quote recipients ("Invalid destination +14155550123"), URLs carry signatures and
tokens, Kafka keys are often phone numbers or addresses. Whatever the processor publishes (event
fields, span attributes and status, metric labels, its own logs, dead-letter headers) goes
through one `Redactor`, built from the `privacy` settings (docs/privacy.md):

- phone numbers (E.164 and national forms, in prose, after `:` `/` `=` `tel:`, in URL paths and
  query values) become `[phone]`; e-mail addresses (internationalised too) `[email]`;
- URL credentials are dropped; secret query parameters, bearer tokens, JWTs and any configured
  pattern become `[redacted]`;
- Kafka record keys become a keyed hash (or `[redacted]`), never the key;
- text is redacted before it is cut to length.

`redact_text` is the default policy as a function, for callers without settings (`scan`).
"""

from __future__ import annotations

from vendor_errors.processor.privacy.logfilter import RedactingFilter, install
from vendor_errors.processor.privacy.policy import (
    KAFKA_KEY_ATTRIBUTE,
    MAX_LABEL_CHARS,
    MAX_TEXT_CHARS,
    MAX_URL_CHARS,
    Redactor,
    cut,
)
from vendor_errors.processor.privacy.rules import (
    DEFAULT_SECRET_PARAMS,
    EMAIL,
    PHONE,
    SECRET,
    PatternError,
    Rules,
    compile_pattern,
)

_DEFAULT = Redactor()


def redact_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """`text` under the default policy: redacted, then cut to `limit` characters."""
    return _DEFAULT.redact_and_cut(text, limit)


__all__ = [
    "DEFAULT_SECRET_PARAMS",
    "EMAIL",
    "KAFKA_KEY_ATTRIBUTE",
    "MAX_LABEL_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_URL_CHARS",
    "PHONE",
    "SECRET",
    "PatternError",
    "RedactingFilter",
    "Redactor",
    "Rules",
    "compile_pattern",
    "cut",
    "install",
    "redact_text",
]
