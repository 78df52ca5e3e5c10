"""Writers credited in Chinese and Korean text, where pages seldom mark their authors up.

Chinese: "新京报讯（记者 陆一夫）", "澎湃新闻记者 贺梨萍", "作者：李在山", "(文/图 刘玺东 易赛楠)",
"执笔/叨叨姐、胡一刀&李小飞刀". Each person is credited after a label that says what they did.
The labels for writing the story (记者 reporter, 作者 author, 文 text, 执笔 pen, 采写 reporting
and writing, 撰文, 撰稿, 通讯员 correspondent) make a byline; the others (责任编辑 desk
editor, 编辑 editor, 校对 proofreader, 来源 source, 摄 photographed by) do not, and a name
followed by 摄 is a photo credit.

A credit is a field: a writing label, then names and nothing else until the next label or
the end of the line or bracket. A name is two to four Han characters (a transliterated
name may be longer, its parts joined by "·"). Running text that uses the label as a word
("记者了解到", the reporter learned; "本文仅代表作者个人观点") holds more than names after it
and is not read as a credit. Outside brackets the label and the names are apart (a space,
a colon or a slash): "作者最新文章" (the author's latest articles) is chrome.

Korean: the role follows the name, on a line of its own that may end with an address:
"최윤호 기자 uknow@donga.com", "고규홍 나무 칼럼니스트" (a columnist on trees).
"""

from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_TEXT = re.compile(f"[{_HAN}]")
# Labels for writing the story; "文" alone only before a slash or colon ("文/王文").
_WRITER = (
    r"记者|記者|作者|执笔|執筆|采写|採寫|撰文|撰稿|通讯员|通訊員"
    r"|文\s*[/／]\s*图|文\s*[/／]\s*圖|图\s*[/／]\s*文|圖\s*[/／]\s*文|文(?=\s*[/／:：])"
)
# Labels of other fields, which end a writer's names: editors, proofreaders, sources, dates.
_OTHER = (
    r"责任编辑|責任編輯|责编|責編|编辑|編輯|校对|校對|审核|審核|审校|審校|监制|監製|来源|來源"
    r"|出处|出處|时间|時間|发布|發布|日期|摄影|攝影|摄像|攝像|图片|圖片|翻译|翻譯|实习生|實習生"
    r"|阅读|閱讀|点击|點擊|人气|人氣|字号|字號|浏览|瀏覽"
)
_LABELS = re.compile(rf"(?P<writer>{_WRITER})|(?P<other>{_OTHER})")
_NAME = rf"(?:[{_HAN}]{{1,6}}(?:[·•・][{_HAN}]{{1,8}})+|[{_HAN}]{{2,4}})"
# Names in a list are apart by "、", "&", "/" or a space; a full-width comma ends a clause.
_NAMES = re.compile(rf"{_NAME}(?:(?:\s*[、&＆/／]\s*|\s+){_NAME})*")
_NAME_PART = re.compile(_NAME)
# Words after the names that say they wrote or compiled it ("记者陈智 整合"), or that they
# took the photographs ("记者 贾天勇 摄").
_WRITING_SUFFIX = re.compile(r"\s*(?:整合|综合|綜合|编译|編譯|整理|报道|報導|报导|撰)$")
_PHOTO_SUFFIX = re.compile(r"\s*(?:摄|攝)$")
# Words that stand where a name would and say there is none: unknown, anonymous, the web,
# this site, compiled, a junior editor.
_NOT_NAME_TEXT = """
    未知 佚名 匿名 不详 網絡 网络 网友 網友 本站 本网 本報 本报
    整理 综合 小编 原创 原創 转载 轉載
    """
_NOT_NAMES = tuple(_NOT_NAME_TEXT.split())
# What an outlet's name ends with, and a person's does not: newspaper, web site, agency,
# station, account, channel, news, finance, media, group ("新京报", "证券时报网", "新浪科技",
# "扬眼 企鹅号"). The one-character endings count on names of three characters or more.
_OUTLET_ENDINGS = ("报", "報", "网", "網", "社", "台", "刊", "站", "号", "號")
_OUTLET_WORD_TEXT = """
    频道 頻道 新闻 新聞 财经 財經 科技 传媒 傳媒 媒体 媒體 集团 集團 公司 中心 协会 協會 学会
    學會 研究院 大学 大學 政府 办事处 委员会 委員會 杂志 雜誌 周刊 日报 日報 晚报 晚報 时报 時報
    电视 電視 广播 廣播 之家 官网 官網 客户端 党支部 黨支部
    """
_OUTLET_WORDS = tuple(_OUTLET_WORD_TEXT.split())
_SEPARATORS = " \t:：/／|｜-—"
_BRACKETED = re.compile(r"[（(【\[]([^（）()【】\[\]]{2,60})[）)】\]]")
MAX_CREDIT_LINE = 120


def credited_names(text: str, *, bracketed: bool = False) -> list[str]:
    """The writers a credit line or bracket names, in order; [] when it is not a credit.

    ``bracketed`` text (the inside of "（记者唐霁）") may join the label and the name.
    """
    text = " ".join(text.replace("\u3000", " ").split())
    if not text or len(text) > MAX_CREDIT_LINE or not HAN_TEXT.search(text):
        return []
    labels = list(_LABELS.finditer(text))
    names: list[str] = []
    for index, label in enumerate(labels):
        if label["writer"] is None:
            continue
        end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
        value = text[label.end() : end]
        apart = value[:1] in _SEPARATORS or label.group().endswith(("/", "／"))
        # Text run into the next label qualifies it: "采写：南都记者 余毅菁" names 余毅菁.
        leads_next = end < len(text) and value[-1:] not in _SEPARATORS
        value = value.strip(_SEPARATORS + "，,")
        if not value or leads_next or not (apart or bracketed):
            continue
        if _PHOTO_SUFFIX.search(value):
            continue
        value = _WRITING_SUFFIX.sub("", value)
        if _NAMES.fullmatch(value) is None:
            continue
        found = _NAME_PART.findall(value)
        if any(word in name for name in found for word in _NOT_NAMES):
            continue
        names += [name for name in found if name not in names]
    return names


def bracketed_credits(text: str) -> list[str]:
    """The writers credited in brackets within running text: "新京报讯（记者 陆一夫）11月…"."""
    names: list[str] = []
    for match in _BRACKETED.finditer(text):
        for name in credited_names(match[1], bracketed=True):
            if name not in names:
                names.append(name)
    return names


def is_outlet_name(name: str) -> bool:
    """Whether a Han name is an outlet's or an institution's by how it ends ("新京报")."""
    if any(word in name for word in _OUTLET_WORDS):
        return True
    return len(name) >= 3 and name.endswith(_OUTLET_ENDINGS)


def han_byline(text: str, *, strict: bool) -> tuple[list[str], list[str]]:
    """The people and the outlets a byline text in Han script credits.

    The rules of Latin script (capitalised words, two words make a name) do not apply: a
    labelled credit gives its writers; a metadata field (not ``strict``) may hold the bare
    names ("陆一夫", "余毅菁 向雪妮"), unless one of them is an outlet's name; any other
    text (a label for a date, a desk editor, a follow button) names nobody.
    """
    names = credited_names(text)
    if names:
        return names, []
    bare = " ".join(text.replace("\u3000", " ").split())
    if strict or _LABELS.search(bare) or _NAMES.fullmatch(bare) is None:
        return [], []
    found = _NAME_PART.findall(bare)
    if any(is_outlet_name(name) for name in found):
        return [], [bare]
    if any(word in name for name in found for word in _NOT_NAMES):
        return [], []
    return found, []


_TITLE_PARTS = re.compile(r"\s*[_|｜–—-]\s*")


def title_outlets(title: str | None) -> list[str]:
    """The parts of a page title after its headline, which name the site: "…_网易财经"."""
    if not title or not HAN_TEXT.search(title):
        return []
    return [part for part in _TITLE_PARTS.split(title)[1:] if part]


HANGUL_TEXT = re.compile("[\uac00-\ud7a3]")
_HANGUL_NAME = "[\uac00-\ud7a3]{2,4}"
# Reporter, correspondent, columnist, editorial writer, editorial board member, stringer.
_HANGUL_ROLE = "기자|특파원|칼럼니스트|논설위원|편집위원|통신원|객원기자|선임기자|전문기자"
_HANGUL_CREDIT = re.compile(
    rf"(?P<names>{_HANGUL_NAME}(?:\s*[·,]\s*{_HANGUL_NAME})*)"
    rf"(?:\s+[\uac00-\ud7a3]{{1,8}})?\s*(?:{_HANGUL_ROLE})"
    r"(?:\s+[\w.+-]+@[\w-]+(?:\.[\w-]+)+)?"
)


def hangul_credit(text: str) -> list[str]:
    """The names of a Korean credit line: the name, maybe a word on the beat, the role,
    maybe an address ("최윤호 기자 uknow@donga.com" → ["최윤호"]); [] for any other text."""
    match = _HANGUL_CREDIT.fullmatch(" ".join(text.split()).strip(" =-–—/|"))
    if match is None:
        return []
    return re.split(r"\s*[·,]\s*", match["names"])
