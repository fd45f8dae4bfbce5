#!/usr/bin/env python3
"""Runs Schemathesis against a freshly started `userfront-mock` and fails on any finding.

Called by scripts/test with the interpreter of the repository's `.venv` (where scripts/test
installs schemathesis), and by scripts/fuzz with `--fuzz`.
Usage: scripts/schemathesis.py [--fuzz] [--seed N] [--max-examples N] [--max-time S]
       [--st-arg=OPTION ...] [path/to/userfront-mock]

- Deterministic by default (what CI runs): a fixed seed (`SCHEMATHESIS_SEED`, default below),
  derandomised generation, one worker, no example database, a fixed number of examples per
  operation (`SCHEMATHESIS_MAX_EXAMPLES`) and no time budget (a time budget repeats fuzzing
  until it is spent, so how much runs would depend on the machine's speed): a clean clone
  passes or fails the same way every time.
- `--fuzz` (scripts/fuzz): a random seed (printed, to replay with `--seed`), more examples,
  and `--max-time` seconds of exploration; findings are reported, not fixed.

- Starts the binary on a free port of 127.0.0.1 and waits for its banner.
- Operations of `schemas/openapi.json` that the mock does not route yet (a probe with an
  undocumented method gets 404 instead of 405) are listed loudly and left out of the run, so
  the run tests what exists; every routed operation is tested with all default checks.
- Authentication comes from `scripts/schemathesis.toml`: the demo tenant's test admin key
  (fixtures/seed.json) for `apiKey`, and the access/refresh tokens of a user made for the run
  for `userToken`/`refreshToken`.
- Bounded: a hard timeout around the whole run (and `--max-time` in fuzz mode).
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "schemas" / "openapi.json"
CONFIG = ROOT / "scripts" / "schemathesis.toml"
# The deterministic run of scripts/test: its seed and examples per operation.
CI_SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261201"))
CI_MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
# Longest the deterministic run may take: only a hang should reach it (on a 2-core machine
# shared with a dozen busy processes the full run took over 20 minutes).
CI_HARD_TIMEOUT = int(os.environ.get("SCHEMATHESIS_HARD_TIMEOUT", "2400"))
# Path parameter values that name seeded data, for the routing probe only.
PROBE_VALUES = {
    "tenantId": "demo1234",
    "userId": "1",
    "importUuid": "2d7f0c4e-5b1a-4e8f-9c3d-7a6b5e4d3c2b",
    "name": "member",
    "type": "admin",
    "mode": "test",
    "provider": "google",
}


def fail(message: str) -> None:
    print(f"schemathesis: {message}", file=sys.stderr)
    sys.exit(1)


def find_schemathesis() -> str:
    here = Path(sys.executable).parent / "st"
    for candidate in [here, Path(sys.executable).parent / "schemathesis"]:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("schemathesis")
    if not found:
        fail("schemathesis is not installed: run scripts/test, which installs it into .venv")
    return found


def start_mock(binary: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [binary, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = re.search(r"listening on (http://[0-9.]+:[0-9]+)", line)
        if match:
            # Keep draining the banner and logs so the mock never blocks on a full pipe.
            subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
            return proc, match.group(1)
    proc.kill()
    fail(f"{binary} did not start")
    raise AssertionError


def routed(base: str, path: str, method: str) -> bool:
    """Whether the mock serves `method path`: an undocumented method must get 405, not 404."""
    concrete = path
    for name, value in PROBE_VALUES.items():
        concrete = concrete.replace("{" + name + "}", value)
    request = urllib.request.Request(base + concrete, method="PATCH")
    try:
        urllib.request.urlopen(request, timeout=10)
        return True
    except urllib.error.HTTPError as error:
        if error.code != 405:
            return False
        # 405 proves the path exists; the method itself must be one of those allowed.
        allow = error.headers.get("allow", "")
        return allow == "" or method.upper() in allow.upper().replace(" ", "").split(",")


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    # Generous: creating and signing in the user hashes passwords, which takes seconds on a
    # busy machine (scripts/fuzz runs everything at the lowest priority).
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def prepare_user(base: str) -> tuple[str, str]:
    """Access and refresh tokens of a test user made for the run, so that fuzzed requests on the
    seeded users (whose addresses the examples name) cannot spoil them: created with a high
    `userId`, out of the fuzzers' usual reach, or signed up when the mock cannot create users;
    it holds a role in the demo tenant."""
    admin_key = re.search(r'bearer = "([^"]+)"', CONFIG.read_text()).group(1)
    email, password = "schemathesis@example.com", "schemathesis-password-1"
    status, body = call(base, "POST", "/v0/users",
                        {"userId": 900001, "email": email, "password": password, "name": "Schemathesis"},
                        admin_key)
    if status != 200:
        status, body = call(base, "POST", "/v0/tenants/demo1234/auth/create",
                            {"email": email, "password": password, "name": "Schemathesis"})
    if status != 200 or "userId" not in body:
        fail(f"cannot make the test user: {status} {body}")
    call(base, "PUT", f"/v0/users/{body['userId']}/roles", {"roles": ["member"]}, admin_key)
    status, login = call(base, "POST", "/v0/tenants/demo1234/auth/basic",
                         {"emailOrUsername": email, "password": password})
    if status != 200 or "tokens" not in login:
        fail(f"cannot sign the test user in: {status} {login}")
    return login["tokens"]["access"]["value"], login["tokens"]["refresh"]["value"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary", nargs="?", default=str(ROOT / "target" / "debug" / "userfront-mock"))
    parser.add_argument("--fuzz", action="store_true",
                        help="random seed, more examples, time-bounded exploration (scripts/fuzz)")
    parser.add_argument("--seed", type=int, help="seed (default: fixed; random with --fuzz)")
    parser.add_argument("--max-examples", type=int, help="examples per operation")
    parser.add_argument("--max-time", type=int, default=120, help="time budget of --fuzz, in seconds")
    parser.add_argument("--st-arg", action="append", default=[], metavar="OPTION",
                        help="one more option for `st run`, e.g. --st-arg=--include-path-regex=^/v0/users (repeatable)")
    return parser.parse_args()


def generation_args(options: argparse.Namespace) -> tuple[list[str], int]:
    """Schemathesis options that fix what is generated, and the hard timeout of the run."""
    if options.fuzz:
        seed = options.seed if options.seed is not None else random.randrange(1 << 31)
        examples = options.max_examples or 100
        print(f"schemathesis: fuzz mode, seed {seed} (replay: scripts/schemathesis.py --fuzz --seed {seed}), "
              f"{examples} examples per operation, {options.max_time} s", flush=True)
        return [
            "--seed", str(seed),
            "--max-examples", str(examples),
            "--max-time", str(options.max_time),
            "--workers", "1",
        ], options.max_time + 180
    seed = options.seed if options.seed is not None else CI_SEED
    examples = options.max_examples or CI_MAX_EXAMPLES
    print(f"schemathesis: deterministic run, seed {seed}, {examples} examples per operation", flush=True)
    return [
        "--seed", str(seed),
        # Derandomised generation (which also keeps no example database between runs).
        "--generation-deterministic",
        "--max-examples", str(examples),
        # Hypothesis' `too_slow` health check measures wall-clock time, so it fails a run on a
        # busy machine and passes it on an idle one; the other health checks count, and stay.
        "--suppress-health-check", "too_slow",
        # One worker: with several, the order of requests against the stateful mock (and so
        # what each one meets) would vary from run to run.
        "--workers", "1",
    ], CI_HARD_TIMEOUT


def main() -> None:
    options = parse_args()
    binary = options.binary
    if not Path(binary).exists():
        fail(f"{binary} not found: build it with `cargo build -p userfront-mock`")
    st = find_schemathesis()
    spec = json.loads(SPEC.read_text())
    proc, base = start_mock(binary)
    try:
        # The binary must embed this very document (a shared target directory can hold a build
        # of other sources).
        status, served = call(base, "GET", "/v0/openapi.json")
        if status != 200 or served != spec:
            fail(f"{binary} does not serve {SPEC.relative_to(ROOT)}: rebuild it from these sources")
        # A path is tested once every documented method of it is served (otherwise even the
        # served methods would answer `Allow` headers that miss the others).
        missing = []
        for path, item in spec["paths"].items():
            if path.startswith("/__mock"):
                continue
            if not all(routed(base, path, method) for method in item):
                missing += [(m.upper(), path, op["operationId"]) for m, op in item.items()]
        if missing:
            print(f"schemathesis: {len(missing)} documented operations are not served by the mock yet:")
            for method, path, _ in missing:
                print(f"  NOT SERVED  {method} {path}")
        args = [
            st, "--config-file", str(CONFIG), "run", str(SPEC),
            "--url", base,
            "--exclude-path-regex", "^/__mock/",
            "--no-color",
        ]
        for _, _, operation_id in missing:
            args += ["--exclude-operation-id", operation_id]
        generation, hard_timeout = generation_args(options)
        args += generation + options.st_arg
        print("==> " + " ".join(args[:10]) + " ... " + " ".join(generation), flush=True)
        access, refresh = prepare_user(base)
        env = dict(os.environ, SCHEMATHESIS_ACCESS_TOKEN=access, SCHEMATHESIS_REFRESH_TOKEN=refresh)
        try:
            result = subprocess.run(args, cwd=ROOT, env=env, timeout=hard_timeout)
        except subprocess.TimeoutExpired:
            fail(f"schemathesis did not finish within {hard_timeout} s")
        if result.returncode != 0:
            fail(f"findings against {SPEC.relative_to(ROOT)} (exit code {result.returncode})")
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()
