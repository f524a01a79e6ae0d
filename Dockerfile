# deskbot: `docker build -t deskbot .` then see compose.yaml for PostgreSQL and two replicas.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md manifest.yaml ./
COPY bot ./bot
COPY handlers ./handlers
COPY schedules ./schedules
COPY storage ./storage
RUN python -m venv /opt/deskbot \
 && /opt/deskbot/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/deskbot/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/deskbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DESKBOT_LOG_FORMAT=json \
    DESKBOT_DATABASE_URL=sqlite:////data/deskbot.db
RUN useradd --system --uid 10001 --home-dir /data --create-home deskbot
COPY --from=build /opt/deskbot /opt/deskbot
# The Slack manifest is read from beside the package (bot/slack/manifest.py: parents[2]).
COPY manifest.yaml /opt/deskbot/lib/python3.11/site-packages/manifest.yaml
USER deskbot
WORKDIR /data
EXPOSE 3000
# Liveness only: /readyz is for load balancers (it fails while the database is away).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["deskbot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
