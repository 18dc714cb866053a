"""What free text says on its own: URLs, HTTP statuses and error codes written in sentences.

A bare number is never a status or a code ("retrying in 1000 ms", "took 503 ms", "user 10004
logged in"): a status needs `HTTP`, `status`, `returned`, `->`, or its reason phrase; a code
needs `error code`, `errorCode:`, `reason code is` and the like.
"""

from __future__ import annotations

import re

URL = re.compile(r"""\b[a-zA-Z][\w+.-]{1,15}://[^\s"'<>`\\]{1,2048}""")
# HTTP statuses written in prose: "HTTP 503", "status: 429", "returned 404", "503 Service
# Unavailable".
PROSE_STATUS = re.compile(
    r"(?i:\bHTTP(?:/\d(?:\.\d)?)?[ :]+|\bstatus(?:[ _-]?code)?[\"']?\s*[:=]?\s*|"
    r"\b(?:return(?:ed|ing)|respon(?:ded|ding|se)|answer(?:ed|ing)|repl(?:ied|ying)|"
    r"fail(?:ed|ing)|error)(?: with)?[: ]+(?:an? )?(?:HTTP )?|"
    r"(?:->|=>) *)"
    r"([45]\d\d)\b(?![ \t]*(?:ms|s|bytes|items|records|times)\b)"
    r"|\b([45]\d\d) (?:Bad Request|Unauthorized|Forbidden|Not Found|Conflict|Gone|"
    r"Payload Too Large|Content Too Large|Unprocessable (?:Entity|Content)|Too Many Requests|"
    r"Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b"
)
# Codes named in prose: "error code 1300", "errorCode: 10004", "ErrorCode 'RATE_LIMIT_EXCEEDED'".
PROSE_CODE = re.compile(
    r"(?i:\b(?:error|err|vendor|reason)[ _-]?code)[\"']?\s*(?:[:=#]|\bis\b)?\s*[\"']?"
    r"([A-Za-z0-9][A-Za-z0-9_]{0,63})\b"
)
