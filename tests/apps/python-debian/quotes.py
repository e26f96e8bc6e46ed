"""A WSGI app served by waitress-serve (a console script pip puts in
/usr/local/bin): GET / answers with a quote from quotes.txt, read from disk
at request time and escaped by MarkupSafe."""

import random
from pathlib import Path

import markupsafe

QUOTES = Path(__file__).resolve().parent / "quotes.txt"


def app(environ, start_response):
    if environ.get("PATH_INFO", "/") != "/":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    lines = [l for l in QUOTES.read_text().splitlines() if l.strip()]
    body = str(markupsafe.escape(random.choice(lines))).encode() + b"\n"
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]
