"""What free text says on its own: URLs, HTTP statuses and error codes written in sentences.

A bare number is never a status or a code ("retrying in 1000 ms", "took 503 ms", "user 10004
logged in"): a status needs `HTTP`, `status`, `returned`, `->`, its reason phrase, or one of the
phrasings HTTP clients use in their exceptions (below); a code needs `error code`, `errorCode:`,
`reason code is` and the like.
"""

from __future__ import annotations

import re

URL = re.compile(r"""\b[a-zA-Z][\w+.-]{1,15}://[^\s"'<>`\\]{1,2048}""")

_REASONS = (
    "Bad Request|Unauthorized|Payment Required|Forbidden|Not Found|Method Not Allowed|"
    "Not Acceptable|Proxy Authentication Required|Request Timeout|Conflict|Gone|"
    "Length Required|Precondition Failed|Payload Too Large|Content Too Large|URI Too Long|"
    "Unsupported Media Type|Range Not Satisfiable|Expectation Failed|Misdirected Request|"
    "Unprocessable (?:Entity|Content)|Locked|Failed Dependency|Too Early|Upgrade Required|"
    "Precondition Required|Too Many Requests|Request Header Fields Too Large|"
    "Unavailable For Legal Reasons|Internal Server Error|Not Implemented|Bad Gateway|"
    "Service Unavailable|Gateway Timeout|HTTP Version Not Supported|Insufficient Storage|"
    "Network Authentication Required"
)
# HTTP statuses written in prose, as people and HTTP clients write them:
#   HTTP 503 / HTTP/2 422 / HTTP Error 429 (urllib) / HTTP response code: 503 (Java)
#   status 429 / status: 429 / status code 404 / statusCode=429 / status code of 403 (Dio)
#   Response code 429 (got) / does not indicate success: 429 (.NET) / returned error: 429 (curl)
#   returned 404 / responded with 401 / failed with 503 / error (401) / -> 429
#   after 87.4ms - 503 (.NET IHttpClientFactory) / too many 429 error responses (urllib3)
#   429 Too Many Requests / 429 (Too Many Requests) / 400 BAD_REQUEST / '422 Unprocessable Entity'
#   401 Client Error: (requests) / 404, message='Not Found' (aiohttp) / (429)\nReason: (OpenAPI)
#   429: {"success":false,...} (a status then the body it came with)
# Statuses below 400 are read after a keyword only ("answered 200"): the call's own status.
PROSE_STATUS = re.compile(
    r"(?i:\bHTTP(?:/\d(?:\.\d)?)?(?: Error| response code)?[ :]+\(?|"
    r"\bstatus(?:[ _-]?code)?(?: of)?[\"']?\s*[:=]?\s*\(?|"
    r"\bresponse code:?[ ]+|statuscode_reason, |\bindicate success: |"
    r"\b(?:return(?:ed|ing)|respon(?:ded|ding|se)|answer(?:ed|ing)|repl(?:y|ied|ying)|"
    r"fail(?:ed|ing)|error)(?: with)?(?: error)?[: ]+(?:an? )?(?:HTTP )?\(?|"
    r"\bafter [\d.]+ ?ms - |\btoo many |"
    r"(?:->|=>) *)"
    r"([1-5]\d\d)\b(?![ \t]*(?:ms|s|bytes|items|records|rows|results|times)\b)(?!\.\d)"
    r"|\b([45]\d\d)[ _]\(?(?i:" + _REASONS.replace(" ", "[ _]") + r")\b"
    r"|\b([45]\d\d) (?:Client|Server) Error\b|\b([45]\d\d), message=|\b([45]\d\d): ?[{\[]"
    r"|\(([45]\d\d)\)\s*Reason:"
)
# Codes named in prose: "error code 1300", "errorCode: 10004", "ErrorCode 'RATE_LIMIT_EXCEEDED'".
PROSE_CODE = re.compile(
    r"(?i:\b(?:error|err|vendor|reason)[ _-]?code)[\"']?\s*(?:[:=#]|\bis\b)?\s*[\"']?"
    r"([A-Za-z0-9][A-Za-z0-9_]{0,63})\b"
)

# An SMPP delivery receipt in a deliver_sm's short_message (SMPP 3.4, Appendix B):
# `id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E`
SMPP_RECEIPT = re.compile(
    r"(?i:\bid:)([\w-]{1,64}) (?:.{0,120}? )?(?i:stat:)([A-Z]{5,8}) (?i:err:)([0-9A-Fa-f]{1,4})\b"
)


def prose_status(text: str) -> int | None:
    """The first HTTP status the text states, else None."""
    found = PROSE_STATUS.search(text)
    if found is None:
        return None
    return int(next(group for group in found.groups() if group is not None))
