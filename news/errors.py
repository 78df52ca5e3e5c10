"""Errors a user can cause, each carrying a one-line reason meant for people."""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class: ``reason`` is a one-line message fit to show in Slack or on a terminal."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class FetchError(NewsdeskError):
    """A link could not be fetched safely (blocked, too large, timed out, …)."""


class BlockedAddress(FetchError):
    """The URL points at a private, loopback, link-local, multicast or reserved address."""


class UnsupportedUrl(FetchError):
    """Not an http(s) URL, or one that cannot be parsed."""


class TooLarge(FetchError):
    """The response body exceeds the configured maximum size."""


class TimedOut(FetchError):
    """The server took too long to connect or to answer."""


class TooManyRedirects(FetchError):
    """The redirect chain was longer than allowed."""


class HttpStatusError(FetchError):
    """The server answered with an error status."""


class ConnectionFailed(FetchError):
    """DNS failure, refused connection, TLS error and the like."""


class NotAnArticle(NewsdeskError):
    """The content is not an article: wrong content type, or no article text in it."""


class InvalidCopy(NewsdeskError):
    """Plain-text copy that cannot be read as a story (empty, binary, …)."""


class UnreadableFile(NewsdeskError):
    """A file handed to newsdesk is missing, not a regular file, or larger than allowed."""
