"""OpenAPI contract test: what a generated client sees of a real agent.

Run by tests/it/openapi_client.rs with the venv of tests/openapi (scripts/install-prereqs.sh):

    client_test.py BASE_URL CA_PEM CLIENT_PEM CLIENT_KEY WORK_DIR

1. fetches BASE_URL/openapi.json over mutual TLS and validates it with openapi-spec-validator;
2. generates a Python client from it with openapi-python-client (any warning fails the test);
3. with that client: lists upgradable packages, installs pmtest-new, polls the job, rolls it back, polls the
   rollback, and checks each answer's status code and fields against the apt sandbox the agent manages.

Prints one line per step; exits non-zero (with the reason) on the first failure.
"""

import datetime
import importlib
import json
import os
import ssl
import subprocess
import sys
import time

import httpx
from openapi_spec_validator import validate

PACKAGE = "lpa_client"


def step(msg):
    print(f"ok: {msg}", flush=True)


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def tls_context(ca, cert, key):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return ctx


def generate(doc_path, work):
    config = os.path.join(work, "generator.yaml")
    with open(config, "w") as f:
        f.write(f"package_name_override: {PACKAGE}\nproject_name_override: lpa-client\n")
    out = os.path.join(work, PACKAGE)
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    run = subprocess.run(
        [os.path.join(bindir, "openapi-python-client"), "generate", "--path", doc_path,
         "--config", config, "--meta", "none", "--output-path", out, "--overwrite"],
        capture_output=True, text=True, env=env, cwd=work)
    text = run.stdout + run.stderr
    if run.returncode != 0:
        fail(f"openapi-python-client exited {run.returncode}:\n{text}")
    if "Warning" in text or "WARNING" in text or "Unable" in text:
        fail(f"openapi-python-client warned:\n{text}")
    sys.path.insert(0, work)
    return importlib.import_module(PACKAGE)


def wait_job(get_job, client, job_id, seconds=120):
    deadline = time.time() + seconds
    while True:
        r = get_job.sync_detailed(job_id, client=client)
        if r.status_code == 200:
            job = r.parsed.data
            status = job.status.value
            if status not in ("queued", "running"):
                return job
        elif r.status_code != 503:
            fail(f"GET /jobs/{job_id}: {r.status_code} {r.content!r}")
        if time.time() > deadline:
            fail(f"job {job_id} did not finish in {seconds} s")
        time.sleep(0.1)


def main():
    base, ca, cert, key, work = sys.argv[1:6]
    ctx = tls_context(ca, cert, key)

    doc = httpx.get(base + "/openapi.json", verify=ctx).json()
    doc_path = os.path.join(work, "openapi.json")
    with open(doc_path, "w") as f:
        json.dump(doc, f, indent=1)
    validate(doc)
    step(f"openapi.json {doc['openapi']} is valid ({len(doc['paths'])} paths)")

    generate(doc_path, work)
    client_mod = importlib.import_module(f"{PACKAGE}.client")
    api = lambda name: importlib.import_module(f"{PACKAGE}.api.default.{name}")
    models = importlib.import_module(f"{PACKAGE}.models")
    step("client generated without warnings")
    for name in ("ApplyRequest", "UpdateRequest", "RebootRequest"):
        required = doc["components"]["schemas"][name].get("required", [])
        if required:
            fail(f"{name} requires {required}")
        getattr(models, name)()  # every field optional: constructible without arguments
    step("ApplyRequest, UpdateRequest, RebootRequest: every field optional")

    client = client_mod.Client(base_url=base, verify_ssl=ctx, raise_on_unexpected_status=True)

    h = api("get_health").sync_detailed(client=client)
    if h.status_code != 200 or h.parsed.data.status.value not in ("healthy", "degraded"):
        fail(f"health: {h.status_code} {h.content!r}")
    stamp = h.parsed.data.last_cache_update
    if not isinstance(stamp, datetime.datetime) or stamp.utcoffset() != datetime.timedelta(0):
        fail(f"last_cache_update is not an aware UTC datetime: {stamp!r}")
    raw = json.loads(h.content)["data"]["last_cache_update"]
    if datetime.datetime.fromisoformat(raw) != stamp:  # the form Python's own parser reads
        fail(f"fromisoformat({raw!r}) disagrees")
    step(f"health: {h.parsed.data.status.value}, uptime_seconds={h.parsed.data.uptime_seconds}, "
         f"last_cache_update={h.parsed.data.last_cache_update!r}")

    r = api("list_packages").sync_detailed(client=client, upgradable=True)
    names = sorted(p.name for p in r.parsed.data)
    if r.status_code != 200 or names != ["pmtest-hello", "pmtest-lib"]:
        fail(f"list upgradable: {r.status_code} {names}")
    step(f"list: upgradable {names}")

    r = api("install_packages").sync_detailed(
        client=client, body=models.InstallRequest(packages=["pmtest-new"]))
    if r.status_code != 202 or not r.parsed.success:
        fail(f"install: {r.status_code} {r.content!r}")
    job = wait_job(api("get_job"), client, r.parsed.data.id)
    if job.status.value != "succeeded":
        fail(f"install job ended {job.status.value}: {job.message}")
    added = [c.name for c in job.change_set.installed]
    if "pmtest-new" not in added:
        fail(f"install job change set: {added}")
    step(f"install: 202, job {job.id} succeeded, installed {sorted(added)}")

    pkg = api("get_package").sync_detailed("pmtest-new", client=client)
    if pkg.status_code != 200 or pkg.parsed.data.version != "1.0":
        fail(f"get pmtest-new: {pkg.status_code} {pkg.content!r}")

    r = api("rollback_job").sync_detailed(job.id, client=client)
    if r.status_code != 202:
        fail(f"rollback: {r.status_code} {r.content!r}")
    rb = wait_job(api("get_job"), client, r.parsed.data.id)
    if rb.status.value != "succeeded":
        fail(f"rollback job ended {rb.status.value}: {rb.message}")
    again = api("get_job").sync_detailed(job.id, client=client).parsed.data
    if again.status.value != "rolled_back":
        fail(f"the install job is {again.status.value} after its rollback")
    step(f"rollback: 202, job {rb.id} succeeded, install job now rolled_back")

    gone = api("get_package").sync_detailed("pmtest-new", client=client)
    if gone.status_code != 404 or gone.parsed.error.code != "PACKAGE_NOT_FOUND":
        fail(f"pmtest-new after rollback: {gone.status_code} {gone.content!r}")
    details = json.loads(gone.content)["error"]["details"]
    if details != {"name": "pmtest-new"} and not isinstance(details, dict):
        fail(f"error details are not an object: {details!r}")
    step(f"get removed package: 404 PACKAGE_NOT_FOUND, details {json.dumps(details)}")


if __name__ == "__main__":
    main()
