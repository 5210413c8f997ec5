#!/usr/bin/env python3
"""A Woodpecker-shaped API server for buildtime's `pull` tests, on a free loopback port.

It serves exactly the routes `buildtime pull` reads, with the JSON shapes of Woodpecker 2.8 (`--api 2`: `created_at`,
`started_at`, `start_time`, ...) or 3.x (`--api 3`: `created`, `started`, ...), from woodpecker-ci/woodpecker
`server/router/api.go` and `server/model`:

  GET /version                                     {"source", "version"}, no auth
  GET /api/repos/lookup/{owner}/{name}             the repository
  GET /api/repos/{id}/pipelines?page=&perPage=     newest first, at most 50 a page, no workflows
  GET /api/repos/{id}/pipelines/{number}           one pipeline with its workflows and steps
  GET /api/repos/{id}/logs/{number}/{step_id}      [{id, step_id, time, line, data (base64), type}]

Each sample log (`--samples DIR`, `NNN-*.log.gz`, ISO-8601 stamped, with `CI_*` lines) is one pipeline of one
workflow: a `clone` step and a `deploy` commands step whose log is the sample, each line an entry (its stamp kept in
the line, as a step piping through `ts` writes it; `--bare` drops the stamps). Pipeline number, commit, branch,
event and changed files come from the log's `CI_*` lines; the pipeline started at the log's first stamp and was
created a few seconds before (the queue time is 5 + number * 7 % 40 s).

Tests change what it does while it runs with `GET /_control?key=value...` (no auth):
  visible=N     only the N oldest pipelines exist (default: all)
  running=N     pipeline N is running: its deploy step has started, not finished
  fail=N        the deploy log of pipeline N answers 500
  hang=KIND     requests for `logs` or `pipelines` never answer
  malformed=KIND  `logs` or `pipelines` answer with broken JSON
Requests are counted in /_requests (the most in flight at once, and the paths).

Prints `listening on PORT` when ready.
"""
import argparse
import base64
import datetime
import glob
import gzip
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

REPO_ID = 7
STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z ?")


def seconds(stamp):
    return datetime.datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp() + (
        float("0" + stamp[19:]) if len(stamp) > 19 else 0.0)


def load(directory, bare):
    pipelines = {}
    for path in sorted(glob.glob(os.path.join(directory, "*.log.gz"))):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        variables, times = {}, []
        for line in lines:
            match = STAMP.match(line)
            if match:
                times.append(seconds(match.group(1)))
            text = line[match.end():] if match else line
            if text.startswith("CI_") and "=" in text:
                key, value = text.split("=", 1)
                variables.setdefault(key, value)
        number = int(variables["CI_PIPELINE_NUMBER"])
        started, finished = int(times[0]), int(times[-1]) + 1
        failed = "+ exit 1" in lines[-1] or any("ERROR: failed to solve" in line for line in lines)
        entries = []
        for index, line in enumerate(lines):
            match = STAMP.match(line)
            at = seconds(match.group(1)) if match else (times[0] if not entries else started + entries[-1]["time"])
            data = line[match.end():] if (bare and match) else line
            entries.append({"id": number * 10000 + index + 1, "step_id": number * 10 + 2, "time": int(at - started), "line": index,
                            "data": base64.b64encode(data.encode()).decode(), "type": 0})
        pipelines[number] = {
            "number": number, "commit": variables.get("CI_COMMIT_SHA"), "branch": variables.get("CI_COMMIT_BRANCH"),
            "event": variables.get("CI_PIPELINE_EVENT", "push"), "files": json.loads(variables.get("CI_PIPELINE_FILES", "[]")),
            "created": started - (5 + number * 7 % 40), "started": started, "finished": finished, "failed": failed,
            "log": entries,
        }
    return pipelines


class State:
    def __init__(self, pipelines):
        self.pipelines = pipelines
        self.visible = len(pipelines)
        self.running = None
        self.fail = None
        self.hang = None
        self.malformed = None
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.paths = []

    def numbers(self):
        return sorted(self.pipelines)[: self.visible]


def shape(state, api, number, with_workflows):
    p = state.pipelines[number]
    running = state.running == number
    status = "running" if running else ("failure" if p["failed"] else "success")
    three = api >= 3
    t = (lambda key: key) if three else (lambda key: key + "_at")
    step_start = "started" if three else "start_time"
    step_end = "finished" if three else "end_time"
    out = {"id": 100 + number, "number": number, "event": p["event"], "status": status, t("created"): p["created"],
           t("updated"): p["finished"], t("started"): p["started"], t("finished"): 0 if running else p["finished"],
           "commit": p["commit"], "branch": p["branch"], "ref": "refs/heads/" + (p["branch"] or "main"), "author": "dana",
           "message": "change %d" % number, "deploy_to": ""}
    if p["files"]:
        out["changed_files"] = p["files"]
    if with_workflows:
        clone = {"id": number * 10 + 1, "pid": 2, "ppid": 1, "name": "clone", "state": "success", "exit_code": 0, "type": "clone",
                 step_start: p["started"], step_end: p["started"] + 2}
        deploy = {"id": number * 10 + 2, "pid": 3, "ppid": 1, "name": "deploy", "state": "running" if running else status,
                  "exit_code": 1 if p["failed"] and not running else 0, "type": "commands",
                  step_start: p["started"], step_end: 0 if running else p["finished"]}
        out["workflows"] = [{"id": 500 + number, "pid": 1, "name": "deploy", "state": deploy["state"], step_start: p["started"],
                             step_end: 0 if running else p["finished"], "children": [clone, deploy]}]
    return out


def make_handler(state, api, token):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send(self, status, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else (json.dumps(body) if not isinstance(body, str) else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            url = urlparse(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query, keep_blank_values=True).items()}
            if url.path == "/_control":
                for key, value in query.items():
                    setattr(state, key, int(value) if value.lstrip("-").isdigit() else (None if value == "" else value))
                return self.send(200, {"ok": True})
            if url.path == "/_requests":
                return self.send(200, {"most_in_flight": state.most_in_flight, "paths": state.paths})
            if url.path == "/version":
                return self.send(200, {"source": "https://github.com/woodpecker-ci/woodpecker", "version": "3.8.0" if api >= 3 else "2.8.3"})
            with state.lock:
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
                state.paths.append(url.path + ("?" + url.query if url.query else ""))
            try:
                self.api(url, query)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def api(self, url, query):
            auth = self.headers.get("Authorization", "")
            if auth == "Bearer forbidden":
                return self.send(403, "Forbidden", "text/plain")
            if auth != "Bearer " + token:
                return self.send(401, "Unauthorized", "text/plain")
            parts = url.path.strip("/").split("/")
            kind = "logs" if "logs" in parts else "pipelines" if "pipelines" in parts else "repo"
            time.sleep(0.02)  # a real server takes a moment: requests in flight overlap
            if state.hang == kind:
                time.sleep(120)
                return
            if state.malformed == kind:
                return self.send(200, '[{"number": 3, "status":')
            if parts[:4] == ["api", "repos", "lookup", "acme"] and len(parts) == 5:
                if parts[4] != "trading-dashboard":
                    return self.send(404, "Not Found", "text/plain")
                return self.send(200, {"id": REPO_ID, "forge_remote_id": "42", "owner": "acme", "name": "trading-dashboard",
                                       "full_name": "acme/trading-dashboard", "default_branch": "main"})
            if parts[:3] != ["api", "repos", str(REPO_ID)]:
                return self.send(404, "Not Found", "text/plain")
            numbers = state.numbers()
            if parts[3:] == ["pipelines"]:
                per_page = min(int(query.get("perPage", "50")), 50)
                page = max(int(query.get("page", "1")), 1)
                newest = list(reversed(numbers))[(page - 1) * per_page: page * per_page]
                return self.send(200, [shape(state, api, number, False) for number in newest])
            if len(parts) == 5 and parts[3] == "pipelines":
                number = int(parts[4]) if parts[4].isdigit() else None
                if number not in numbers:
                    return self.send(404, "Not Found", "text/plain")
                return self.send(200, shape(state, api, number, True))
            if len(parts) == 6 and parts[3] == "logs":
                number, step = int(parts[4]), int(parts[5])
                if number not in numbers:
                    return self.send(404, "Not Found", "text/plain")
                if step == number * 10 + 1:
                    return self.send(200, [{"id": 1, "step_id": step, "time": 0, "line": 0, "type": 0,
                                            "data": base64.b64encode(b"+ git clone https://example.com/acme/trading-dashboard.git").decode()}])
                if step != number * 10 + 2:
                    return self.send(404, "Not Found", "text/plain")
                if state.fail == number:
                    return self.send(500, "Internal Server Error", "text/plain")
                log = state.pipelines[number]["log"]
                if state.running == number:
                    log = log[: len(log) // 2]
                return self.send(200, log)
            return self.send(404, "Not Found", "text/plain")

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", required=True)
    parser.add_argument("--api", type=int, default=3)
    parser.add_argument("--token", default="secret-token")
    parser.add_argument("--bare", action="store_true")
    arguments = parser.parse_args()
    state = State(load(arguments.samples, arguments.bare))
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, arguments.api, arguments.token))
    server.daemon_threads = True
    print("listening on %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
