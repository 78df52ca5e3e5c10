# newsdesk, installed as the README installs it (`pip install ".[postgres]"`), run as a
# non-root user. One image for every role:
#   docker run IMAGE                      -> newsdesk serve (HTTP: /slack/events, /hooks/publish,
#                                            /healthz, /metrics) on port 3000
#   docker run IMAGE newsdesk worker      -> background workers
#   docker run --rm IMAGE newsdesk db upgrade   -> migrate before starting new code
# Configuration comes from environment variables (see .env.example); no .env is baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY news ./news
COPY storage ./storage
# The local Slack stand-in ships too: `newsdesk console` runs on it (no Slack needed).
COPY standin ./standin
RUN pip install ".[postgres]" \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin newsdesk

USER newsdesk
WORKDIR /home/newsdesk

# Listen on every interface inside the container; publish the port with -p 3000:3000.
ENV HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3000')}/healthz\", timeout=4)"]

CMD ["newsdesk", "serve", "--processes", "2", "--threads", "8"]
