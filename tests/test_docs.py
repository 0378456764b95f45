"""The documentation agrees with the code: a short README, links that resolve, and every
command, option and configuration key written in docs/ exists (and every one that exists is
written there)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main

import reconciler.cli  # noqa: F401  (registers every command on the app)
from reconciler.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_LIMIT = 10_240
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
REQUIRED_PAGES = (
    "README.md",
    "concepts.md",
    "configuration.md",
    "cli.md",
    "speakap-dialect.md",
    "plan-and-apply.md",
    "adopting.md",
    "performance.md",
    "security.md",
    "architecture.md",
)
HAND_WRITTEN_SCHEMAS = ("source", "org-units", "rules", "policy", "speakap")

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _prose(text: str) -> str:
    """The text without fenced code blocks (links and headings there are not markdown)."""
    return _FENCE.sub("", text)


def _code_spans(text: str) -> list[str]:
    return [m.group(2).strip() for m in _CODE_SPAN.finditer(_prose(text))]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup dropped, lower case, punctuation removed,
    spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a page, numbered as GitHub numbers repeated headings."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for match in _HEADING.finditer(_prose(page.read_text(encoding="utf-8"))):
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(page: Path) -> Iterator[str]:
    """Links to files of this repository (no scheme), code spans and code blocks excluded."""
    text = _CODE_SPAN.sub("code", _prose(page.read_text(encoding="utf-8")))
    for match in _LINK.finditer(text):
        target = match.group(1)
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            yield target


def test_readme_is_short() -> None:
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_LIMIT, (
        f"README.md is {size} bytes, over {README_LIMIT}: move reference material to docs/"
    )


def test_readme_keeps_the_two_command_promise() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme


def test_docs_has_the_required_pages_and_an_index_listing_them() -> None:
    missing = [name for name in REQUIRED_PAGES if not (DOCS / name).is_file()]
    assert not missing, f"docs/ lacks {missing}"
    index = set(relative_links(DOCS / "README.md"))
    unlisted = [p.name for p in DOCS.glob("*.md") if p.name != "README.md" and p.name not in index]
    assert not unlisted, f"docs/README.md does not list {unlisted}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_and_headings_that_exist(page: Path) -> None:
    broken: list[str] = []
    for target in relative_links(page):
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists() or ROOT not in (dest, *dest.parents):
            broken.append(f"{target}: no such file in the repository")
        elif anchor and (dest.suffix != ".md" or anchor not in anchors(dest)):
            broken.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_slug_follows_githubs_rules() -> None:
    assert slug("source.yaml") == "sourceyaml"
    assert slug("3. Reviewing a plan") == "3-reviewing-a-plan"
    assert slug("github open-pr") == "github-open-pr"
    assert slug("Values between stages: `model.py`") == "values-between-stages-modelpy"


# -- the command line ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    path: str  # "plan", "github comment"; "" for the application itself
    options: frozenset[str]
    is_group: bool

    @property
    def name(self) -> str:
        return f"`speakap-sync {self.path}`".replace(" `", "`")


def commands() -> dict[str, Command]:
    """Every visible command of the typer app with its options (``--help`` included)."""
    found: dict[str, Command] = {}

    def walk(command: Any, path: list[str]) -> None:
        options = {
            name
            for param in command.params
            if getattr(param, "param_type_name", "") == "option" and not param.hidden
            for name in (*param.opts, *param.secondary_opts)
            if name.startswith("--")
        }
        subcommands = getattr(command, "commands", None) or {}
        found[" ".join(path)] = Command(
            " ".join(path), frozenset(options | {"--help"}), is_group=bool(subcommands)
        )
        for name, sub in subcommands.items():
            if not getattr(sub, "hidden", False):
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def _command_of(words: list[str], known: dict[str, Command]) -> str | None:
    """The longest command path that ``words`` (after ``speakap-sync`` and global options)
    start with, or None."""
    words = [w for w in words if not w.startswith("--")]
    for n in range(len(words), 0, -1):
        if " ".join(words[:n]) in known:
            return " ".join(words[:n])
    return None


def _cli_sections(text: str) -> Iterator[tuple[str, str]]:
    """(heading, body) of each section of docs/cli.md, split at every heading."""
    prose = _prose(text)
    marks = list(_HEADING.finditer(prose))
    for i, match in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(prose)
        yield match.group(2).strip().strip("`"), prose[match.end() : end]


def _documented_options() -> list[tuple[str | None, str, str]]:
    """(command path or None, option, where) for every ``--option`` in a code span of
    docs/cli.md that reads as a speakap-sync command line or a bare option."""
    known = commands()
    found: list[tuple[str | None, str, str]] = []
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for heading, body in _cli_sections(text):
        section = heading if heading in known else None
        for span in _code_spans(body):
            words = span.split()
            command: str | None
            if not words:
                continue
            if words[0] == "speakap-sync":
                command = _command_of(words[1:], known) or ""
            elif words[0].startswith("--"):
                command = section  # a bare option belongs to the section's command
            else:
                command = _command_of(words, known)  # `plan --detailed-exitcode`
                if command is None:
                    continue  # another program's command line, or prose
            found += [
                (command, option, f"`{span}` ({heading})") for option in _OPTION.findall(span)
            ]
    return found


def test_every_option_in_cli_md_exists_in_the_app() -> None:
    known = commands()
    every = {option for c in known.values() for option in c.options}
    wrong: list[str] = []
    for command, option, where in _documented_options():
        if command is None:
            ok = option in every
        else:
            parents = [" ".join(command.split()[:n]) for n in range(len(command.split()) + 1)]
            ok = any(option in known[p].options for p in parents if p in known)
        if not ok:
            owner = "any command" if command is None else known[command].name
            wrong.append(f"{option} in {where}: not an option of {owner}")
    assert not wrong, "docs/cli.md names options the app does not have:\n" + "\n".join(wrong)


def test_every_command_and_option_of_the_app_is_in_cli_md() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    sections = dict(_cli_sections(text))
    missing: list[str] = []
    for path, command in commands().items():
        if command.is_group:
            body = text  # the options of the application and of groups: anywhere in the page
        elif path not in sections:
            missing.append(f"a section '### {path}' for {command.name}")
            continue
        else:
            body = sections[path]
        written = set(_OPTION.findall(" ".join(_code_spans(body))))
        missing += [
            f"{option} of {command.name}"
            for option in sorted(command.options - {"--help"} - written)
        ]
    assert not missing, "docs/cli.md does not document:\n" + "\n".join(missing)


# -- configuration keys -------------------------------------------------------------------------


def schema_paths(node: Any, prefix: str = "") -> set[str]:
    """Dotted paths of every property in a schema; array items add no segment, and the
    definitions in ``$defs`` start from the top."""
    paths: set[str] = set()
    if not isinstance(node, dict):
        return paths
    for name, sub in (node.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        paths |= {path} | schema_paths(sub, path)
    for key in ("items", "additionalProperties"):
        paths |= schema_paths(node.get(key), prefix)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in node.get(key) or ():
            paths |= schema_paths(sub, prefix)
    for sub in (node.get("$defs") or {}).values():
        paths |= schema_paths(sub, "")
    return paths


def _schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
    )
    return data


def _key_tables(text: str) -> Iterator[tuple[str, str]]:
    """(schema name, key) for the first column of every ``| key |`` table under a
    ``## NAME.yaml`` heading of docs/configuration.md."""
    schema = None
    in_table = False
    for line in _prose(text).splitlines():
        heading = re.match(r"^##\s+(\S+)\.yaml\s*$", line)
        if heading:
            schema = heading.group(1)
        if line.startswith("| key |"):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
        elif in_table and schema and not line.startswith("| ---"):
            cell = line.split("|")[1]
            yield from ((schema, key) for key in re.findall(r"`([^`]+)`", cell))


def test_every_key_in_configuration_md_is_in_its_schema() -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    tables = list(_key_tables(text))
    assert {schema for schema, _ in tables} == set(HAND_WRITTEN_SCHEMAS)
    unknown = [
        f"`{key}` in the {schema}.yaml table"
        for schema, key in tables
        if not any(p == key or p.endswith(f".{key}") for p in schema_paths(_schema(schema)))
    ]
    assert not unknown, "docs/configuration.md documents keys the schemas reject: " + ", ".join(
        unknown
    )


def test_every_key_of_the_hand_written_files_is_documented() -> None:
    spans = " ".join(
        span
        for page in ("configuration.md", "speakap-dialect.md")
        for span in _code_spans((DOCS / page).read_text(encoding="utf-8"))
    )
    words = set(re.findall(r"[A-Za-z_][\w-]*", spans))
    missing = sorted(
        f"{name}: {path}"
        for name in HAND_WRITTEN_SCHEMAS
        for path in schema_paths(_schema(name))
        if path.rsplit(".", 1)[-1] not in words
    )
    assert not missing, (
        "keys the schemas accept but docs/configuration.md and docs/speakap-dialect.md never "
        "name: " + ", ".join(missing)
    )


def test_the_dialect_keys_agree_in_the_code_the_schema_and_the_dialect_page() -> None:
    from dataclasses import fields

    from reconciler.speakap.dialect import Dialect

    in_code = {f.name for f in fields(Dialect)}
    in_schema = set(_schema("speakap")["properties"]["dialect"]["properties"])
    text = (DOCS / "speakap-dialect.md").read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    in_docs = {span for span in _code_spans(section) if re.fullmatch(r"[a-z_]+", span)}
    assert in_code == in_schema, f"code vs schema: {sorted(in_code ^ in_schema)}"
    assert in_schema <= in_docs, f"not in the Settings list: {sorted(in_schema - in_docs)}"
