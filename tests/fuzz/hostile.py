"""Hostile values and request shapes: what an attacker, a broken client or a confused user sends."""

from __future__ import annotations

from hypothesis import strategies as st

# Values that broke, or could break, something somewhere: numbers beyond any column, dates
# no calendar has, injection strings for SQL, HTML and the template engine, header
# injection, control characters, and text far longer than any field.
HOSTILE_TEXT = [
    "",
    " ",
    "\t\n ",
    "\x00",
    "a\x00b",
    "\r\nSet-Cookie: fuzz=1",
    "%0d%0aLocation: https://evil.example",
    "9" * 400,
    "-1",
    "0",
    "-2147483649",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "0x1F",
    "1_000",
    "\u0661\u0662\u0663",  # Arabic-Indic digits, which int() accepts
    "\uff11\uff12",  # full-width digits
    "2026-02-30",
    "2026-13-45",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-0001-01-01",
    "2026-11-25T25:61:61",
    "24:60",
    "99:99",
    "' OR '1'='1",
    "1; DROP TABLE patient; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{{ config }}",
    "{% for x in range(10**9) %}{% endfor %}",
    "${7*7}",
    "%(password)s",
    "%s%s%s%n",
    "../../../../etc/passwd",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "\u202egnp.exe",
    "\u200b",
    "\ufeff",
    "\U0001f600" * 50,
    "ø" * 3000,
    "x" * 70_000,
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "__proto__",
]

# Raw bytes that are not UTF-8, spliced into bodies and query strings as they are.
BAD_BYTES = [
    b"\xff",
    b"\xfe\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\x80abc",
    b"%ff",
    b"%c0%af",
    b"%00",
    b"%",
    b"%%",
    b"%zz",
    b"&&&==",
]

# Path segments for URL variables, already in URL form (so %ff reaches the server as sent).
HOSTILE_SEGMENTS = [
    "0",
    "-1",
    "2147483648",
    "9" * 400,
    "1.5",
    "%00",
    "%ff%fe",
    "%c0%af",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e",
    "%3Cscript%3E",
    "%27%20OR%201%3D1--",
    "%7B%7B7*7%7D%7D",
    "%0d%0aSet-Cookie:%20x=1",
    "a" * 3000,
    "%E2%80%AE",
    "nb%00",
    "NB",
    "xx",
]

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]

CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "application/json",
    "text/plain",
    "application/x-www-form-urlencoded; charset=ebcdic",
    "multipart/form-data; boundary=",
    "application/xml",
    "",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats().map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
)
