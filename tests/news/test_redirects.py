"""Redirect wrappers are unwrapped when the target is written in the link."""

from __future__ import annotations

import base64

import pytest

from news.redirects import is_redirector, unwrap_redirect

STORY = "https://www.example.com/world/grain-deal.html"


def google_news_id(url: str) -> str:
    raw = b"\x08\x13\x22" + bytes([len(url)]) + url.encode() + b"\xd2\x01\x00"
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("wrapped", "target"),
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://www.example.com/world/grain-deal.html&ct=ga&cd=CAIyGjA&usg=AOvVaw3",
            STORY,
        ),
        (
            "https://www.google.co.uk/url?q=https%3A%2F%2Fwww.example.com%2Fworld%2Fgrain-deal.html&sa=D",
            STORY,
        ),
        ("https://www.google.com/amp/s/www.example.com/world/grain-deal.html", STORY),
        (f"https://news.google.com/rss/articles/{google_news_id(STORY)}?oc=5", STORY),
        (f"https://news.google.com/articles/{google_news_id(STORY)}", STORY),
        (
            "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.example.com%2Fworld%2Fgrain-deal.html&data=05%7C01&reserved=0",
            STORY,
        ),
        (
            "https://urldefense.com/v3/__https://www.example.com/world/grain-deal.html__;!!ABC!x$",
            STORY,
        ),
        (
            "https://urldefense.proofpoint.com/v2/url?u=https-3A__www.example.com_world_grain-2Ddeal.html&d=DwM",
            STORY,
        ),
        (
            "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2Fworld%2Fgrain-deal.html&h=AT0",
            STORY,
        ),
        (
            "https://slack-redir.net/link?url=https%3A%2F%2Fwww.example.com%2Fworld%2Fgrain-deal.html",
            STORY,
        ),
        (
            "https://www.linkedin.com/redir/redirect?url=https%3A%2F%2Fwww.example.com%2Fworld%2Fgrain-deal.html",
            STORY,
        ),
        (
            "https://duckduckgo.com/l/?uddg=https%3A%2F%2Fwww.example.com%2Fworld%2Fgrain-deal.html&rut=1",
            STORY,
        ),
        (
            "https://www.bing.com/ck/a?!&&p=abc&u=a1"
            + base64.urlsafe_b64encode(STORY.encode()).decode().rstrip("=")
            + "&ntb=1",
            STORY,
        ),
        # A Safe Links address around a Google Alerts one: both come off.
        (
            "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.google.com%2Furl%3Frct%3Dj%26url%3Dhttps%253A%252F%252Fwww.example.com%252Fworld%252Fgrain-deal.html&data=x",
            STORY,
        ),
    ],
)
def test_wrapper_with_the_target_in_the_link_is_unwrapped(wrapped: str, target: str) -> None:
    assert unwrap_redirect(wrapped) == target


@pytest.mark.parametrize(
    "url",
    [
        STORY,
        "https://www.google.com/search?q=https://www.example.com/",  # a search, not a redirect
        "https://www.facebook.com/harbourgazette?u=https://www.example.com/",  # a page
        "https://www.youtube.com/watch?v=abc&q=https://www.example.com/",
        "https://www.google.com/url?url=javascript:alert(1)",  # target is not http(s)
        "https://www.google.com/url?q=/relative/path",
        "https://news.google.com/rss/articles/CBMiVkFVX3lxTE1newerKindOfIdentifier?oc=5",
        "https://feedproxy.google.com/~r/harbour/~3/AbC123/grain",
    ],
)
def test_links_that_are_not_unwrappable_stay_as_they_are(url: str) -> None:
    assert unwrap_redirect(url) == url


def test_shorteners_and_feedproxy_are_redirectors_ordinary_sites_are_not() -> None:
    assert is_redirector("https://feedproxy.google.com/~r/harbour/~3/AbC123/grain")
    assert is_redirector("http://feeds.feedburner.com/~r/harbour/~3/x")
    assert is_redirector("https://t.co/abc123")
    assert is_redirector("https://bit.ly/3xyz")
    assert not is_redirector(STORY)
    assert not is_redirector("https://news.google.com/topics/abc")
    assert not is_redirector("not a url")
