"""The manager's real answers against its own openapi.json.

Run by tests/it/manager_openapi.rs with the venv of tests/openapi (scripts/install-prereqs.sh):

    manager_answers.py BASE_URL CA_PEM TOKEN CALLS_JSON

BASE_URL is `https://localhost:PORT/api/v1`; CALLS_JSON a file holding a list of
`{"method", "template", "url", "body", "save"}` (template: the documented path; url: the one called, where
`{NAME}` is the `data.id` of an earlier answer whose call had `"save": "NAME"`). The script
fetches BASE_URL/openapi.json, then makes each call with `Authorization: Bearer TOKEN` and validates the whole
answer (the envelope and its `data`) against the schema the document gives for that operation and status, with
the OpenAPI 3.0 validator (nullable, formats). Objects are closed first (`additionalProperties: false` where the
document lists properties and says nothing else), so a field the code sends but the document does not name
fails as well as a documented field the answer lacks.

Prints `ok: METHOD TEMPLATE STATUS` per call; on a mismatch prints `FAIL: ...` with every error and exits 1.
"""

import copy
import json
import ssl
import sys

import httpx
from openapi_schema_validator import OAS30Validator, oas30_format_checker


def closed(schema):
    """`schema` with every object that lists properties closed to others."""
    if isinstance(schema, list):
        return [closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: closed(v) for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def main():
    base, ca, token, calls_file = sys.argv[1:5]
    ctx = ssl.create_default_context(cafile=ca)
    client = httpx.Client(verify=ctx, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    doc = client.get(f"{base}/openapi.json").json()
    components = closed(doc["components"])
    with open(calls_file) as f:
        calls = json.load(f)
    failed = False
    saved = {}
    for call in calls:
        method, template = call["method"], call["template"]
        url = call["url"].format(**saved)
        r = client.request(method, f"{base}{url}", json=call.get("body"))
        if call.get("save") and r.status_code < 300:
            saved[call["save"]] = r.json()["data"]["id"]
        op = doc["paths"].get(template, {}).get(method.lower())
        if op is None:
            print(f"FAIL: {method} {template} is not documented", flush=True)
            failed = True
            continue
        resp = op["responses"].get(str(r.status_code))
        if resp is None:
            print(f"FAIL: {method} {url}: status {r.status_code} not documented: {r.text[:500]}", flush=True)
            failed = True
            continue
        schema = copy.deepcopy(closed(resp["content"]["application/json"]["schema"]))
        schema["components"] = components
        errors = sorted(
            OAS30Validator(schema, format_checker=oas30_format_checker).iter_errors(r.json()),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            failed = True
            for e in errors:
                where = "/".join(str(p) for p in e.absolute_path)
                print(f"FAIL: {method} {url} ({r.status_code}) at /{where}: {e.message}", flush=True)
        else:
            print(f"ok: {method} {template} {r.status_code}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
