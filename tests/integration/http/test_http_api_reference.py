"""/docs: the API reference page, rendered by the server from its own OpenAPI document."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from http_harness import Harness

from starport.entrypoints.http.openapi import document


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.targets: list[str] = []
        self.loads: list[str] = []  # what a browser would fetch to show the page

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.targets.append(str(found["href"]))
        if tag in ("script", "img", "iframe") or (tag == "link" and found.get("href")):
            self.loads.append(tag)


async def test_the_page_documents_every_operation_and_schema_and_loads_nothing(
    h: Harness,
) -> None:
    response = await h.client.get("/docs")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = Links()
    page.feed(response.text)
    doc = document()
    operation_ids = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    assert operation_ids <= page.ids
    assert {f"schema-{name}" for name in doc["components"]["schemas"]} <= page.ids
    for path in doc["paths"]:
        assert path in response.text
    internal = [t[1:] for t in page.targets if t.startswith("#")]
    assert internal and set(internal) <= page.ids  # every link inside the page lands
    assert [t for t in page.targets if not t.startswith("#")] == ["/openapi.json"]
    assert page.loads == []  # no script, image or stylesheet from anywhere


async def test_a_route_shows_its_credentials_body_and_success_fields(h: Harness) -> None:
    text = (await h.client.get("/docs")).text

    section = text[text.index('id="createSession"'):]
    section = section[:section.index("</section>")]
    assert "apiToken, miniApp" in section
    assert re.search(r"<code>packageId</code> <span class=req>required</span>", section)
    assert 'href="#schema-Session"' in section and "Idempotency-Key" in section
