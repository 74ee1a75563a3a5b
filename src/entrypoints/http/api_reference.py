"""The API reference at /docs: one HTML page rendered by the server from its own OpenAPI
document (every route, its credentials, parameters, request body and success body, each schema
field by field), with no script and nothing loaded from elsewhere: it works offline, behind a
firewall, and says exactly what /openapi.json says."""

from __future__ import annotations

import functools
from html import escape
from typing import Any

from starport.entrypoints.http.openapi import document

S = dict[str, Any]

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#fafbfc}
header{background:#1d232a;color:#fff;padding:18px 32px}header a{color:#9cd3ff}
main{display:grid;grid-template-columns:280px 1fr;gap:32px;padding:24px 32px}
nav{position:sticky;top:12px;align-self:start;font-size:13px;max-height:95vh;overflow:auto}
nav h3{margin:14px 0 4px;text-transform:capitalize}nav a{display:block;color:#1d232a;
text-decoration:none;padding:1px 0}nav a:hover{text-decoration:underline}
section.op{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:14px 18px;
margin:0 0 18px}h2{text-transform:capitalize;margin:28px 0 10px}
.m{display:inline-block;min-width:58px;font:600 12px monospace;text-transform:uppercase;
border-radius:4px;padding:2px 6px;color:#fff;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.put{background:#b26a00}
.delete{background:#b3261e}code,.path{font-family:ui-monospace,monospace}.path{font-size:15px}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px;width:100%}
td,th{border-bottom:1px solid #eef1f4;padding:4px 8px;text-align:left;vertical-align:top}
th{color:#5b6773;font-weight:600}.req{color:#b3261e}.muted{color:#5b6773;font-size:13px}
"""


def _type(schema: S) -> str:
    """A schema in a few words: `string (date-time)`, `array of Session`, `integer or null`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if schema["$ref"].startswith("#/$defs/"):  # a request body's own part
            return escape(name)
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "oneOf" in schema:
        return " or ".join(_type(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    words = []
    for k in kinds:
        if k == "array":
            words.append(f"array of {_type(schema.get('items', {}))}")
        elif k == "object" and isinstance(schema.get("additionalProperties"), dict):
            words.append(f"map of {_type(schema['additionalProperties'])}")
        else:
            words.append(escape(str(k)))
    text = " or ".join(words)
    if "format" in schema:
        text += f" ({escape(schema['format'])})"
    if "enum" in schema:
        text += ": " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    return text


def _fields(schema: S) -> str:
    """An object's fields as a table; anything else as its type."""
    properties: S = schema.get("properties") or {}
    if not properties:
        note = escape(schema.get("description", ""))
        return f"<p>{_type(schema)}{' — ' + note if note else ''}</p>"
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>"
        f"{' <span class=req>required</span>' if name in required else ''}</td>"
        f"<td>{_type(field)}</td><td>{escape(field.get('description', ''))}</td></tr>"
        for name, field in properties.items())
    return f"<table><tr><th>field</th><th>type</th><th></th></tr>{rows}</table>"


def _body_schema(schema: S, defs: S) -> S:
    """A request body's pydantic schema, its `$defs` references pointed at its own section."""
    return schema if "$ref" not in schema else defs.get(schema["$ref"].rsplit("/", 1)[-1], {})


def _operation(method: str, path: str, op: S) -> str:
    anchor = op["operationId"]
    security = ", ".join(name for need in op.get("security", []) for name in need) or "none"
    parts = [f'<section class="op" id="{escape(anchor)}">',
             f'<div><span class="m {method}">{method}</span> <span class="path">'
             f'{escape(path)}</span></div>',
             f"<p>{escape(op['summary'])}</p>",
             f'<p class="muted">operationId <code>{escape(anchor)}</code> · credentials: '
             f"{escape(security)}</p>"]
    params = op.get("parameters", [])
    if params:
        rows = "".join(
            f"<tr><td><code>{escape(p['name'])}</code>"
            f"{' <span class=req>required</span>' if p.get('required') else ''}</td>"
            f"<td>{escape(p['in'])}</td><td>{escape(p.get('description', ''))}</td></tr>"
            for p in params)
        parts.append(f"<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th></th></tr>"
                     f"{rows}</table>")
    body = op.get("requestBody")
    if body:
        schema = body["content"]["application/json"]["schema"]
        parts.append(f"<h4>Request body{' (required)' if body.get('required') else ''}</h4>"
                     + _fields(_body_schema(schema, schema.get("$defs", {}))))
    for status, answer in op["responses"].items():
        if not status.startswith("2"):
            continue
        content = answer.get("content", {})
        media, described = next(iter(content.items()), ("", {}))
        parts.append(f"<h4>{escape(status)} {escape(media)}</h4>"
                     + _fields(described.get("schema", {})))
    errors = [code for code in op["responses"] if not code.startswith("2")]
    if errors:
        parts.append(f'<p class="muted">errors: {", ".join(errors)} — '
                     '<a href="#schema-Error">Error</a></p>')
    parts.append("</section>")
    return "".join(parts)


@functools.cache
def page() -> str:
    doc = document()
    by_tag: dict[str, list[tuple[str, str, S]]] = {}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            by_tag.setdefault(op["tags"][0], []).append((method, path, op))
    nav, body = [], []
    for tag, ops in by_tag.items():
        nav.append(f"<h3>{escape(tag)}</h3>" + "".join(
            f'<a href="#{escape(op["operationId"])}">{escape(method.upper())} '
            f"{escape(path)}</a>" for method, path, op in ops))
        body.append(f"<h2>{escape(tag)}</h2>"
                    + "".join(_operation(method, path, op) for method, path, op in ops))
    schemas = doc["components"]["schemas"]
    nav.append("<h3>schemas</h3>" + "".join(f'<a href="#schema-{escape(n)}">{escape(n)}</a>'
                                            for n in schemas))
    body.append("<h2>Schemas</h2>" + "".join(
        f'<section class="op" id="schema-{escape(name)}"><h3>{escape(name)}</h3>'
        f"{_fields(schema)}</section>" for name, schema in schemas.items()))
    schemes = "".join(
        f"<tr><td><code>{escape(name)}</code></td>"
        f"<td>{escape(s.get('scheme') or s.get('name', ''))}</td>"
        f"<td>{escape(s.get('description', ''))}</td></tr>"
        for name, s in doc["components"]["securitySchemes"].items())
    info = doc["info"]
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(info['title'])} API reference</title><style>{_STYLE}</style></head>"
        f"<body><header><strong>{escape(info['title'])} API</strong> {escape(info['version'])}"
        f" — {escape(info['description'])} The machine-readable document: "
        '<a href="/openapi.json">/openapi.json</a></header><main>'
        f"<nav>{''.join(nav)}</nav><div><h2>Credentials</h2><table><tr><th>name</th>"
        f"<th>how</th><th></th></tr>{schemes}</table>{''.join(body)}</div></main></body></html>")
