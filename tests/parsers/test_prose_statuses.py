"""HTTP statuses as people and HTTP clients write them in text (parsers/decoding/prose.py):
the status of the failed call, and never a number of something else."""

from __future__ import annotations

import pytest
from vendor_errors.parsers.decoding.prose import prose_status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Response status code does not indicate success: 429 (Too Many Requests).", 429),
        ("net_http_message_not_success_statuscode_reason, 401, Unauthorized", 401),
        ("Received HTTP response headers after 87.4321ms - 503", 503),
        ("ClientResponseError: 404, message='Not Found', url=URL('https://x')", 404),
        ("401 Client Error: Unauthorized for url: https://x", 401),
        ("HTTP Error 429: Too Many Requests", 429),
        ("Server returned HTTP response code: 503 for URL: https://x", 503),
        ("status code: 429, reason phrase: Too Many Requests", 429),
        ("Response code 429 (Too Many Requests)", 429),
        ("Request failed with status code 404 (Not Found)", 404),
        ("the response has a status code of 403 and RequestOptions", 403),
        ("curl: (22) The requested URL returned error: 429", 429),
        ("(429)\nReason: Too Many Requests", 429),
        ("Caused by ResponseError('too many 429 error responses')", 429),
        ("Client error '422 Unprocessable Entity' for url", 422),
        ("unexpected answer <400 BAD_REQUEST Bad Request,{...}>", 400),
        ("HTTP/2 422 Unprocessable Entity returned for", 422),
        ('replying to Pipedrive 429: {"success":false}', 429),
        ("pipedrive manifest reply 404 {", 404),
        ('end session answered 200 {"success":false}', 200),
        ("8x8 API error (401): {", 401),
        # Numbers that are not statuses.
        ("took 503 ms", None),
        ("retrying in 1000 ms", None),
        ("user 10004 logged in", None),
        ("returned 200 rows", None),
        ("sent 429 messages", None),
    ],
)
def test_prose_status(text: str, status: int | None) -> None:
    assert prose_status(text) == status
