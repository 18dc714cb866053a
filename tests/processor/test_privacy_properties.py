"""Property tests: generated phone numbers and addresses, in every position, never get out.

Numbers (E.164 with and without `+`, grouped or not, North American and trunk-prefixed national
forms, URL-encoded) and addresses (ASCII, Unicode local parts and domains in several scripts,
punycode) are put inside messages, after every separator, in URL paths and query values, in
Kafka keys, as codes, as correlation ids, and across the cut of a long message; each is pushed
through every output (tests/processor/test_privacy_outputs.py) and none of its digits or words
may come out. The surrounding text has no digits and shares no word with the item, so anything
found is the item.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from vendor_errors.processor.privacy import (
    DEFAULT_SECRET_PARAMS,
    EMAIL,
    MAX_TEXT_CHARS,
    PHONE,
    SECRET,
    Redactor,
    redact_text,
)

from tests.processor.test_privacy_outputs import OUTPUTS, event_with

REDACTOR = Redactor(key_salt="property-tests")
# PRIVACY_EXAMPLES=5000 for a deeper search than CI's.
SETTINGS = settings(
    max_examples=int(os.environ.get("PRIVACY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# -- phone numbers ------------------------------------------------------------------------------

# Real country calling codes (ITU-T E.164 assignments), one to three digits.
COUNTRY_CODES = (
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44",
    "45", "46", "47", "48", "49", "51", "52", "54", "55", "56", "57", "60", "61", "62", "63",
    "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "94", "95", "98", "212", "234",
    "254", "351", "353", "354", "358", "380", "420", "852", "880", "886", "971", "972", "998",
)  # fmt: skip


@st.composite
def e164(draw: st.DrawFn) -> tuple[str, str]:
    """(country code, national significant number): 8 to 15 digits in all."""
    country = draw(st.sampled_from(COUNTRY_CODES))
    if country == "1":  # North America: area and exchange codes start 2-9
        area = draw(st.from_regex(r"[2-9][0-9]{2}", fullmatch=True))
        exchange = draw(st.from_regex(r"[2-9][0-9]{2}", fullmatch=True))
        line = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
        return country, area + exchange + line
    size = draw(st.integers(max(7, 10 - len(country)), 15 - len(country)))
    first = draw(st.sampled_from("123456789"))
    rest = draw(st.from_regex(rf"[0-9]{{{size - 1}}}", fullmatch=True))
    return country, first + rest


def grouped(draw: st.DrawFn, digits: str, separator: str) -> str:
    """`digits` in groups of 2 to 4, as people and libraries write them."""
    groups, at = [], 0
    while at < len(digits):
        size = draw(st.integers(2, 4))
        if len(digits) - at - size == 1:
            size += 1  # no group of one digit
        groups.append(digits[at : at + size])
        at += size
    return separator.join(groups)


@st.composite
def phone_numbers(draw: st.DrawFn) -> str:
    country, national = draw(e164())
    form = draw(st.sampled_from(("plus", "plus-grouped", "bare", "nanp", "trunk", "encoded")))
    if form == "plus":
        return f"+{country}{national}"
    if form == "plus-grouped":
        separator = draw(st.sampled_from((" ", "-", ".", "\u00a0")))
        return f"+{country}{separator}{grouped(draw, national, separator)}"
    if form == "bare":  # E.164 without the plus, the way many APIs log MSISDNs
        return country + national
    if form == "encoded":
        return quote(f"+{country}{national}", safe="")
    if form == "nanp" or country == "1":
        area, exchange, line = national[:3], national[3:6], national[6:]
        if country != "1":
            area = draw(st.from_regex(r"[2-9][0-9]{2}", fullmatch=True))
            exchange = draw(st.from_regex(r"[2-9][0-9]{2}", fullmatch=True))
            line = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
        return draw(
            st.sampled_from(
                (
                    f"({area}) {exchange}-{line}",
                    f"{area}-{exchange}-{line}",
                    f"{area}.{exchange}.{line}",
                    f"{area} {exchange} {line}",
                    f"1-{area}-{exchange}-{line}",
                    f"{area}{exchange}{line}",
                )
            )
        )
    # Trunk prefix 0 and the national number: 020 7946 0958, 06 12 34 56 78, 030/1234567.
    national = national[:10] if len(national) > 10 else national
    assume(len(national) >= 8)
    separator = draw(st.sampled_from((" ", "-", ".", "/", "")))
    if separator == "/":
        return f"0{national[:2]}/{national[2:]}"
    return "0" + (grouped(draw, national, separator) if separator else national)


def digits_of(item: str) -> str:
    return re.sub(r"\D", "", item.replace("%2B", "+"))


# -- e-mail addresses ---------------------------------------------------------------------------

LETTERS = {
    "ascii": "abcdefghijklmnopqrstuvwxyz",
    "latin": "àáâäåæçèéêëìíîïñòóôöøùúûüýßœ",
    "greek": "αβγδεζηθικλμνξοπρστυφχψω",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщыэюя",
    "cjk": "用户例子广告电邮测试邮件网络",
    "devanagari": "उपयोगकर्ताउदाहरणकॉम",
    "arabic": "مثالبريدمستخدم",
}


@st.composite
def addresses(draw: st.DrawFn) -> tuple[str, list[str]]:
    """An address and the words of it that must not be published."""
    script = draw(st.sampled_from(sorted(LETTERS)))
    letters = LETTERS[script]
    word = st.text(alphabet=letters, min_size=3, max_size=10)
    local = draw(word)
    if draw(st.booleans()):
        local += draw(st.sampled_from((".", "_", "-", "+"))) + draw(word)
    if draw(st.booleans()):
        local += draw(st.from_regex(r"[0-9]{1,4}", fullmatch=True))
    domain_script = draw(st.sampled_from(("ascii", script, "punycode")))
    if domain_script == "punycode":
        label = "xn--" + draw(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=4, max_size=12)
        )
    else:
        label = draw(st.text(alphabet=LETTERS[domain_script], min_size=3, max_size=12))
    tld = draw(st.sampled_from(("com", "de", "co.uk", "рф", "中国", "xn--p1ai", "org")))
    at = draw(st.sampled_from(("@", "@", "@", "%40")))
    return f"{local}{at}{label}.{tld}", [local, label]


# -- surroundings -------------------------------------------------------------------------------

WORDS = ("invalid", "recipient", "delivery", "failed", "for", "the", "message", "status",
         "not", "reachable", "number", "address", "Error", "rejected", "because")  # fmt: skip
text_around = st.lists(st.sampled_from(WORDS), max_size=6).map(" ".join)
SEPARATORS = ("", " ", ":", "/", "=", "tel:", "tel:+", "(", '"', "'", ",", ";", "[", "<",
              "\n", "\t", "_", "MSISDN:", "to=", "phone: ", "mailto:", "\\n", "#")  # fmt: skip
AFTER = ("", " ", ".", ",", ";", ")", '"', "'", "]", ">", "\n", "&x=y", "/status", "?")


def message_with(item: str, draw: st.DrawFn) -> str:
    before, after = draw(text_around), draw(text_around)
    separator, closing = draw(st.sampled_from(SEPARATORS)), draw(st.sampled_from(AFTER))
    if before and separator and separator[0].isalpha():
        before += " "
    return f"{before}{separator}{item}{closing}{' ' + after if after else ''}"


POSITIONS = ("message", "json-in-message", "url-path", "url-query", "url-query-encoded", "key",
             "code", "correlation-id", "cut")  # fmt: skip


@st.composite
def placements(draw: st.DrawFn, item: str) -> dict[str, Any]:
    """The record's fields with `item` in one position."""
    position = draw(st.sampled_from(POSITIONS))
    if position == "message":
        return {"message": message_with(item, draw)}
    if position == "json-in-message":  # a body quoted as JSON text, non-ASCII escaped
        return {"message": "vendor replied " + json.dumps({"error": {"to": item, "code": "x"}})}
    if position == "url-path":
        return {"url": f"https://api.example.com/v1/messages/{item}/status"}
    if position == "url-query":
        name = draw(st.sampled_from(("to", "msisdn", "recipient", "email", "q", "id")))
        return {"url": f"https://api.example.com/v1/send?page=2&{name}={item}&lang=en"}
    if position == "url-query-encoded":
        return {"url": f"https://api.example.com/v1/send?to={quote(item, safe='')}"}
    if position == "key":
        return {"key": item.encode()}
    if position == "code":
        return {"code": item, "known": False}
    if position == "correlation-id":
        return {"correlation_id": item}
    inside = draw(st.integers(1, len(item) - 1))  # the cut falls `inside` characters in
    head = ("lorem ipsum " * 200)[: MAX_TEXT_CHARS - inside - 1] + " "
    return {"message": head + item + " dolor sit amet"}


def published(fields: dict[str, Any]) -> dict[str, str]:
    """What each output publishes; key hashes and placeholders made neutral (their letters may
    happen to spell part of the item: "ail" is in "[email]")."""
    neutral = {PHONE: "⟨1⟩", EMAIL: "⟨2⟩", SECRET: "⟨3⟩"}
    made = {}
    for name, output in OUTPUTS.items():
        text = re.sub(r"blake2b:[0-9a-f]{16}", "⟨4⟩", output(REDACTOR, **fields))
        for placeholder, token in neutral.items():
            text = text.replace(placeholder, token)
        made[name] = text
    return made


# -- the properties -----------------------------------------------------------------------------


def digit_runs(text: str) -> set[str]:
    """Runs of digits, separators between groups removed ("(415) 555-0123" -> "4155550123")."""
    return set(re.findall(r"\d+", re.sub(r"(?<=\d)[ .()/\u00a0-]{1,2}(?=\d)", "", text)))


def without(fields: dict[str, Any], item: str) -> dict[str, Any]:
    """The same record with the item replaced by a word: what the output says anyway."""
    return {
        k: (v.replace(item, "zzz") if isinstance(v, str) else v.replace(item.encode(), b"zzz"))
        if isinstance(v, str | bytes)
        else v
        for k, v in fields.items()
    }


@SETTINGS
@given(st.data())
def test_no_phone_number_survives_in_any_output(data: st.DataObject) -> None:
    number = data.draw(phone_numbers())
    fields = data.draw(placements(number))
    digits = digits_of(number)
    anyway = published(without(fields, number))  # codes, offsets, ids of the event itself
    for output, text in published(fields).items():
        known = digit_runs(anyway[output])
        leaked = [r for r in digit_runs(text) - known if len(r) >= 4 and r in digits]
        assert not leaked, f"{number!r} in {fields} leaked {leaked} through {output}: {text!r}"


@SETTINGS
@given(st.data())
def test_no_address_survives_in_any_output(data: st.DataObject) -> None:
    address, words = data.draw(addresses())
    fields = data.draw(placements(address))
    anyway = published(without(fields, address))
    for output, text in published(fields).items():
        for word in words:
            # More of the word than the output has without the address: a leak.
            leaked = text.count(word) > anyway[output].count(word)
            assert not leaked, f"{address!r} in {fields} leaked through {output}: {text!r}"


def spellings(name: str) -> st.SearchStrategy[str]:
    """`x-api-key` as logs spell it: X-Api-Key, x_api_key, X_API_KEY, xApiKey."""
    words = re.split(r"[-_.]", name)
    return st.sampled_from(
        (
            name,
            name.upper(),
            "-".join(w.capitalize() for w in words),
            "_".join(words),
            words[0] + "".join(w.capitalize() for w in words[1:]),
        )
    )


@st.composite
def secret_parameters(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(DEFAULT_SECRET_PARAMS).flatmap(spellings))
    value = draw(st.from_regex(r"[A-Za-z0-9_~.-]{8,40}", fullmatch=True))
    assume(not re.fullmatch(r"[a-z]+", value))
    return name, value


@SETTINGS
@given(secret_parameters(), st.data())
def test_no_secret_parameter_value_survives(
    parameter: tuple[str, str], data: st.DataObject
) -> None:
    name, value = parameter
    url = data.draw(
        st.sampled_from(
            (
                f"https://api.example.com/v1/send?{name}={value}",
                f"https://api.example.com/v1/send?page=2&{name}={value}&lang=en",
                f"https://api.example.com/v1/send;{name}={value}",
                f"https://app.example.com/cb#{name}={value}&state=1",
            )
        )
    )
    fields = data.draw(
        st.sampled_from(
            ({"url": url}, {"message": f"callback {url} returned 410"}, {"correlation_id": url})
        )
    )
    for output, text in published(fields).items():
        assert value not in text, f"{name}={value} in {fields} leaked through {output}: {text!r}"


PROSE_WORDS = {"code", "key", "sig", "auth", "session", "pass", "credential"}  # not secrets there


@SETTINGS
@given(secret_parameters(), st.data())
def test_no_secret_value_survives_in_prose(parameter: tuple[str, str], data: st.DataObject) -> None:
    name, value = parameter
    assume(re.sub(r"[-_.]", "", name.lower()) not in PROSE_WORDS)
    message = data.draw(
        st.sampled_from(
            (
                f"request failed {name}={value}",
                f"request failed, {name}: {value}",
                f'vendor replied {{"{name}": "{value}", "code": 1002}}',
                f"({name}={value})",
            )
        )
    )
    for output, text in published({"message": message}).items():
        assert value not in text, f"{message!r} leaked through {output}: {text!r}"


@SETTINGS
@given(phone_numbers(), phone_numbers(), st.sampled_from((" ", ", ", " / ", "; ", " or ", "\n")))
def test_numbers_side_by_side_do_not_leak(first: str, second: str, between: str) -> None:
    text = f"recipients {first}{between}{second} rejected"
    clean = redact_text(text)
    for number in (first, second):
        leaked = [r for r in digit_runs(clean) if len(r) >= 4 and r in digits_of(number)]
        assert not leaked, f"{text!r} -> {clean!r}"


@SETTINGS
@given(st.data())
def test_redacted_text_is_the_item_replaced_and_nothing_else(data: st.DataObject) -> None:
    """Outside the item the message is kept as it was: no word lost around it."""
    number = data.draw(phone_numbers())
    before = data.draw(text_around)
    after = data.draw(text_around)
    message = f"{before} {number} {after}".strip()
    assert redact_text(message) == f"{before} {PHONE} {after}".strip()


@SETTINGS
@given(st.data())
def test_redacted_address_is_replaced_whole(data: st.DataObject) -> None:
    address, _ = data.draw(addresses())
    before, after = data.draw(text_around), data.draw(text_around)
    message = f"{before} {address} {after}".strip()
    assert redact_text(message) == f"{before} {EMAIL} {after}".strip()


@SETTINGS
@given(
    st.sampled_from(("1002", "30005", "7302", "1300", "10004", "2018336", "RATE_LIMIT_EXCEEDED",
                     "http_503", "0x80040265", "-2147220891", "E_RECIPIENT")),
    st.sampled_from(WORDS),
)  # fmt: skip
def test_codes_are_never_taken_for_personal_data(code: str, word: str) -> None:
    for text in (code, f"{word} {code}", f"{word}:{code}", f"{word}={code}", f"/{code}/"):
        assert redact_text(text) == text
    assert REDACTOR.code(code, known=False) == code
    event = event_with(code=code, known=False, message=f"{word} {code}")
    assert REDACTOR.event(event) is event


@SETTINGS
@given(
    st.uuids().map(str),
    st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
    st.integers(1_500_000_000_000, 1_999_999_999_999),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.integers(0, 10_000_000),
)
def test_ids_timestamps_and_durations_are_kept(
    uuid: str, trace_id: str, epoch_ms: int, moment: str, duration: int
) -> None:
    for text in (
        f"request {uuid} failed",
        f"trace {trace_id}",
        f"at {epoch_ms} ({epoch_ms // 1000})",
        f"at {moment}Z",
        f"took {duration} ms ({duration}ms)",
    ):
        assert redact_text(text) == text
    event = event_with(correlation_id=uuid, trace_id=trace_id)
    assert REDACTOR.event(event) is event


@pytest.mark.parametrize("size", [1, 100, 2047, 2048, 2049, 10_000, 100_000])
def test_cut_after_redaction_at_every_size(size: int) -> None:
    item = "+14155550123"
    text = ("x " * size)[:size] + item
    clean = redact_text(text)
    assert "4155550" not in clean and "415555" not in clean
    assert len(clean) <= MAX_TEXT_CHARS + 1
