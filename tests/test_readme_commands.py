"""README.md's command table names every command `composite --help` lists, and links the format pages."""

from __future__ import annotations

import re

from tests.conftest import REPO


def _registered() -> list[str]:
    import composite.cli as cli

    if hasattr(cli, "COMMANDS"):  # the click CLI: its registry, in `--help` order
        return list(cli.COMMANDS)
    parser = cli.build_parser()  # the argparse CLI it replaces
    return [name for action in parser._subparsers._group_actions for name in action.choices]  # type: ignore[union-attr]


def _table() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index("## The command line")
    return text[start:text.index("\n## ", start + 1)]


def test_readme_command_table_names_every_registered_command() -> None:
    named = set(re.findall(r"^\| `composite ([a-z-]+)", _table(), flags=re.MULTILINE))
    registered = _registered()
    assert len(registered) >= 18
    assert not set(registered) - named, f"README.md's command table lacks {sorted(set(registered) - named)}"


def test_readme_links_the_format_pages() -> None:
    table = _table()
    for page in ("docs/project.md", "docs/knowledge.md", "docs/scenarios.md", "docs/editors.md", "docs/cli.md"):
        assert f"]({page})" in table, page
    for page in ("docs/project.md", "docs/knowledge.md", "docs/scenarios.md", "docs/editors.md"):
        assert (REPO / page).is_file(), page
