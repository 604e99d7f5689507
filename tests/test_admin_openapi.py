"""The OpenAPI document describes exactly the registered admin routes."""

from __future__ import annotations

import re

PREFIX = "/api/admin"
METHODS = {"get", "post", "put", "patch", "delete"}


def routes(app) -> set[tuple[str, str]]:
    """(METHOD, /path/{param}) of every admin route in the app's url_map."""
    return {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def documented(spec: dict) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the document."""
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }


def test_document_and_routes_match(client, app):
    resp = client.get("/api/admin/openapi.json")
    assert resp.status_code == 200
    spec = resp.get_json()
    assert spec["openapi"].startswith("3.1")
    assert documented(spec) == routes(app)


def test_every_operation_is_complete(client):
    spec = client.get("/api/admin/openapi.json").get_json()
    operation_ids = []
    for path, item in spec["paths"].items():
        declared = set(re.findall(r"{(\w+)}", path))
        for method, op in item.items():
            operation_ids.append(op["operationId"])
            assert op["summary"] and op["responses"], (method, path)
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == declared, (method, path)
    assert len(operation_ids) == len(set(operation_ids))


def test_every_schema_reference_resolves(client):
    spec = client.get("/api/admin/openapi.json").get_json()
    text = str(spec)
    for kind, name in re.findall(r"#/components/(\w+)/(\w+)", text):
        assert name in spec["components"][kind], name


def test_business_schemas_match_what_the_api_reads_and_writes(api, world):
    from app.admin.validation import BUSINESS_FIELDS

    schemas = api("GET", "/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["BusinessSettings"]["properties"]) == set(BUSINESS_FIELDS)
    business = api("GET", f"/businesses/{world.business_id}").get_json()
    assert set(schemas["Business"]["properties"]) == set(business)
    [summary] = api("GET", "/businesses").get_json()["businesses"]
    assert set(schemas["BusinessSummary"]["properties"]) == set(summary)
    written_only = {
        k for k, v in schemas["BusinessSettings"]["properties"].items() if v.get("writeOnly")
    }
    assert written_only == {"access_token", "page_access_token"}
    assert not written_only & set(business)
