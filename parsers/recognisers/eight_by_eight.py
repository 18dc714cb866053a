"""8x8 SMS API and Chat Apps API.

Every response with HTTP status 400 or above has `code` (integer), `message`, `errorId` (UUID,
the reference for 8x8 support) and `timestamp`. Delivery receipts (webhooks of namespace `SMS`
or `ChatApps`, `eventType: outbound_message_status_changed`) carry
`payload.status.{state, detail, errorCode, errorMessage}` next to the message's `umid`: their
codes are 8x8's receipt tables (catalog channels `delivery_receipt` and
`chatapps_delivery_receipt`), never the API's. Its SMPP receipts (`stat:UNDELIV err:046` in a
deliver_sm's text) carry the SMS receipt codes.
"""

from __future__ import annotations

from vendor_errors.parsers.decoding.candidates import Candidate
from vendor_errors.parsers.decoding.values import as_code
from vendor_errors.parsers.recognisers.base import (
    Reading,
    code_of,
    generic_error_hint,
    message_for,
    text,
)

SMS_RECEIPTS = "delivery_receipt"
CHAT_APPS_RECEIPTS = "chatapps_delivery_receipt"
_FAILED_STATES = frozenset({"undelivered", "failed", "rejected", "error", "expired"})
_FAILED_SMPP_STATES = frozenset({"UNDELIV", "EXPIRED", "REJECTD", "UNKNOWN", "DELETED"})


def shape(candidate: Candidate) -> bool:
    body = candidate.body
    if "errorid" in body and "code" in body:
        return True
    return _is_receipt(candidate) and "umid" in (candidate.parent or {})


def read(candidate: Candidate) -> Reading:
    body = candidate.body
    if candidate.origin == "smpp":
        # 8x8's SMPP receipts carry its SMS receipt codes in `err` (its SMPP guide).
        err = text(body.get("err")) or ""
        return Reading(
            code=str(int(err)) if err.isdigit() else err or None,
            channel=SMS_RECEIPTS,
            correlation_id=text(body.get("id")),
            error_hint=(text(body.get("stat")) or "").upper() in _FAILED_SMPP_STATES,
        )
    if _is_receipt(candidate):
        payload = candidate.parent or {}
        state = text(body.get("state"))
        # Chat Apps receipts name the chat channel and the user; SMS receipts do neither.
        chat_apps = "channel" in payload or "user" in payload
        return Reading(
            code=as_code(body.get("errorcode")),
            message=text(body.get("errormessage")),
            channel=CHAT_APPS_RECEIPTS if chat_apps else SMS_RECEIPTS,
            correlation_id=text(payload.get("umid")),
            error_hint=state is not None and state.lower() in _FAILED_STATES,
        )
    return Reading(
        code=code_of(body),
        message=message_for(candidate, ("message", "description", "errormessage", "detail")),
        correlation_id=text(body.get("errorid")),
        error_hint="errorid" in body or generic_error_hint(candidate),
    )


def _is_receipt(candidate: Candidate) -> bool:
    """`payload.status` of a delivery receipt: an error code with the state's `detail`, or in
    the payload of a message of a subaccount (a batch answer's `messages[].status` has neither
    `detail` nor `subAccountId`, and its codes are the API's). Its shape also needs the
    message's `umid`; read as 8x8's (attributed otherwise), the status object is enough."""
    body = candidate.body
    if candidate.parent_key != "status" or "errorcode" not in body:
        return False
    return "detail" in body or "subaccountid" in (candidate.parent or {})
