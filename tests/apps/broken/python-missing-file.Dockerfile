# A hand-written migration of ../python/Dockerfile with a classic mistake:
# the final stage copies app.py but not templates/, which the app reads
# when it answers. It builds, runs as non-root and is smaller; only
# running it shows the difference (msb verify: failed: smoke).
FROM python:3.11 AS builder
WORKDIR /app
RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

FROM python:3.11-slim
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home app
WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY app.py /app/app.py
EXPOSE 8000
ENV PATH="/opt/venv/bin:$PATH"
USER 10001:10001
CMD ["python", "app.py"]
