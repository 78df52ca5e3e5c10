"""Bounds on a page before article extraction: what trafilatura may be given at most.

trafilatura's cost grows faster than linearly with the number of elements (a 3 MB page of
100,000 links took 17.6 s and 417 MB), and it has no budget of its own that works outside the
main thread. So the page is judged before that pass, by rules that cost one walk of the tree:

- markup longer than ``MAX_MARKUP_CHARS`` is refused before it is parsed;
- link lists are removed when the page is larger than a real article page: an element with
  at least ``LINK_LIST_MIN_CHILDREN`` children of which nine in ten are just a link (``<a>``,
  or ``<li>``/``<div>``/``<span>``/``<td>`` holding only a link). That is page furniture
  (navigation, tag clouds, link farms), never story text, and trafilatura drops it anyway;
- a page still holding more than ``MAX_ELEMENTS`` elements is refused.

The largest of the 222 real pages of the extraction and metadata sets has 9,888 elements
and 3,861 links; ``MAX_ELEMENTS`` is twice that, where extraction costs at most ~3.5 s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from news.errors import NotAnArticle

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = [
    "LINK_LIST_MIN_CHILDREN",
    "MAX_ELEMENTS",
    "MAX_MARKUP_CHARS",
    "bound_markup",
    "bound_tree",
]

MAX_MARKUP_CHARS: Final = 10_000_000
MAX_ELEMENTS: Final = 20_000
LINK_LIST_MIN_CHILDREN: Final = 50
_LINK_SHARE: Final = 0.9
_LINK_HOLDERS: Final = frozenset({"li", "div", "span", "td", "p", "dd", "dt"})


def bound_markup(html: str) -> str:
    """``html`` unchanged, or NotAnArticle when it is too long to parse."""
    if isinstance(html, str) and len(html) > MAX_MARKUP_CHARS:
        raise NotAnArticle(
            f"not an article: the page has {len(html):,} characters of markup, "
            f"more than the {MAX_MARKUP_CHARS:,} read"
        )
    return html


def bound_tree(tree: HtmlElement | None) -> HtmlElement | None:
    """``tree`` fit for extraction: link lists removed if it is large; NotAnArticle if huge."""
    if tree is None:
        return None
    if _count_elements(tree) <= MAX_ELEMENTS // 2:
        return tree
    for link_list in _link_lists(tree):
        _remove_keeping_tail(link_list)
    count = _count_elements(tree)
    if count > MAX_ELEMENTS:
        raise NotAnArticle(
            f"not an article: the page has {count:,} elements, more than the {MAX_ELEMENTS:,} read"
        )
    return tree


def _count_elements(tree: HtmlElement) -> int:
    return sum(1 for _ in tree.iter())


def _is_link(element: HtmlElement) -> bool:
    if element.tag == "a":
        return True
    if element.tag not in _LINK_HOLDERS or len(element) != 1 or element[0].tag != "a":
        return False
    return not (element.text or "").strip() and not (element[0].tail or "").strip()


def _link_lists(tree: HtmlElement) -> list[HtmlElement]:
    """The outermost elements that are lists of links."""
    found: list[HtmlElement] = []
    for element in tree.iter():
        children = len(element)
        if children < LINK_LIST_MIN_CHILDREN:
            continue
        links = sum(1 for child in element if _is_link(child))
        if links >= _LINK_SHARE * children and not any(
            ancestor in found for ancestor in element.iterancestors()
        ):
            found.append(element)
    return found


def _remove_keeping_tail(element: HtmlElement) -> None:
    parent = element.getparent()
    if parent is None:
        element.clear()
        return
    tail = element.tail
    previous = element.getprevious()
    parent.remove(element)
    if tail and tail.strip():
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
