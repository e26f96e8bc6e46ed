"""A small HTTP server on the standard library: GET / answers with the
greeting read at request time from /etc/greeter/greeting.txt, which a
RUN writes outside the app folder."""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Written by a RUN of the Dockerfile (tee), outside the app folder.
GREETING = Path("/etc/greeter/greeting.txt")
PORT = int(os.environ.get("PORT", "8000"))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        try:
            body = ("python: " + GREETING.read_text(encoding="utf-8")).encode("utf-8")
        except OSError as err:
            sys.stderr.write(f"reading the greeting: {err}\n")
            self.send_error(500, "no greeting")
            return
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
    print(f"listening on :{PORT}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
