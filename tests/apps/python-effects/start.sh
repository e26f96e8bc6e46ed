#!/bin/sh
# Saved with CRLF line endings, as on Windows: the Dockerfile strips them.
exec python /app/app.py
