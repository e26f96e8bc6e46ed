"""A Cloud Run-style HTTP server on the standard library: it listens on
$PORT and exits 1 at once when PORT is not set, as such apps do (the
platform always sets it). `msb verify` must call a run without PORT
inconclusive, not verified: both containers exit 1 and nothing is
compared."""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":
            self.send_error(404)
            return
        body = ("python-port: " + os.environ.get("GREETING", "hello") + "\n").encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


def main():
    port = os.environ.get("PORT")
    if not port:
        sys.stderr.write("PORT is not set\n")
        sys.exit(1)
    server = ThreadingHTTPServer(("0.0.0.0", int(port)), Handler)
    # docker stop sends SIGTERM; as PID 1 the default action would be ignored.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening on :{port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
