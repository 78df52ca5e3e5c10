"""Block Kit checks with Slack's limits, reported the way Slack reports them.

Each problem is a string like
``must be less than 151 characters [json-pointer:/blocks/0/text/text]``, so the stand-in
can answer ``invalid_blocks`` with the same ``errors`` list Slack sends.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MESSAGE_TEXT_LIMIT = 40_000

BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)
INTERACTIVE_ELEMENTS = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "timepicker",
        "email_text_input",
        "number_input",
        "url_text_input",
        "plain_text_input",
        "rich_text_input",
        "file_input",
        "overflow",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "workflow_button",
    }
)
ACCESSORY_ELEMENTS = INTERACTIVE_ELEMENTS | {"image"}
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
ID_LIMIT = 255


class BlockProblems:
    """Collects problems with their JSON pointers."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def check_length(self, value: Any, limit: int, pointer: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(f"must be less than {limit + 1} characters", pointer)


def check_text_object(
    problems: BlockProblems,
    text: Any,
    pointer: str,
    *,
    limit: int,
    plain_only: bool = False,
) -> None:
    if not isinstance(text, dict):
        problems.add("must provide an object", pointer)
        return
    kind = text.get("type")
    allowed = {"plain_text"} if plain_only else TEXT_TYPES
    if kind not in allowed:
        expected = " or ".join(sorted(allowed))
        problems.add(f"must be {expected}", f"{pointer}/type")
    value = text.get("text")
    if not isinstance(value, str) or not value:
        problems.add("must be more than 0 characters", f"{pointer}/text")
        return
    problems.check_length(value, limit, f"{pointer}/text")


def check_element(
    problems: BlockProblems, element: Any, pointer: str, allowed: frozenset[str]
) -> None:
    if not isinstance(element, dict):
        problems.add("must provide an object", pointer)
        return
    kind = element.get("type")
    if kind not in allowed:
        problems.add(f"unsupported type: {kind}", f"{pointer}/type")
        return
    problems.check_length(element.get("action_id"), ID_LIMIT, f"{pointer}/action_id")
    if kind == "button":
        check_text_object(
            problems, element.get("text"), f"{pointer}/text", limit=75, plain_only=True
        )
        problems.check_length(element.get("value"), 2000, f"{pointer}/value")
        problems.check_length(element.get("url"), 3000, f"{pointer}/url")
    elif kind == "image":
        if not element.get("image_url") and not element.get("slack_file"):
            problems.add("must provide image_url or slack_file", f"{pointer}/image_url")
        if not isinstance(element.get("alt_text"), str):
            problems.add("must provide a string", f"{pointer}/alt_text")
    elif kind in {
        "static_select",
        "multi_static_select",
        "overflow",
        "radio_buttons",
        "checkboxes",
    }:
        options = element.get("options")
        groups = element.get("option_groups")
        if not isinstance(options, list) and not isinstance(groups, list):
            problems.add("must provide options", f"{pointer}/options")
        elif isinstance(options, list):
            limit = 5 if kind == "overflow" else 100
            if len(options) > limit:
                problems.add(f"must provide no more than {limit} items", f"{pointer}/options")
            for index, option in enumerate(options):
                check_option(problems, option, f"{pointer}/options/{index}")


def check_option(problems: BlockProblems, option: Any, pointer: str) -> None:
    if not isinstance(option, dict):
        problems.add("must provide an object", pointer)
        return
    check_text_object(problems, option.get("text"), f"{pointer}/text", limit=75)
    value = option.get("value")
    if not isinstance(value, str):
        problems.add("must provide a string", f"{pointer}/value")
    else:
        problems.check_length(value, 150, f"{pointer}/value")


def check_block(problems: BlockProblems, block: Any, pointer: str) -> None:
    if not isinstance(block, dict):
        problems.add("must provide an object", pointer)
        return
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        problems.add(f"unsupported type: {kind}", f"{pointer}/type")
        return
    problems.check_length(block.get("block_id"), ID_LIMIT, f"{pointer}/block_id")
    if kind == "header":
        check_text_object(
            problems, block.get("text"), f"{pointer}/text", limit=150, plain_only=True
        )
    elif kind == "section":
        check_section(problems, block, pointer)
    elif kind == "actions":
        check_elements(problems, block, pointer, limit=25, allowed=INTERACTIVE_ELEMENTS)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.add("must provide at least 1 item", f"{pointer}/elements")
            return
        if len(elements) > 10:
            problems.add("must provide no more than 10 items", f"{pointer}/elements")
        for index, element in enumerate(elements):
            where = f"{pointer}/elements/{index}"
            if isinstance(element, dict) and element.get("type") in TEXT_TYPES:
                check_text_object(problems, element, where, limit=3000)
            else:
                check_element(problems, element, where, frozenset({"image"}))
    elif kind == "image":
        check_element(problems, {**block, "type": "image"}, pointer, frozenset({"image"}))
        if "title" in block:
            check_text_object(
                problems, block["title"], f"{pointer}/title", limit=2000, plain_only=True
            )
    elif kind == "input":
        check_text_object(
            problems, block.get("label"), f"{pointer}/label", limit=2000, plain_only=True
        )
        check_element(problems, block.get("element"), f"{pointer}/element", INTERACTIVE_ELEMENTS)
        if "hint" in block:
            check_text_object(
                problems, block["hint"], f"{pointer}/hint", limit=2000, plain_only=True
            )
    elif kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            problems.add("must be more than 0 characters", f"{pointer}/text")
        else:
            problems.check_length(text, 12_000, f"{pointer}/text")
    elif kind == "rich_text" and not isinstance(block.get("elements"), list):
        problems.add("must provide an array", f"{pointer}/elements")


def check_section(problems: BlockProblems, block: dict[str, Any], pointer: str) -> None:
    text = block.get("text")
    fields = block.get("fields")
    if text is None and not fields:
        problems.add("must provide either text or fields", pointer)
    if text is not None:
        check_text_object(problems, text, f"{pointer}/text", limit=3000)
    if fields is not None:
        if not isinstance(fields, list):
            problems.add("must provide an array", f"{pointer}/fields")
        else:
            if len(fields) > 10:
                problems.add("must provide no more than 10 items", f"{pointer}/fields")
            for index, field in enumerate(fields):
                check_text_object(problems, field, f"{pointer}/fields/{index}", limit=2000)
    if "accessory" in block:
        check_element(problems, block["accessory"], f"{pointer}/accessory", ACCESSORY_ELEMENTS)


def check_elements(
    problems: BlockProblems,
    block: dict[str, Any],
    pointer: str,
    *,
    limit: int,
    allowed: frozenset[str],
) -> None:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.add("must provide at least 1 item", f"{pointer}/elements")
        return
    if len(elements) > limit:
        problems.add(f"must provide no more than {limit} items", f"{pointer}/elements")
    seen: set[str] = set()
    for index, element in enumerate(elements):
        check_element(problems, element, f"{pointer}/elements/{index}", allowed)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in seen:
                problems.add(
                    f"duplicate action_id: {action_id}", f"{pointer}/elements/{index}/action_id"
                )
            seen.add(action_id)


def find_block_problems(blocks: Any, *, limit: int, root: str = "/blocks") -> list[str]:
    """Every problem Slack would report for ``blocks`` (empty when they are valid)."""
    problems = BlockProblems()
    if not isinstance(blocks, list):
        problems.add("must provide an array", root)
        return problems.errors
    if len(blocks) > limit:
        problems.add(f"must provide no more than {limit} items", root)
    block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        check_block(problems, block, f"{root}/{index}")
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in block_ids:
                problems.add(f"duplicate block_id: {block_id}", f"{root}/{index}/block_id")
            block_ids.add(block_id)
    return problems.errors


def find_view_problems(view: Any, *, kinds: frozenset[str]) -> list[str]:
    """Problems with a modal or Home tab view (type, title, buttons, blocks)."""
    problems = BlockProblems()
    if not isinstance(view, dict):
        problems.add("must provide an object", "/view")
        return problems.errors
    if view.get("type") not in kinds:
        problems.add(f"must be {' or '.join(sorted(kinds))}", "/view/type")
    if view.get("type") == "modal":
        check_text_object(problems, view.get("title"), "/view/title", limit=24, plain_only=True)
        for button in ("submit", "close"):
            if button in view:
                check_text_object(
                    problems, view[button], f"/view/{button}", limit=24, plain_only=True
                )
        has_input = any(
            isinstance(block, dict) and block.get("type") == "input"
            for block in view.get("blocks") or []
        )
        if has_input and "submit" not in view:
            problems.add("must provide submit when an input block is present", "/view/submit")
    for key in ("private_metadata", "callback_id", "external_id"):
        limit = 3000 if key == "private_metadata" else ID_LIMIT
        problems.check_length(view.get(key), limit, f"/view/{key}")
    problems.errors.extend(
        find_block_problems(view.get("blocks"), limit=VIEW_BLOCK_LIMIT, root="/view/blocks")
    )
    return problems.errors
