"""Summaries from an OpenAI-compatible chat completions endpoint, with an extractive fallback."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from news.summaries import Summarizer

logger = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 600
MAX_INPUT_CHARS = 12_000
SYSTEM_PROMPT = (
    "You summarise news stories for a newsroom. Answer with a plain-text summary of two or "
    f"three sentences, at most {MAX_SUMMARY_CHARS} characters, stating only facts from the "
    "story. No preamble, no bullet points, no markdown."
)


class LlmSummarizer:
    """Asks a chat model for a 2–3 sentence summary; uses ``fallback`` on any failure.

    Failures (timeout, connection error, non-200, bad JSON, empty or oversized answer) are
    logged at WARNING with the reason; the API key is never logged.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout: float,
        fallback: Summarizer,
        client: httpx.Client | None = None,
    ) -> None:
        self.endpoint = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.fallback = fallback
        self._api_key = api_key
        self._client = client

    def __repr__(self) -> str:
        return f"LlmSummarizer(endpoint={self.endpoint!r}, model={self.model!r})"

    def summarize(self, text: str, *, headline: str | None = None) -> str:
        if not text.strip():
            return self.fallback.summarize(text, headline=headline)
        try:
            return self._ask(text, headline=headline)
        except _Unusable as problem:
            logger.warning("LLM summary failed (%s); using the extractive summary", problem)
        except httpx.TimeoutException:
            logger.warning(
                "LLM summary failed (no answer within %.1f s); using the extractive summary",
                self.timeout,
            )
        except httpx.HTTPError as error:
            logger.warning(
                "LLM summary failed (%s); using the extractive summary", type(error).__name__
            )
        return self.fallback.summarize(text, headline=headline)

    def _ask(self, text: str, *, headline: str | None) -> str:
        story = text[:MAX_INPUT_CHARS]
        if headline:
            story = f"Headline: {headline}\n\n{story}"
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": story},
            ],
            "temperature": 0.2,
            "max_tokens": 300,
        }
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        if self._client is not None:
            response = self._client.post(
                self.endpoint, json=payload, headers=headers, timeout=self.timeout
            )
        else:
            with httpx.Client(timeout=self.timeout) as client:
                response = client.post(self.endpoint, json=payload, headers=headers)
        if response.status_code != 200:
            raise _Unusable(f"HTTP {response.status_code}")
        return _read_answer(response)


class _Unusable(Exception):
    """The endpoint answered, but not with a usable summary."""


def _read_answer(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError as error:
        raise _Unusable("response is not JSON") from error
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as error:
        raise _Unusable("response has no choices[0].message.content") from error
    if not isinstance(content, str):
        raise _Unusable("message content is not text")
    summary = " ".join(content.split())
    if not summary:
        raise _Unusable("empty answer")
    if len(summary) > MAX_SUMMARY_CHARS:
        raise _Unusable(f"answer of {len(summary)} characters exceeds {MAX_SUMMARY_CHARS}")
    return summary
