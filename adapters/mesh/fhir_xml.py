"""FHIR resources between their JSON form and the XML that ITK3 messages travel in.

ITK3 Messaging Distribution carries XML only. The writer turns a resource built in FHIR's JSON form (keys in
the specification's element order) into FHIR XML; the reader turns either form into one tree in which every
element is a list of nodes and every primitive is ``{"@value": text}``, so responses are read the same way
whichever form a practice's system chose. The standard library parses, with document type declarations
refused: they are what entity-expansion attacks need, and FHIR never uses them.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

import orjson

FHIR_NAMESPACE = "http://hl7.org/fhir"
_NS = "{" + FHIR_NAMESPACE + "}"

Node = dict[str, Any]


class FhirFormatError(ValueError):
    """Not a FHIR resource in either form."""


def to_fhir_xml(resource: dict[str, Any]) -> bytes:
    root = _resource_element(resource)
    root.set("xmlns", FHIR_NAMESPACE)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def _resource_element(resource: dict[str, Any]) -> ET.Element:
    element = ET.Element(resource["resourceType"])
    _write_children(element, resource, in_resource=True)
    return element


def _write_children(parent: ET.Element, data: dict[str, Any], *, in_resource: bool) -> None:
    for name, value in data.items():
        if name == "resourceType":
            continue
        if name == "url" or (name == "id" and not in_resource):
            # On elements (not resources) these two are XML attributes.
            parent.set(name, str(value))
            continue
        for item in value if isinstance(value, list) else [value]:
            _write_value(parent, name, item)


def _write_value(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, dict) and "resourceType" in value:
        child.append(_resource_element(value))
    elif isinstance(value, dict):
        _write_children(child, value, in_resource=False)
    elif isinstance(value, bool):
        child.set("value", "true" if value else "false")
    else:
        child.set("value", str(value))


def read_fhir(payload: bytes) -> Node:
    """A resource in XML or JSON as a uniform tree; FhirFormatError when it is neither."""
    text = payload.lstrip()
    if text.startswith(b"{"):
        try:
            document = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise FhirFormatError("the body is not valid JSON") from None
        if not isinstance(document, dict) or "resourceType" not in document:
            raise FhirFormatError("the JSON is not a FHIR resource")
        tree: Node = _from_json(document)
        return tree
    if b"<!DOCTYPE" in text.upper():
        raise FhirFormatError("document type declarations are not accepted")
    try:
        root = ET.fromstring(text)  # noqa: S314 - DOCTYPE refused above; expat >= 2.4 limits expansion
    except ET.ParseError:
        raise FhirFormatError("the body is not well-formed XML") from None
    if not root.tag.startswith(_NS):
        raise FhirFormatError("the XML is not in the FHIR namespace")
    return _from_xml_resource(root)


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: [_from_json(item) for item in _as_list(item_or_list)] for key, item_or_list in value.items()
        }
    return {"@value": "true" if value is True else "false" if value is False else str(value)}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _from_xml_resource(element: ET.Element) -> Node:
    node = _from_xml(element)
    node["resourceType"] = [{"@value": element.tag.removeprefix(_NS)}]
    return node


def _from_xml(element: ET.Element) -> Node:
    node: Node = {}
    for attribute, text in element.attrib.items():
        if attribute == "value":
            node["@value"] = text
        else:
            node[attribute] = [{"@value": text}]
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = child.tag.removeprefix(_NS)
        if name == "resource" and len(child):
            node.setdefault(name, []).append(_from_xml_resource(child[0]))
        else:
            node.setdefault(name, []).append(_from_xml(child))
    return node


def values(node: Node, path: str) -> list[str]:
    """Every primitive at a dotted path (``entry.resource.id``), in document order."""
    return [leaf["@value"] for leaf in nodes(node, path) if "@value" in leaf]


def nodes(node: Node, path: str) -> list[Node]:
    current = [node]
    for part in path.split("."):
        current = [child for item in current for child in item.get(part, [])]
    return current


def first_value(node: Node, path: str) -> str | None:
    found = values(node, path)
    return found[0] if found else None
