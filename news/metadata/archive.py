"""Today's rules applied to the card fields an archive stored with an earlier version."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from news.metadata.byline import format_byline, split_byline
from news.metadata.dates import _url_date, drop_implausible
from news.metadata.headline import strip_site_name
from news.metadata.signals import _host_keys, _key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardFields:
    """The metadata an archived story's card shows, as re-derived from what was stored."""

    headline: str
    byline: str | None
    authors: list[str]
    credit: str | None
    published_at: datetime | None


def rederive_card_fields(
    *,
    headline: str,
    byline: str | None,
    authors: list[str] | None,
    credit: str | None,
    outlet: str | None,
    url: str | None,
    published_at: datetime | None,
    now: datetime,
) -> CardFields:
    """A stored story's headline, byline and date by today's rules, from its stored fields.

    Used for archives written by earlier versions: a site name left on the headline is cut,
    a byline string is split into people and an organisation credit, an implausible date
    is dropped (logged) and a date more than a day and a half away from the one in the
    story's URL is replaced by the URL's.
    """
    keys = {_key(outlet)} if outlet else set[str]()
    keys |= _host_keys(url)
    keys.discard("")
    new_headline = strip_site_name(headline, keys) or headline
    people = list(authors or [])
    new_credit = credit
    if not people and byline:
        people, orgs = split_byline(byline, keys)
        new_credit = credit or (orgs[0] if orgs else None)
    when = drop_implausible(published_at, now=now, what=f"stored date of {url or headline!r}")
    from_url = _url_date(url)
    if when is not None and from_url is not None and abs(when - from_url.at) > timedelta(hours=36):
        logger.info("stored date %s of %s replaced by the URL's date", when.isoformat(), url)
        when = from_url.at
    return CardFields(
        headline=new_headline,
        byline=format_byline(people) or (None if people or new_credit else byline),
        authors=people,
        credit=new_credit,
        published_at=when,
    )
