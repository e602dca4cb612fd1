"""Safe XML reading for DMN files: elements with their line numbers, no DOCTYPE or entities; shared by the
whole-model reader (composite.dmn.model) and the decision-table reader (composite.tables.formats)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
import xml.parsers.expat
from dataclasses import dataclass
from typing import Any

from composite.errors import ProjectError


@dataclass
class XmlDocument:
    root: ET.Element
    lines: dict[ET.Element, int]
    namespace: str

    def q(self, local: str) -> str:
        return f"{{{self.namespace}}}{local}" if self.namespace else local

    def line(self, element: ET.Element | None) -> int | None:
        return self.lines.get(element) if element is not None else None

    def text(self, element: ET.Element | None, child: str = "text") -> str | None:
        if element is None:
            return None
        found = element.find(self.q(child))
        return found.text if found is not None and found.text is not None else ("" if found is not None else None)


def local_name(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def children(element: ET.Element, *tags: str) -> list[ET.Element]:
    """The children of `element` with one of the local names `tags`, whatever their namespace."""
    return [child for child in element if local_name(child) in tags]


def child(element: ET.Element | None, *tags: str) -> ET.Element | None:
    """The first child of `element` with one of the local names `tags` (None: none, or no element)."""
    if element is None:
        return None
    return next((found for found in element if local_name(found) in tags), None)


def parse_xml(data: bytes | str, *, file: str) -> XmlDocument:
    builder = ET.TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    lines: dict[ET.Element, int] = {}

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def start(tag: str, attributes: dict[str, str]) -> None:
        element = builder.start(name(tag), {name(key): value for key, value in attributes.items()})
        lines[element] = parser.CurrentLineNumber

    def refuse(*_: Any) -> None:
        # DMN needs no DTD; refusing one rules out entity-expansion attacks on user files.
        raise ProjectError("a DMN file must not declare a DOCTYPE or entities", code="dmn_doctype",
                           file=file, line=parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data if isinstance(data, bytes) else data.encode("utf-8"), True)
    except xml.parsers.expat.ExpatError as error:
        raise ProjectError(f"XML syntax error: {xml.parsers.expat.errors.messages.get(error.code, error)}",
                           code="dmn_syntax", file=file, line=error.lineno, column=error.offset + 1) from None
    root = builder.close()
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    if root.tag.rpartition("}")[2] != "definitions":
        raise ProjectError("a DMN file's root element is <definitions>", code="dmn_format", file=file, line=1)
    if namespace and "omg.org/spec/DMN" not in namespace:
        raise ProjectError(f"unknown DMN namespace '{namespace}'", code="dmn_format", file=file, line=1)
    return XmlDocument(root, lines, namespace)


__all__ = ["XmlDocument", "child", "children", "local_name", "parse_xml"]
