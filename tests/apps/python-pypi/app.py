"""A small HTTP server with a dependency from PyPI: GET / answers with
templates/greeting.txt rendered by Jinja2, read from disk at request time."""

import os
import signal
import sys
from importlib.metadata import version
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jinja2
import markupsafe

TEMPLATES = Path(__file__).resolve().parent / "templates"
PORT = int(os.environ.get("PORT", "8000"))
VERSIONS = {name: version(name) for name in ("Jinja2", "MarkupSafe")}
# auto_reload (the default) checks the file on every get_template: a missing
# template is a 500, not a cached success.
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=jinja2.select_autoescape(default_for_string=True, default=True),
    keep_trailing_newline=True,
)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        try:
            template = ENV.get_template("greeting.txt")
        except (OSError, jinja2.TemplateError) as err:
            sys.stderr.write(f"reading the greeting: {err}\n")
            self.send_error(500, "no greeting")
            return
        body = template.render(app=markupsafe.Markup("python-pypi"), version=VERSIONS["Jinja2"])
        body = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    server = ThreadingHTTPServer(("0.0.0.0", PORT), Handler)
    # docker stop sends SIGTERM; as PID 1 the default action would be ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on :{PORT} ({VERSIONS})", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
