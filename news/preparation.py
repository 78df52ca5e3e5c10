"""Turn an extracted or parsed story into what the archive stores: headline, summary, topics."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from news.aliases import AliasTable
from news.articles import ArticleDraft
from news.headlines import derive_headline
from news.sentences import clean_article_text
from news.summaries import Summarizer
from news.topics import tag_topics

MAX_TOPICS = 8


@dataclass(frozen=True)
class PreparedStory:
    """A draft with everything derived: a headline always, a summary, ranked topics."""

    draft: ArticleDraft
    headline: str
    summary: str
    topics: tuple[str, ...]
    content_hash: str
    headline_hash: str
    body_hash: str


def hash_text(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoryPreparer:
    """Derives headline, summary and topics with the configured summarizer and alias table."""

    summarizer: Summarizer
    aliases: AliasTable

    def prepare(self, draft: ArticleDraft) -> PreparedStory:
        body = clean_article_text(draft.body, byline=draft.byline, headline=draft.headline)
        draft = replace(draft, body=body or draft.body.strip())
        headline = (draft.headline or "").strip() or derive_headline(draft.body)
        summary = self.summarizer.summarize(draft.body, headline=headline)
        tagged = tag_topics(
            headline=headline, body=draft.body, aliases=self.aliases, limit=MAX_TOPICS
        )
        topics = tuple(dict.fromkeys(topic.name for topic in tagged))
        headline_hash = hash_text(headline)
        body_hash = hash_text(draft.body)
        return PreparedStory(
            draft=draft,
            headline=headline,
            summary=summary,
            topics=topics,
            content_hash=hashlib.sha256(f"{headline_hash}:{body_hash}".encode()).hexdigest(),
            headline_hash=headline_hash,
            body_hash=body_hash,
        )
