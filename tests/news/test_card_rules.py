"""Card rules checked on built pages: each general rule against a page made to show it."""

from __future__ import annotations

from datetime import UTC, datetime

from news.extraction import extract_article
from news.metadata import strip_site_name
from tests.news.test_metadata import STORY, URL, json_ld, page

UNDATED_URL = "https://www.example.net/pier-rebuilt"


def test_a_byline_name_ends_where_the_site_name_begins() -> None:
    html = page(
        "<meta property='og:site_name' content='Quayside Today'>",
        top="<p class='byline'>Ana Ruiz Quayside Today Published 2:16 AM Mar 14, 2025</p>",
    )
    assert extract_article(html, url=URL).authors == ["Ana Ruiz"]


def test_a_bracketed_site_name_is_cut_and_any_other_bracketed_part_kept() -> None:
    cut = page(title="North pier to be rebuilt 【Harbour Times】", h1=None)
    assert extract_article(cut, url=URL).headline == "North pier to be rebuilt"
    kept = page(title="North pier to be rebuilt 【part 2】", h1=None)
    assert extract_article(kept, url=URL).headline == "North pier to be rebuilt 【part 2】"


def test_a_teaser_tagged_in_capitals_is_dropped_and_a_cited_source_kept() -> None:
    paragraphs = (
        *STORY[:2],
        "Storm hits the east coast [VIDEO]",
        "Fishing fleet ties up early [Reuters]",
        *STORY[2:],
    )
    body = extract_article(page(paragraphs=paragraphs), url=URL).body
    assert "[VIDEO]" not in body
    assert "Fishing fleet ties up early [Reuters]" in body


def test_the_headline_in_an_h2_is_found_when_the_h1_is_the_sites_banner() -> None:
    # The title's trailing parts name nothing the page knows ("Notes", the author).
    html = page(
        title="North pier to be rebuilt | Notes | Ana Ruiz",
        h1="Hi, I'm Ana.",
    ).replace("<article>", "<article><h2>North pier to be rebuilt</h2>")
    assert extract_article(html, url=URL).headline == "North pier to be rebuilt"


def test_an_h2_equal_to_the_title_beats_a_lone_section_h1() -> None:
    html = page(
        title="Superbugs and how you get them",
        h1="Information and Resources",
    ).replace("<article>", "<article><h2>Superbugs and how you get them</h2>")
    assert extract_article(html, url=URL).headline == "Superbugs and how you get them"


def test_a_one_word_section_heading_is_not_a_title_prefix() -> None:
    html = page(title="Local - North pier to be rebuilt", h1=None).replace(
        "<article>", "<article><h2>Local</h2>"
    )
    assert extract_article(html, url=URL).headline == "Local - North pier to be rebuilt"


def test_names_in_a_comment_thread_are_not_the_byline() -> None:
    comments = (
        "<ul class='comments-list'><li class='comment'><div class='byline'>S Sky</div>"
        "<p>First!</p></li></ul>"
    )
    html = page(top="<div class='author-name'>ANA RUIZ</div>").replace(
        "<article>", f"<aside>{comments}</aside><article>"
    )
    assert extract_article(html, url=URL).authors == ["ANA RUIZ"]


def test_the_byline_naming_the_metadata_author_gives_the_co_authors() -> None:
    data = {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Ana Ruiz"}}
    top = (
        "<div class='byline'>By <a href='/a'>Ana Ruiz</a>, <a href='/t'>Tom Lee</a></div>"
        "<div class='related'><span class='author'>By Eve Stone</span></div>"
    )
    draft = extract_article(page(json_ld(data), top=top), url=URL)
    assert draft.authors == ["Ana Ruiz", "Tom Lee"]


def test_a_pen_name_in_author_markup_is_the_author() -> None:
    html = page(top="<a rel='author' href='/users/howl'>AMournfulHowlInTheNight</a>")
    assert extract_article(html, url=URL).authors == ["AMournfulHowlInTheNight"]
    chrome = page(top="<a rel='author' href='/users/howl'>Profile</a>")
    assert extract_article(chrome, url=URL).authors == []


def test_a_numeric_date_is_read_month_first_on_a_us_english_page() -> None:
    head = "<meta name='publish_date' content='05/08/2014 07:01:00'>"
    us = page(head).replace("lang='en'", "lang='en-US'")
    published = extract_article(us, url=UNDATED_URL).published_at
    assert published is not None
    assert published.date().isoformat() == "2014-05-08"
    british = page(head).replace("lang='en'", "lang='en-GB'")
    published = extract_article(british, url=UNDATED_URL).published_at
    assert published is not None
    assert published.date().isoformat() == "2014-08-05"


def test_a_heading_with_a_permalink_mark_is_confirmed_by_the_title() -> None:
    html = page(
        title="Piers: rebuilding after the storms — Harbour guides",
        h1="Piers: rebuilding after the storms¶",
    )
    assert extract_article(html, url=URL).headline == "Piers: rebuilding after the storms"


def test_a_colon_does_not_split_a_title() -> None:
    # In a headline a colon introduces the subject, even when the subject is the site's
    # own name; only separators such as " | " and " - " set a site name apart.
    assert strip_site_name("Harbour Times: the pier reopens", {"harbourtimes"}) == (
        "Harbour Times: the pier reopens"
    )
    assert strip_site_name("The pier reopens | Harbour Times", {"harbourtimes"}) == (
        "The pier reopens"
    )


def test_a_link_after_by_on_a_line_of_its_own_credits_the_author() -> None:
    meta = "<p class='article__meta'>By <a href='/staff/ana-ruiz/'>Ana Ruiz</a> on Monday</p>"
    assert extract_article(page(top=meta), url=URL).authors == ["Ana Ruiz"]
    heading = "<span>by</span> <h3><a href='/profile/338123'>Sleyca</a></h3>"
    assert extract_article(page(top=heading), url=URL).authors == ["Sleyca"]


def test_a_link_after_by_in_prose_or_a_photo_credit_is_no_byline() -> None:
    prose = (
        "<p>The new deck was designed by <a href='/wiki/Tom_Lee'>Tom Lee</a>, the council's"
        " engineer, who also drew up the plans for the harbour wall in the nineties.</p>"
    )
    photo = "<figure><figcaption>Photo by <a href='/staff/eve'>Eve Stone</a></figcaption></figure>"
    assert extract_article(page(top=prose + photo), url=URL).authors == []


def test_a_wire_storys_reporting_credit_names_its_reporters() -> None:
    credit = "(Reporting by Ana Ruiz in London and Tom Lee in Paris; Editing by Eve Stone)"
    html = page("<meta name='author' content='Reuters'>", paragraphs=(*STORY, f"<em>{credit}</em>"))
    draft = extract_article(html, url=URL)
    assert draft.authors == ["Ana Ruiz", "Tom Lee"]
    assert draft.credit == "Reuters"


def test_an_hcard_in_author_markup_names_the_author_even_in_one_word() -> None:
    card = "<p class='post-author vcard'>Posted by <span class='fn'>Eleonore</span> at 16:00</p>"
    assert extract_article(page(top=card), url=URL).authors == ["Eleonore"]
    comment = (
        "<div class='comments'><p class='comment-author vcard'>"
        "<span class='fn'>Tom Lee</span> says:</p></div>"
    )
    assert extract_article(page(paragraphs=(*STORY, comment)), url=URL).authors == []


def test_a_date_written_only_in_the_text_is_found_when_no_markup_gives_one() -> None:
    # No date markup, no date in the URL: the date is in the words under the headline.
    dated = "<p>Geschrieben am 24. März 2004 von Genesis</p>"
    draft = extract_article(page(top=dated), url="https://www.harbourtimes.co.uk/pier")
    assert draft.published_at is not None
    assert draft.published_at.date().isoformat() == "2004-03-24"


def test_a_publication_time_of_exactly_midnight_is_the_day_as_written() -> None:
    data = {"@type": "NewsArticle", "datePublished": "2018-12-22T00:00:00+0100"}
    draft = extract_article(page(json_ld(data)), url="https://www.harbourtimes.co.uk/pier")
    assert draft.published_at is not None
    assert draft.published_at.date().isoformat() == "2018-12-22"
    timed = {"@type": "NewsArticle", "datePublished": "2018-12-22T00:30:00+0100"}
    draft = extract_article(page(json_ld(timed)), url="https://www.harbourtimes.co.uk/pier")
    assert draft.published_at == datetime(2018, 12, 21, 23, 30, tzinfo=UTC)


def test_the_stated_publication_time_beats_a_distant_date_in_the_url() -> None:
    data = {"@type": "NewsArticle", "datePublished": "2019-06-17T18:28:00+02:00"}
    url = "https://www.harbourtimes.co.uk/home/2017/7/12/pier-rebuilt"
    draft = extract_article(page(json_ld(data)), url=url)
    assert draft.published_at == datetime(2019, 6, 17, 16, 28, tzinfo=UTC)
    # With no other date, the URL's still dates the story.
    assert extract_article(page(), url=url).published_at == datetime(2017, 7, 12, 12, tzinfo=UTC)


def test_an_html_escaped_name_in_json_ld_is_read_unescaped() -> None:
    data = {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Lindsey O&#039;Donnell"}}
    assert extract_article(page(json_ld(data)), url=URL).authors == ["Lindsey O'Donnell"]


def test_a_gender_inclusive_label_before_the_byline_is_cut() -> None:
    top = "<p><span itemprop='author'>Autor/in: Ana Ruiz </span></p>"
    assert extract_article(page(top=top), url=URL).authors == ["Ana Ruiz"]


def test_a_title_before_a_name_is_not_part_of_it() -> None:
    head = "<meta name='author' content='Dr. Ana Ruiz'>"
    assert extract_article(page(head), url=URL).authors == ["Ana Ruiz"]


def test_microdata_authors_of_other_stories_teasers_are_not_the_byline() -> None:
    def item(name: str) -> str:
        return (
            "<div itemscope itemtype='https://schema.org/BlogPosting'>"
            f"<span itemprop='author'>by {name}</span></div>"
        )

    teasers = f"<div class='more'>{item('Tom Lee')}{item('Eve Stone')}</div>"
    html = page(top=item("Ana Ruiz"), paragraphs=(*STORY, teasers))
    assert extract_article(html, url=URL).authors == ["Ana Ruiz"]


def test_a_credit_with_its_web_address_or_an_article_in_capitals_is_an_organisation() -> None:
    head = "<meta name='author' content='Deutsche Welle (www.dw.com)'>"
    draft = extract_article(page(head), url=URL)
    assert (draft.authors, draft.credit) == ([], "Deutsche Welle")
    data = {"@type": "NewsArticle", "creator": ["DER SPIEGEL"]}
    draft = extract_article(page(json_ld(data)), url=URL)
    assert (draft.authors, draft.credit) == ([], "DER SPIEGEL")


def test_a_byline_element_named_in_another_language_is_read() -> None:
    top = "<div class='dig-autoren'>Von Clemens Höges</div>"
    assert extract_article(page(top=top), url=URL).authors == ["Clemens Höges"]
    top = "<p class='auteur'>Par Didier Roy</p>"
    assert extract_article(page(top=top), url=URL).authors == ["Didier Roy"]


def test_a_user_name_in_an_hcard_is_the_author_but_a_role_account_is_not() -> None:
    card = "<span class='author vcard'><a class='url fn n' href='/author/john/'>john</a></span>"
    assert extract_article(page(top=card), url=URL).authors == ["john"]
    card = "<span class='author vcard'><a class='url fn n' href='/author/admin/'>admin</a></span>"
    assert extract_article(page(top=card), url=URL).authors == []


# --- labelled bylines and dates, kickers ----------------------------------------------------


def _day(html: str) -> str | None:
    published = extract_article(html, url=UNDATED_URL).published_at
    return published.date().isoformat() if published else None


def test_a_line_that_labels_its_names_as_the_authors_is_a_byline() -> None:
    lines = (
        "<p><em>Von Ana Ruiz</em></p>",
        "<p><em>Written by: <a href='https://elsewhere.org/ana'>Ana Ruiz</a></em></p>",
        "<ul><li><strong>Author</strong>\nAna Ruiz\n</li></ul>",
        "<div>Autor: <a href='https://elsewhere.org/ana'>Ana Ruiz</a><br><a href='/'>Feed</a></div>",
        "<small><b>05/10/2018</b> - Publicado por: Ana Ruiz - Categoria: <a>Local</a></small>",
    )
    for line in lines:
        assert extract_article(page(top=line), url=URL).authors == ["Ana Ruiz"], line


def test_labelled_lines_that_name_different_people_are_a_list_of_stories() -> None:
    top = "<p><em>By Ana Ruiz</em></p><p>Pier</p><p><em>By Tom Lee</em></p>"
    assert extract_article(page(top=top), url=URL).authors == []


def test_a_label_and_a_word_of_punctuation_are_not_a_name() -> None:
    top = "<p>by 港湾法律事務所 ／ 2016.12.01</p>"
    assert extract_article(page(top=top), url=URL).authors == []


def test_a_date_labelled_as_the_publications_beats_an_unlabelled_time() -> None:
    calendar = "<div><time datetime='2019-12-11'>11.12.2019</time></div>"
    labelled = (
        "<ul><li><strong>Date</strong>\n10.06.2019\n</li></ul>",
        "<div><strong>Source</strong><br>\nPublished on 10.06.2019</div>",
        "<p>Veröffentlicht am 10.06.2019</p>",
    )
    for line in labelled:
        assert _day(page(top=calendar + line)) == "2019-06-10", line


def test_a_kicker_before_the_metadata_title_in_the_heading_is_cut() -> None:
    head = "<meta property='og:title' content='North pier to be rebuilt'>"
    html = page(
        head, title="Harbour: North pier to be rebuilt", h1="Harbour: North pier to be rebuilt"
    )
    assert extract_article(html, url=URL).headline == "North pier to be rebuilt"
    # A colon inside a headline the metadata gives whole is kept.
    whole = page(title="Brexit: MPs vote again | Harbour Times", h1="Brexit: MPs vote again")
    assert extract_article(whole, url=URL).headline == "Brexit: MPs vote again"


def test_one_word_on_a_labelled_line_with_only_a_date_is_a_user_name() -> None:
    lines = (
        "<div class='meta'>posted by harbourfan at 12:53</div>",
        "<div class='submitted'>Gespeichert von <span class='username'>harbourfan</span>"
        " am 24. Juli 2017 - 18:55</div>",
        "<div><small>11.09.2011, 16:20 von harbourfan</small></div>",
    )
    for line in lines:
        assert extract_article(page(top=line), url=URL).authors == ["harbourfan"], line
    # One word followed by more words is prose, and a role account is nobody.
    for line in ("<p>By the way, the pier</p>", "<p>Posted by admin on 3 May 2019</p>"):
        assert extract_article(page(top=line), url=URL).authors == [], line


# --- writers credited in Chinese text -------------------------------------------------------

HAN_URL = "https://www.haigang.cn/news/2025/03/14/pier.html"
HAN_STORY = (
    "市议会周四投票决定重建两年前因风暴关闭的北码头，新码头将比原来高出一米。",
    "工程师表示，新的甲板可以避开冬季的大浪，工程预计春季开工，历时十八个月。",
    "在码头旁停泊的渔民欢迎这一决定，但希望在施工期间设立一个临时码头供渔船使用。",
    "市政府表示，重建费用约为一千二百万元，将由市财政和省级专项资金共同承担。",
)


def _han_authors(
    top: str = "",
    *,
    head: str = "",
    title: str = "北码头将重建_海港日报",
    paragraphs: tuple[str, ...] = HAN_STORY,
) -> list[str]:
    html = (
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{title}</title>{head}</head><body><article><h1>北码头将重建</h1>"
        f"{top}{''.join(f'<p>{text}</p>' for text in paragraphs)}</article></body></html>"
    )
    return extract_article(html, url=HAN_URL).authors


def test_writers_credited_in_chinese_text_are_the_byline() -> None:
    one = (
        "<p>海港日报记者 王海明</p>",
        "<div class='info'>2025-03-14 10:08 来源：海港日报 作者：王海明 编辑：李青</div>",
        "<p>采写：海港日报见习记者 王海明</p>",
    )
    for line in one:
        assert _han_authors(line) == ["王海明"], line
    two = (
        "<p>作者：王海明 李青</p>",
        "<p><strong>执笔/王海明、李青</strong></p>",
        "<p>海港日报记者 王海明 李青 编辑 赵刚 校对 孙丽</p>",
    )
    for line in two:
        assert _han_authors(line) == ["王海明", "李青"], line


def test_a_credit_in_brackets_in_the_story_names_its_writers() -> None:
    opening = "海港日报讯（记者王海明 整合）" + HAN_STORY[0]
    assert _han_authors(paragraphs=(opening, *HAN_STORY[1:])) == ["王海明"]
    closing = HAN_STORY[-1] + "(文/图 王海明 李青)"
    assert _han_authors(paragraphs=(*HAN_STORY[:-1], closing)) == ["王海明", "李青"]
    # The opening credit and a fuller closing one are one byline.
    fuller = "<p>海港日报记者 王海明 李青</p>"
    assert _han_authors(fuller, paragraphs=(opening, *HAN_STORY[1:])) == ["王海明", "李青"]


def test_editors_sources_photographers_and_prose_are_not_writers_in_chinese() -> None:
    lines = (
        "<p>责任编辑：王海明</p>",
        "<p>来源：海港日报</p>",
        "<p>海港日报记者 王海明 摄</p>",  # a photo credit
        "<p>作者：未知</p>",  # unknown
        "<p>作者：网络整理</p>",  # compiled from the web
        "<div>作者最新文章</div>",  # the author's latest articles: chrome
        "<p>记者了解到，码头将于春季开工。</p>",  # the reporter learned: prose
        "<p>本文仅代表作者个人观点。</p>",
    )
    for line in lines:
        assert _han_authors(line) == [], line
    # Credits of different people are other stories' teasers.
    teasers = "<p>海港日报记者 王海明</p><p>南港晚报记者 赵刚</p>"
    assert _han_authors(teasers) == []


def test_han_names_in_metadata_are_people_unless_they_name_an_outlet() -> None:
    def meta(value: str) -> str:
        return f"<meta name='author' content='{value}'>"

    assert _han_authors(head=meta("王海明")) == ["王海明"]
    assert _han_authors(head=meta("王海明 李青")) == ["王海明", "李青"]
    # A newspaper, a web site, a channel, an account: outlets by how their names end.
    for outlet in ("海港日报", "海港新闻网", "海港财经", "扬帆 企鹅号"):
        assert _han_authors(head=meta(outlet)) == [], outlet
    # A name the title gives as the site's is the site ("…_海港财经" names 海港).
    assert _han_authors(head=meta("海港"), title="北码头将重建_海港财经") == []
    # The story's own credit still names its writer when the metadata names the outlet.
    assert _han_authors("<p>海港日报记者 王海明</p>", head=meta("海港日报")) == ["王海明"]


def test_han_text_in_byline_markup_needs_a_writers_label() -> None:
    for element in (
        "<div class='author'>海港日报 发布时间：2025-03-14</div>",  # the outlet and a date
        "<div class='author'>责任编辑：王海明</div>",  # the desk editor
        "<span class='author'>海港日报 关注</span>",  # a follow button
    ):
        assert _han_authors(element) == [], element
    assert _han_authors("<div class='author'>作者：王海明</div>") == ["王海明"]
    # Link chrome after a credit ("back to the home page, see more") names nobody.
    chrome = "<p>作者：王海明 李青 <a href='/'>返回首页，查看更多</a></p>"
    assert not {"返回首页", "查看更多"} & set(_han_authors(chrome))


def test_a_korean_credit_line_gives_the_name_before_the_role() -> None:
    story = "".join(f"<p>{paragraph}</p>" for paragraph in STORY)
    lines = (
        "<p>김해준 기자 haejun@harbour.kr</p>",  # reporter, with the address
        "<div class='byline'>김해준 바다 칼럼니스트</div>",  # a columnist on the sea
        f"<div>{story}<br><br>김해준 기자 haejun@harbour.kr<br></div>",  # after a break
    )
    for line in lines:
        html = page(top=line, paragraphs=())
        assert extract_article(html, url=URL).authors == ["김해준"], line
    # A press conference (기자회견) and Korean prose name nobody.
    for line in ("<div class='byline'>기자회견 일정</div>", "<p>김 기자는 말했다</p>"):
        assert extract_article(page(top=line), url=URL).authors == [], line


def test_a_role_in_french_german_or_spanish_ends_the_name() -> None:
    for line, names in (
        ("<p class='byline'>Par Ana Ruiz et Tom Lee Envoyés spéciaux</p>", ["Ana Ruiz", "Tom Lee"]),
        ("<p class='byline'>Von Ana Ruiz, Korrespondentin</p>", ["Ana Ruiz"]),
        ("<p class='byline'>Por Ana Ruiz Enviada especial</p>", ["Ana Ruiz"]),
    ):
        assert extract_article(page(top=line), url=URL).authors == names, line


def test_a_han_title_part_that_names_an_outlet_is_the_site() -> None:
    for title in (
        "北码头将重建_海港新闻网",
        "北码头将重建-海港新闻网",
        "北码头将重建_海港市政府官方网站",
    ):
        html = page(title=title, h1=None, paragraphs=HAN_STORY)
        assert extract_article(html, url=HAN_URL).headline == "北码头将重建", title
    # A hyphen between Latin letters is part of the headline, and so is a long last part.
    html = page(title="北码头将重建：COVID-19 之后的港口", h1=None, paragraphs=HAN_STORY)
    assert extract_article(html, url=HAN_URL).headline == "北码头将重建：COVID-19 之后的港口"


def test_a_byline_element_named_firma_is_read() -> None:
    top = "<p class='firma'><em>Ana Ruiz</em> | <span>Madrid</span></p>"
    assert extract_article(page(top=top), url=URL).authors == ["Ana Ruiz"]


def test_a_closing_credit_after_a_dash_names_the_author_whatever_script_follows() -> None:
    closing = (
        "<p>-- By Ana Ruiz <a class='follow' href='https://social.example/ana'>Follow @ana</a>"
        "<script>!function(d){var js=d.createElement('script');}(document);</script></p>"
    )
    html = page(top="", paragraphs=(*STORY, closing))
    assert extract_article(html, url=URL).authors == ["Ana Ruiz"]


def test_a_link_to_an_authors_page_is_the_byline_unless_links_name_different_people() -> None:
    one = "<ul><li><a href='/author/ana-ruiz/'>Ana Ruiz</a></li><li><time>1 May</time></li></ul>"
    assert extract_article(page(top=one), url=URL).authors == ["Ana Ruiz"]
    teasers = (
        "<ul><li><a href='/author/ana-ruiz/'>Ana Ruiz</a></li>"
        "<li><a href='/author/tom-lee/'>Tom Lee</a></li></ul>"
    )
    assert extract_article(page(top=teasers), url=URL).authors == []
    # A commenter's link to their profile is no byline.
    comment = "<div class='comments'><a href='/author/tom-lee/'>Tom Lee</a> said</div>"
    assert extract_article(page(top=comment), url=URL).authors == []


def test_a_name_in_twitter_creator_is_the_author_and_a_handle_is_not() -> None:
    named = "<meta name='twitter:creator' content='Ana Ruiz'>"
    assert extract_article(page(named), url=URL).authors == ["Ana Ruiz"]
    handle = "<meta name='twitter:creator' content='@anaruiz'>"
    assert extract_article(page(handle), url=URL).authors == []


def test_a_date_or_a_run_in_part_inside_the_heading_is_cut_to_the_metadata_title() -> None:
    head = "<meta property='og:title' content='North pier to be rebuilt'>"
    for h1 in (
        "<span>Mar 14</span> North pier to be rebuilt",  # a date from markup inside it
        "<span>Big news!</span>North pier to be rebuilt",  # a kicker run into it
        "North pier to be rebuilt<span>Harbour Times</span>",  # the site's name run in
    ):
        html = page(head, h1=h1, title="North pier to be rebuilt | Harbour Times")
        assert extract_article(html, url=URL).headline == "North pier to be rebuilt", h1
    # A shorter metadata title is not a reason to cut the heading's own words.
    for h1 in ("North pier to be rebuilt at last", "North pier to be rebuilt in 2026"):
        html = page(head, h1=h1, title="North pier to be rebuilt | Harbour Times")
        assert extract_article(html, url=URL).headline == h1, h1


def test_a_title_of_a_blogs_name_and_a_titled_heading_gives_the_heading() -> None:
    top = "<h3 class='post-title entry-title'>North pier to be rebuilt</h3>"
    html = page(top=top, h1="Harbour Notes", title="Harbour Notes: North pier to be rebuilt")
    assert extract_article(html, url=URL).headline == "North pier to be rebuilt"
    # A kicker in the title with no heading of the rest stays in the headline.
    html = page(h1="Brexit: MPs vote again", title="Brexit: MPs vote again")
    assert extract_article(html, url=URL).headline == "Brexit: MPs vote again"


def test_a_kicker_marked_up_inside_the_heading_is_not_part_of_the_headline() -> None:
    head = "<meta property='og:title' content='Harbour: North pier to be rebuilt'>"
    for h1 in (
        "<span class='article-heading__kicker'>Harbour</span>: "
        "<span class='article-heading__title'>North pier to be rebuilt</span>",
        "<div class='dachzeile'>Harbour</div> North pier to be rebuilt",
    ):
        html = page(head, h1=h1, title="Harbour: North pier to be rebuilt | Harbour Times")
        assert extract_article(html, url=URL).headline == "North pier to be rebuilt", h1


def test_a_link_to_the_authors_other_articles_is_not_a_name() -> None:
    top = (
        "<div class='author'><a href='/ana'>Ana Ruiz</a>"
        "<a href='/ana/all'>SHOW ALL ARTICLES OF</a>Ana Ruiz</div>"
    )
    assert extract_article(page(top=top), url=URL).authors == ["Ana Ruiz"]


def test_a_time_in_a_comment_an_embedded_post_or_a_teaser_link_is_not_the_storys() -> None:
    own = "<p class='meta'><time datetime='2019-06-10'>10 June 2019</time></p>"
    for elsewhere in (
        "<div class='comments'><p><time pubdate datetime='2019-07-30'>30 July</time></p></div>",
        "<blockquote class='instagram-media'><p><time datetime='2018-03-12T19:30:12+00:00'>"
        "12 March 2018</time></p></blockquote>",
        "<a href='/other-story'><p class='publication'><time pubdate datetime='2019-09-22'>"
        "22 September</time></p></a>",
    ):
        html = page(top=elsewhere + own)
        assert _day(html) == "2019-06-10", elsewhere


def test_a_json_ld_author_given_by_its_id_is_the_graph_node_it_names() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": ["Person", "Organization"], "@id": "https://x.example/#me", "name": "Julia"},
            {"@type": "WebSite", "@id": "https://x.example/#site", "name": "crazy-julia.de"},
            {
                "@type": "Article",
                "headline": "North pier",
                "author": {"@id": "https://x.example/#me"},
            },
        ],
    }
    article = extract_article(page(json_ld(graph)), url="https://crazy-julia.de/pier/")
    assert article.authors == ["Julia"]
    assert article.credit is None  # the person is not also credited as the site


def test_a_one_word_person_that_holds_the_sites_name_is_the_sites_account() -> None:
    data = {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Harbourtimes1"}}
    article = extract_article(page(json_ld(data)), url=URL)
    assert article.authors == []
    assert article.credit == "Harbourtimes1"


def test_a_labelled_byline_after_a_weekday_date_and_time_is_read() -> None:
    top = "<p>Freitag | 14. Juni 2019 | 15:49 VON Ana Ruiz IN <a href='/mode'>Mode</a></p>"
    assert extract_article(page(top=top), url=URL).authors == ["Ana Ruiz"]


def test_a_labelled_line_that_runs_on_into_sentences_is_a_teasers_excerpt() -> None:
    top = "<p><em>Written by: Ana Ruiz</em></p>"
    teaser = (
        "<div>Written by: Tom Lee China has announced a new plan to tackle plastic "
        "waste. On January 19th, the ministry said</div>"
    )
    assert extract_article(page(top=top + teaser), url=URL).authors == ["Ana Ruiz"]
    # the same line short of sentences is a second byline, and the two disagree
    other = "<div>Written by: Tom Lee</div>"
    assert extract_article(page(top=top + other), url=URL).authors == []


def test_a_byline_after_the_writers_picture_is_read() -> None:
    top = (
        "<cite class='source'><a href='/ana/'><img src='/ana.jpg' alt='Ruiz'></a> "
        "By Ana Ruiz<br>Harbour Times<br><a href='/ana/'>Archive</a></cite>"
    )
    assert extract_article(page(top=top), url=URL).authors == ["Ana Ruiz"]


def test_a_publishing_house_in_author_metadata_is_a_credit() -> None:
    head = "<meta name='author' content='Ediciones El País'>"
    top = "<p class='byline'><a rel='author' href='/ana'>Ana Ruiz</a></p>"
    article = extract_article(page(head, top=top), url=URL)
    assert (article.authors, article.credit) == (["Ana Ruiz"], "Ediciones El País")


def test_a_single_guillemet_separates_the_site_name_from_the_headline() -> None:
    html = page(title="North pier to be rebuilt ‹ Harbour Times", h1=None)
    assert extract_article(html, url=URL).headline == "North pier to be rebuilt"


def test_one_instant_shared_by_times_that_show_different_dates_dates_none_of_them() -> None:
    own = "<p><time datetime='2019-06-28T13:49:45Z'>28 juin 2019</time></p>"
    teasers = "".join(
        f"<p><time pubdate datetime='2019-09-24T13:34:33Z'>{day}</time></p>"
        for day in ("5 juillet", "9 juillet", "2 août")
    )
    assert _day(page(top=own + teasers)) == "2019-06-28"
    # one marked time is the story's, as before
    assert _day(page(top=own + teasers[: teasers.index("</p>") + 4])) == "2019-09-24"


def test_dates_in_a_sidebar_widget_are_other_posts() -> None:
    own = "<p class='entry-date'>10/06/2019</p>"
    widget = (
        "<ul><li class='widget widget_recent_entries'><ul><li><a href='/other'>Other</a>"
        "<span class='post-date'>09/09/2019</span></li></ul></li></ul>"
    )
    assert _day(page(top=widget + own)) == "2019-06-10"
    # a page builder's widget classes wrap the story itself, and its date is read
    builder = "<div class='elementor-widget elementor-widget-post-info'>" + own + "</div>"
    assert _day(page(top=builder)) == "2019-06-10"
