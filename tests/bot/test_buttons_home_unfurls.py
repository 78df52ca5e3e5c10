"""Card buttons, App Home and unfurls: the real app over signed HTTP, on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.local import LocalDeployment
from bot.settings import Settings
from handlers.block_kit import VIEW_BLOCK_LIMIT
from handlers.buttons import MORE_LIKE_ACTION, PUBLISH_ACTION, SUBSCRIBE_ACTION
from handlers.home import REFRESH_HOME_ACTION, SUBMIT_STORY_ACTION
from handlers.submit import SUBMIT_VIEW
from handlers.unfurls import UNFURL_LINK
from standin.slack import SlackStandin
from storage.articles import NewShare, find_article_by_url
from storage.feeds import add_feed, record_poll_failure, record_poll_success
from storage.models import Article, Delivery, Job, Share, Subscription
from storage.services import Services
from storage.subscriptions import subscribe
from tests.articles import add_article
from tests.pageserver import PageServer

# The stand-in numbers ids in order: the first user group made is S000000001.
EDITORS_GROUP = "S000000001"


@pytest.fixture
def local(database_url: str, pages: PageServer) -> Iterator[LocalDeployment]:
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        fetch_allowed_hosts=["127.0.0.1"],
        fetch_total_timeout=3,
        worker_threads=2,
        editor_usergroup=EDITORS_GROUP,
        unfurl_domains=["127.0.0.1"],
    )
    with LocalDeployment(settings) as deployment:
        yield deployment


class Newsroom:
    """An editor and a reporter in #world, with the bot."""

    def __init__(self, local: LocalDeployment, pages: PageServer) -> None:
        self.local = local
        self.pages = pages
        self.slack: SlackStandin = local.slack
        self.editor = self.slack.add_user("ed")
        self.reporter = self.slack.add_user("rita")
        assert self.slack.add_usergroup("editors", [self.editor]) == EDITORS_GROUP
        self.world = self.slack.add_channel(
            "world", members=[self.editor, self.reporter, self.slack.bot_user_id]
        )
        assert local.services is not None
        self.services: Services = local.services

    def add_page(self, path: str, headline: str, extra: str = "Farmers protested.") -> str:
        return add_article(self.pages, path, headline, extra)

    def share(self, user: str, channel: str, url: str) -> tuple[str, dict[str, Any]]:
        """``user`` shares ``url``; the ts of their message and the bot's card in the thread."""
        sent = self.slack.post_message(user, channel, url)
        assert sent.status == 200
        assert self.local.wait_until_idle()
        [card] = [m for m in self.slack.replies(channel, sent.ts) if m["ts"] != sent.ts]
        return sent.ts, card

    def article(self, url: str) -> Article:
        with self.services.session_factory() as session:
            article = find_article_by_url(url, session=session)
            assert article is not None
            session.expunge(article)
            return article

    def deliveries(self, article_id: int) -> list[str]:
        with self.services.session_factory() as session:
            statement = select(Delivery.channel_id).where(Delivery.article_id == article_id)
            return sorted(session.scalars(statement))

    def subscriptions(self) -> list[tuple[str, str, str]]:
        with self.services.session_factory() as session:
            rows = session.scalars(select(Subscription).order_by(Subscription.id))
            return [(row.channel_id, row.kind, row.value) for row in rows]

    def ephemeral_texts(self, user: str) -> list[str]:
        return [m.get("text") or "" for m in self.slack.ephemeral(user)]


@pytest.fixture
def newsroom(local: LocalDeployment, pages: PageServer) -> Newsroom:
    return Newsroom(local, pages)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for block in message.get("blocks") or []:
        if block.get("type") == "actions":
            for element in block["elements"]:
                found[element["action_id"]] = element
    return found


def test_card_buttons_publish_for_editors_only(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    desk = slack.add_channel("ukraine-desk", members=[newsroom.editor, slack.bot_user_id])
    url = newsroom.add_page("/grain", "Grain crossing to reopen")
    _, card = newsroom.share(newsroom.reporter, newsroom.world, url)
    article = newsroom.article(url)
    assert article.status == "draft"
    assert article.is_public
    assert article.topics
    with newsroom.services.session_factory.begin() as session:
        subscribe(
            desk,
            "topic",
            article.topics[0],
            created_by=None,
            aliases=newsroom.services.aliases,
            session=session,
        )

    found = buttons(card)
    assert found[PUBLISH_ACTION]["value"] == str(article.id)
    assert found[SUBSCRIBE_ACTION]["value"] == article.topics[0]
    assert article.topics[0] in found[SUBSCRIBE_ACTION]["text"]["text"]
    assert found[MORE_LIKE_ACTION]["value"] == str(article.id)

    refused = slack.click(newsroom.reporter, card, PUBLISH_ACTION)
    assert refused.status == 200
    [refusal] = slack.ephemeral(newsroom.reporter)
    assert refusal["text"].startswith("Only editors can publish stories")
    assert "\n" not in refusal["text"]
    assert newsroom.article(url).status == "draft"
    assert newsroom.deliveries(article.id) == []

    assert slack.click(newsroom.editor, card, PUBLISH_ACTION).status == 200
    [confirmation] = slack.ephemeral(newsroom.editor)
    assert confirmation["text"] == "Published — alerts queued for 1 channel."
    assert newsroom.article(url).status == "published"
    assert newsroom.deliveries(article.id) == [desk]

    slack.click(newsroom.editor, card, PUBLISH_ACTION)
    assert newsroom.ephemeral_texts(newsroom.editor)[-1].startswith("Already published")
    assert newsroom.deliveries(article.id) == [desk]


def test_published_story_card_has_no_publish_button(newsroom: Newsroom) -> None:
    url = newsroom.add_page("/grain", "Grain crossing to reopen")
    _, card = newsroom.share(newsroom.reporter, newsroom.world, url)
    newsroom.slack.click(newsroom.editor, card, PUBLISH_ACTION)
    _, again = newsroom.share(newsroom.editor, newsroom.world, url)
    assert PUBLISH_ACTION not in buttons(again)
    assert MORE_LIKE_ACTION in buttons(again)


def test_crafted_button_payloads_are_refused(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    secret = slack.add_channel(
        "secret", is_private=True, members=[newsroom.editor, slack.bot_user_id]
    )
    private_url = newsroom.add_page("/leak", "Leaked grain memo", extra="Secret memo text.")
    newsroom.share(newsroom.editor, secret, private_url)
    private = newsroom.article(private_url)
    assert not private.is_public
    url = newsroom.add_page("/grain", "Grain crossing to reopen")
    _, card = newsroom.share(newsroom.reporter, newsroom.world, url)

    attempts = [
        (PUBLISH_ACTION, str(private.id)),
        (PUBLISH_ACTION, "1 OR 1=1"),
        (PUBLISH_ACTION, "-3"),
        (PUBLISH_ACTION, "99999999999"),
        (PUBLISH_ACTION, "2147483000"),
        (MORE_LIKE_ACTION, str(private.id)),
        (MORE_LIKE_ACTION, "abc"),
        (SUBSCRIBE_ACTION, "x" * 500),
    ]
    for action_id, value in attempts:
        assert slack.click(newsroom.editor, card, action_id, value=value).status == 200
    texts = newsroom.ephemeral_texts(newsroom.editor)
    assert len(texts) == len(attempts)
    assert texts[0] == "That story is not available in this conversation."
    assert texts[1] == texts[2] == texts[3] == texts[6]
    assert texts[1].startswith("That button is not valid")
    assert texts[4] == texts[5] == texts[0]
    assert texts[7].startswith("Not subscribed: that topic name is too long")
    for text in texts:
        assert "\n" not in text
        assert "Leaked" not in text
    assert newsroom.article(private_url).status == "draft"
    assert newsroom.deliveries(private.id) == []
    assert newsroom.subscriptions() == []

    # A non-editor with a crafted value is refused as a non-editor, before anything is read.
    slack.click(newsroom.reporter, card, PUBLISH_ACTION, value=str(private.id))
    [refusal] = newsroom.ephemeral_texts(newsroom.reporter)
    assert refusal.startswith("Only editors can publish stories")


def test_subscribe_button_follows_the_topic_in_the_clicked_channel(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    url = newsroom.add_page("/grain", "Grain crossing to reopen")
    _, card = newsroom.share(newsroom.reporter, newsroom.world, url)
    topic = buttons(card)[SUBSCRIBE_ACTION]["value"]

    slack.click(newsroom.reporter, card, SUBSCRIBE_ACTION)
    assert newsroom.ephemeral_texts(newsroom.reporter)[0].startswith(
        "Only editors can subscribe channels"
    )
    assert newsroom.subscriptions() == []

    slack.click(newsroom.editor, card, SUBSCRIBE_ACTION)
    assert newsroom.subscriptions() == [(newsroom.world, "topic", topic)]
    assert newsroom.ephemeral_texts(newsroom.editor)[0] == (
        f"<#{newsroom.world}> now follows *{topic}*: published stories on it get an alert here."
    )
    # Another topic in the value still lands in the channel Slack says was clicked in.
    slack.click(newsroom.editor, card, SUBSCRIBE_ACTION, value="Climate")
    slack.click(newsroom.editor, card, SUBSCRIBE_ACTION)
    assert newsroom.subscriptions() == [
        (newsroom.world, "topic", topic),
        (newsroom.world, "topic", "Climate"),
    ]
    assert newsroom.ephemeral_texts(newsroom.editor)[-1] == (
        f"<#{newsroom.world}> already follows *{topic}*."
    )


def test_more_like_this_lists_other_visible_stories_on_its_topics(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    secret = slack.add_channel(
        "secret", is_private=True, members=[newsroom.editor, slack.bot_user_id]
    )
    first = newsroom.add_page("/grain", "Grain crossing to reopen")
    second = newsroom.add_page("/talks", "Warsaw talks on grain inspections", extra="Talks.")
    hidden = newsroom.add_page("/memo", "Private memo on Kyiv grain", extra="Memo.")
    newsroom.share(newsroom.editor, secret, hidden)
    newsroom.share(newsroom.reporter, newsroom.world, second)
    _, card = newsroom.share(newsroom.reporter, newsroom.world, first)

    assert slack.click(newsroom.reporter, card, MORE_LIKE_ACTION).status == 200
    [answer] = slack.ephemeral(newsroom.reporter)
    shown = json.dumps(answer["blocks"])
    assert "Warsaw talks on grain inspections" in shown
    assert "Grain crossing to reopen" not in shown
    assert "Private memo" not in shown

    # In the private channel, its own story is among the related ones.
    _, secret_card = newsroom.share(newsroom.editor, secret, first)
    slack.click(newsroom.editor, secret_card, MORE_LIKE_ACTION)
    [in_secret] = slack.ephemeral(newsroom.editor)
    assert "Private memo on Kyiv grain" in json.dumps(in_secret["blocks"])


def home_text(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"])


def test_app_home_shows_stories_subscriptions_and_feeds(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    services = newsroom.services
    secret = slack.add_channel(
        "secret", is_private=True, members=[newsroom.editor, slack.bot_user_id]
    )
    newsroom.share(newsroom.reporter, newsroom.world, newsroom.add_page("/grain", "Grain deal"))
    newsroom.share(newsroom.editor, secret, newsroom.add_page("/memo", "Private memo", "Memo."))
    with services.session_factory.begin() as session:
        subscribe(
            newsroom.world,
            "topic",
            "Ukraine",
            created_by=None,
            aliases=services.aliases,
            session=session,
        )
        subscribe(
            newsroom.world,
            "desk",
            "Politics",
            created_by=None,
            aliases=services.aliases,
            session=session,
        )
        # What a private channel follows is not shown to everyone on Home.
        subscribe(
            secret,
            "topic",
            "Acme takeover",
            created_by=None,
            aliases=services.aliases,
            session=session,
        )
        good, _ = add_feed("https://feeds.example.org/world.xml", added_by=None, session=session)
        bad, _ = add_feed("https://feeds.example.org/broken.xml", added_by=None, session=session)
        session.flush()
        record_poll_success(
            good.id, etag=None, last_modified=None, title="World <wire>", session=session
        )
        record_poll_failure(bad.id, "HTTP 503 from feeds.example.org", session=session)

    assert slack.open_home(newsroom.reporter).status == 200
    assert newsroom.local.wait_until_idle()
    view = slack.home_view(newsroom.reporter)
    assert view is not None
    assert view["type"] == "home"
    text = home_text(view)
    assert "Grain deal" in text
    assert "Private memo" not in text
    assert f"<#{newsroom.world}>" in text
    assert "*Ukraine*" in text
    assert "desk: *Politics*" in text
    assert "Acme takeover" not in text
    assert secret not in text
    assert "World &lt;wire&gt;" in text
    assert "HTTP 503 from feeds.example.org" in text
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    ids = {e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert ids == {SUBMIT_STORY_ACTION, REFRESH_HOME_ACTION}

    # Refresh publishes the view again with what changed since.
    newsroom.share(newsroom.reporter, newsroom.world, newsroom.add_page("/new", "Fresh story"))
    assert slack.click(newsroom.reporter, view, REFRESH_HOME_ACTION).status == 200
    assert newsroom.local.wait_until_idle()
    refreshed = slack.home_view(newsroom.reporter)
    assert refreshed is not None
    assert "Fresh story" in home_text(refreshed)

    assert slack.click(newsroom.reporter, refreshed, SUBMIT_STORY_ACTION).status == 200
    [modal] = slack.modals(newsroom.reporter)
    assert modal["callback_id"] == SUBMIT_VIEW
    submitted = newsroom.add_page("/submitted", "Submitted from Home", extra="Submitted.")
    assert slack.submit_view(newsroom.reporter, modal["id"], {"url": submitted}).status == 200
    assert newsroom.local.wait_until_idle()
    assert newsroom.article(submitted).is_public
    dm = slack.open_dm(newsroom.reporter)
    assert "Submitted from Home" in json.dumps(slack.messages(dm))


def test_app_home_stays_within_the_block_limit(newsroom: Newsroom) -> None:
    services = newsroom.services
    for number in range(15):
        copy = f"Headline: Story number {number}\n\nParagraph {number} about harbour works."
        services.ingest.ingest_copy(copy, NewShare(source="cli"))
    channels = [newsroom.slack.add_channel(f"desk-{number}") for number in range(80)]
    with services.session_factory.begin() as session:
        for number, channel in enumerate(channels):
            subscribe(
                channel,
                "topic",
                f"Topic {number}",
                created_by=None,
                aliases=services.aliases,
                session=session,
            )
            add_feed(f"https://feeds.example.org/{number}.xml", added_by=None, session=session)
    newsroom.slack.open_home(newsroom.editor)
    assert newsroom.local.wait_until_idle()
    view = newsroom.slack.home_view(newsroom.editor)
    assert view is not None
    assert len(view["blocks"]) <= VIEW_BLOCK_LIMIT
    text = home_text(view)
    assert "Story number 14" in text
    assert 'Story number 0"' not in text
    assert "more channels" in text
    assert "more feeds" in text


def unfurl_jobs(newsroom: Newsroom) -> int:
    with newsroom.services.session_factory() as session:
        statement = select(func.count()).select_from(Job).where(Job.kind == UNFURL_LINK)
        return int(session.scalar(statement) or 0)


def test_own_link_is_unfurled_with_the_card_once(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    url = newsroom.add_page("/grain", "Grain crossing to reopen")
    sent = slack.post_message(newsroom.reporter, newsroom.world, f"read {url}")
    shared = [d.payload for d in sent.deliveries if d.payload["event"]["type"] == "link_shared"]
    assert len(shared) == 1
    retried = slack.send_event(shared[0]["event"], event_id=shared[0]["event_id"], retry_num=1)
    assert retried.status == 200
    assert newsroom.local.wait_until_idle()
    unfurls = slack.unfurls(newsroom.world, sent.ts)
    assert list(unfurls) == [url]
    assert "Grain crossing to reopen" in json.dumps(unfurls[url]["blocks"])
    assert unfurl_jobs(newsroom) == 1
    # The message event archives the same link: one story, shared once by this message.
    with newsroom.services.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 1
        shares = select(func.count()).select_from(Share).where(Share.message_ts == sent.ts)
        assert session.scalar(shares) == 1


def test_link_in_public_channel_without_the_bot_is_archived_as_public(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    lobby = slack.add_channel("lobby", members=[newsroom.reporter], bot_is_member=False)
    secret = slack.add_channel(
        "secret", is_private=True, members=[newsroom.editor, slack.bot_user_id]
    )
    public_url = newsroom.add_page("/grain", "Grain crossing to reopen")
    private_url = newsroom.add_page("/memo", "Private memo", extra="Memo.")
    in_lobby = slack.post_message(newsroom.reporter, lobby, public_url)
    in_secret = slack.post_message(newsroom.editor, secret, private_url)
    assert newsroom.local.wait_until_idle()
    assert public_url in slack.unfurls(lobby, in_lobby.ts)
    assert private_url in slack.unfurls(secret, in_secret.ts)
    assert newsroom.article(public_url).is_public
    assert not newsroom.article(private_url).is_public


def test_links_outside_the_own_domains_get_no_unfurl(newsroom: Newsroom) -> None:
    slack = newsroom.slack
    sent = slack.post_message(newsroom.reporter, newsroom.world, "see https://elsewhere.example/x")
    assert all(d.payload["event"]["type"] != "link_shared" for d in sent.deliveries)
    # Slack only sends the manifest's domains; a crafted event for another one is ignored too.
    event = {
        "type": "link_shared",
        "channel": newsroom.world,
        "user": newsroom.reporter,
        "message_ts": sent.ts,
        "source": "conversations_history",
        "links": [{"domain": "elsewhere.example", "url": "https://elsewhere.example/x"}],
        "event_ts": sent.ts,
    }
    assert slack.send_event(event).status == 200
    assert newsroom.local.wait_until_idle()
    assert slack.unfurls(newsroom.world, sent.ts) == {}
    assert unfurl_jobs(newsroom) == 0


def test_unfurl_of_a_page_that_is_not_an_article_fails_once_with_the_reason(
    newsroom: Newsroom,
) -> None:
    url = newsroom.pages.url("/empty")
    newsroom.pages.add("/empty", b"<html><body></body></html>", content_type="text/html")
    sent = newsroom.slack.post_message(newsroom.reporter, newsroom.world, url)
    assert newsroom.local.wait_until_idle()
    assert newsroom.slack.unfurls(newsroom.world, sent.ts) == {}
    with newsroom.services.session_factory() as session:
        [job] = session.scalars(select(Job).where(Job.kind == UNFURL_LINK))
        assert job.state == "failed"
        assert job.attempts == 1
        assert job.last_error is not None
        assert "not an article" in job.last_error
