"""Simulates what `docker build --progress=plain` prints, build by build, and interleaves several builds the way a
CI log holds them when a deploy script starts them with `&` and waits.

Each simulated build knows the truth about itself (its steps, which ran and which were cached, whether the base image
was pulled, how it ended, its class), computed from what it was told to do, never from reading its own output. The
interleaved log keeps, for every line, which build printed it. make-samples.py writes samples with it, and
make-interleavings.py writes the logs of the attribution benchmark (`buildtime-bench attribution`).

The printer is modelled on moby/buildkit util/progress/progressui/printer.go as real logs show it:
- vertices are numbered per build in the order they are first displayed; `#0 building with ...` comes first
  (buildx >= 0.11), a blank line before each newly displayed header;
- a vertex's status, output and end lines follow its header; when the printer leaves a running vertex for another it
  prints `#N ...`, and the header again when it comes back, also to print only its end; after an end, the next line
  is a header (`printVtx` sets `p.current` to "" on completion);
- `#N 12.345 text` counts seconds from the vertex's start (3 decimals under 10 s, 2 under 100 s, 1 above);
- identical vertices of builds on one daemon are one vertex (same start, same output); its name can be the one the
  other build gave it (`[2/9]` in an 8-step Dockerfile);
- the printer writes in bursts: the lines of one progress tick, 1 to 20, reach the log together.
"""
import random

BASE = "docker.io/library/python:3.11-slim"
BASE_DIGEST = "sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c"
SYSTEM = "RUN apt-get update && apt-get install -y --no-install-recommends curl build-essential && rm -rf /var/lib/apt/lists/*"
UV = "RUN pip install --no-cache-dir uv==0.5.30"
DEPS = "RUN uv pip install --system -r requirements.txt"

# The team's three Dockerfiles (docs/PRODUCT.md): same base, system packages, uv and requirements; different code steps.
# Each step: (instruction, role); roles: from, shared (the common prefix), requirements, deps, code.
TEAM = [
    {"image": "trading-dashboard", "dockerfile": "web_dashboard/Dockerfile", "steps": [
        (f"FROM {BASE}@{BASE_DIGEST}", "from"), (SYSTEM, "shared"), (UV, "shared"), ("WORKDIR /app", "shared"),
        ("COPY requirements.txt .", "requirements"), (DEPS, "deps"), ("COPY web_dashboard/ ./web_dashboard/", "code"),
        ("COPY .streamlit/ ./.streamlit/", "code"), ("RUN python -m compileall -q web_dashboard", "code")]},
    {"image": "trading-dashboard-flask", "dockerfile": "Dockerfile.flask", "steps": [
        (f"FROM {BASE}@{BASE_DIGEST}", "from"), (SYSTEM, "shared"), (UV, "shared"), ("WORKDIR /app", "shared"),
        ("COPY requirements.txt .", "requirements"), (DEPS, "deps"), ("COPY flask_app/ ./flask_app/", "code"),
        ("RUN useradd --create-home app && chown -R app /app", "code")]},
    {"image": "cookie-refresher", "dockerfile": "Dockerfile.cookie-refresher", "steps": [
        (f"FROM {BASE}@{BASE_DIGEST}", "from"), (SYSTEM, "shared"), (UV, "shared"), ("WORKDIR /app", "shared"),
        ("COPY requirements.txt .", "requirements"), (DEPS, "deps"), ("COPY cookie_refresher.py .", "code")]},
]
# More images, for logs with more builds than the team's three: other bases, other sizes.
OTHERS = [
    {"image": "reports-worker", "dockerfile": "workers/Dockerfile", "steps": [
        ("FROM docker.io/library/python:3.12-slim@sha256:9c1e2b7a31d2f6d8e6b3e3c5a0f1d2c3b4a5968778695a4b3c2d1e0f9a8b7c6d", "from"),
        ("RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*", "shared"),
        ("WORKDIR /srv", "shared"), ("COPY pyproject.toml uv.lock ./", "requirements"),
        ("RUN pip install --no-cache-dir uv && uv sync --frozen --no-dev", "deps"), ("COPY workers/ ./workers/", "code")]},
    {"image": "docs-site", "dockerfile": "docs/Dockerfile", "steps": [
        ("FROM docker.io/library/node:20-alpine@sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4", "from"),
        ("WORKDIR /site", "shared"), ("COPY package.json package-lock.json ./", "requirements"), ("RUN npm ci --no-audit --no-fund", "deps"),
        ("COPY docs/ ./docs/", "code"), ("RUN npm run build", "code")]},
]
KINDS = ["cold", "code-only", "requirements", "no-change"]


def secs(t):
    """BuildKit's in-step log time: 3 decimals under 10 s, 2 under 100 s, 1 above."""
    return f"{t:.3f}" if t < 10 else f"{t:.2f}" if t < 100 else f"{t:.1f}"


def hexdigest(rng, n=64):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def runs(role, kind, code_changed):
    """Whether a step of this role runs (is not cached) in a build of this kind."""
    if role == "from":
        return kind == "cold"
    if kind == "cold":
        return True
    if kind == "requirements":
        return role in ("requirements", "deps", "code")
    if kind == "code-only":
        return role == "code" and code_changed
    return False


def image_class(kind, code_changed):
    """The class the build's own steps give it."""
    if kind == "code-only" and not code_changed:
        return "no-change"
    return kind


class Vertex:
    def __init__(self, name, start, role=None, step=None):
        self.name, self.start, self.role, self.step = name, start, role, step
        self.events = []  # (time, text after "#N ", is_end)
        self.shared = None  # the key of a vertex one daemon runs once for several builds


def joined(other, arrival):
    """A vertex another build of the same daemon runs, as a build that reaches it at `arrival` shows it: not before
    the build's own solve gets there (its definition is solved only after its base images' metadata loaded, a step
    only after its input), and then with the progress so far at once (BuildKit replays a shared vertex's progress
    to each job that joins it)."""
    start = max(other["start"], arrival)
    return start, [(max(when, start), text, end) for when, text, end in other["events"]]


def plan_vertices(rng, spec, kind, code_changed, t0, fail_at_deps, shared, speed):
    """The vertices one build displays with their timed events, before numbering. `shared` maps a step key to the
    timeline another build already made for an identical vertex (one daemon runs it once)."""
    steps = spec["steps"]
    total = len(steps)
    width = len(str(total))
    vertices = []
    t = t0

    def internal(name, duration, status=None):
        start = t
        v = Vertex(name, start)
        if status:
            v.events.append((start + duration * 0.7, status, False))
        v.events.append((start + duration, f"DONE {duration:.1f}s", True))
        return v

    file_name = spec["dockerfile"].split("/")[-1]
    size = 400 + len(steps) * 60 + rng.randint(0, 99)
    vertices.append(internal(f"[internal] load build definition from {file_name}", 0.02, f"transferring dockerfile: {size}B done"))
    t += 0.03
    base = steps[0][0].split(" ", 1)[1].split("@")[0]
    meta = rng.uniform(0.5, 1.5) if kind != "no-change" else rng.uniform(0.3, 0.9)
    vertices.append(internal(f"[internal] load metadata for {base}", meta))
    t += meta + 0.01
    vertices.append(internal("[internal] load .dockerignore", 0.02, "transferring context: 134B done"))
    t += 0.03
    # FROM and the build context run side by side.
    from_key = ("FROM", steps[0][0], kind)
    frm = Vertex(f"[{1:>{width}}/{total}] {steps[0][0]}", t, "from", 1)
    frm.events.append((t + 0.01, f"resolve {base}@{BASE_DIGEST if 'python:3.11' in base else 'sha256:' + hexdigest(rng)} 0.0s done", False))
    pulled = kind == "cold"
    from_end = t + 0.02
    if pulled:
        layers = [(hexdigest(rng), size) for size in (29.13, 3.51, 16.21, 0.25)]
        pull = rng.uniform(5, 9) / speed
        for digest, mb in layers:
            frm.events.append((t + 0.2, f"sha256:{digest} 0B / {mb:.2f}MB 0.2s", False))
        for i in range(1, 5):
            for digest, mb in layers:
                frm.events.append((t + pull * i / 4, f"sha256:{digest} {mb * i / 4:.2f}MB / {mb:.2f}MB {pull * i / 4 - 0.05:.1f}s{' done' if i == 4 else ''}", False))
        extract = t + pull
        for digest, _ in layers:
            e = rng.uniform(0.2, 1.2)
            extract += e
            frm.events.append((extract, f"extracting sha256:{digest} {e:.1f}s done", False))
        from_end = extract + 0.01
    frm.events.append((from_end, f"DONE {from_end - t:.1f}s", True))
    if from_key in shared:
        # The same base image on one daemon: one vertex, one pull, the same lines in every build's stream.
        other = shared[from_key]
        frm.start, frm.events = joined(other, t)
        from_end = max(other["end"], frm.start)
        frm.shared = from_key
    else:
        shared[from_key] = {"name": frm.name, "events": list(frm.events), "end": from_end, "start": frm.start, "builds": 0}
        frm.shared = from_key
    shared[from_key]["builds"] += 1
    ctx = Vertex("[internal] load build context", t + 0.02)
    context = {"cold": 1.2, "requirements": 0.9, "code-only": 2.5, "no-change": 0.8}[kind] * rng.uniform(0.6, 1.4)
    # A transfer's bytes so far only grow: the smaller of the two sizes is the one printed midway.
    sizes = sorted([rng.uniform(0.5, 4.5), rng.uniform(1.5, 4.5)])
    ctx.events.append((t + 0.05 + context * 0.5, f"transferring context: {sizes[0]:.2f}MB {context * 0.5 - 0.03:.1f}s", False))
    ctx.events.append((t + 0.05 + context, f"transferring context: {sizes[1]:.2f}MB {context - 0.03:.1f}s done", False))
    ctx.events.append((t + 0.06 + context, f"DONE {context:.1f}s", True))
    order = [frm, ctx] if rng.random() < 0.5 else [ctx, frm]
    vertices.extend(order)
    t = max(from_end, t + 0.06 + context) + 0.01
    truth_steps = []
    failed = False
    for index in range(2, total + 1):
        instruction, role = steps[index - 1]
        key = (spec["steps"][0][0], tuple(s[0] for s in steps[:index]))
        ran = runs(role, kind, code_changed)
        name = f"[{index:>{width}}/{total}] {instruction}"
        shareable = role in ("shared", "requirements", "deps")
        if shareable and key in shared and not (fail_at_deps and role == "deps"):
            # One daemon, one vertex: the same times and output, and maybe the name the other build gave it.
            other = shared[key]
            other["builds"] += 1
            start, events = joined(other, t)
            v = Vertex(other["name"] if rng.random() < 0.3 else name, start, role, index)
            v.events = events
            v.shared = key
            vertices.append(v)
            truth_steps.append((index, "done" if ran else "cached"))
            t = max(t, other["end"])
            continue
        v = Vertex(name, t, role, index)
        if not ran:
            v.events.append((t + 0.005, "CACHED", True))
            t += 0.01
        else:
            start = t
            lines = []
            if role == "deps" and fail_at_deps:
                lines = [(0.16, "Using Python 3.11.11 environment at: /usr/local"), (1.24, "  × No solution found when resolving dependencies:"),
                         (1.24, "  ╰─▶ Because you require pandas==2.2.3 and numpy<1.22, we can conclude that your requirements are unsatisfiable.")]
            elif role == "deps":
                dl = rng.uniform(40, 90) / speed
                lines = [(0.3, "Using Python 3.11.11 environment at: /usr/local"), (2.1, f"Resolved 57 packages in {rng.uniform(1.5, 3):.2f}s")]
                for i, pkg in enumerate(["plotly", "numpy", "pandas", "pyarrow", "streamlit"]):
                    lines.append((2.5 + dl * (i + 1) / 5, f" Downloaded {pkg}"))
                lines.append((3.5 + dl, f"Prepared 57 packages in {dl + 1:.2f}s"))
                lines.append((3.8 + dl, f"Installed 57 packages in {rng.randint(180, 420)}ms"))
                for pkg in ["streamlit==1.41.1", "flask==3.1.0", "pandas==2.2.3", "numpy==2.2.2", "requests==2.32.3"]:
                    lines.append((3.8 + dl, f" + {pkg}"))
            elif instruction.startswith("RUN apt-get"):
                for i, text in enumerate(["Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]", "Fetched 9096 kB in 2s (4420 kB/s)",
                                          "Reading package lists...", "0 upgraded, 41 newly installed, 0 to remove and 0 not upgraded.",
                                          "Setting up gcc-12 (12.2.0-14+deb12u1) ...", "Processing triggers for libc-bin (2.36-9+deb12u9) ..."]):
                    lines.append(((i + 1) * rng.uniform(3, 7) / speed, text))
            elif instruction.startswith("RUN pip install --no-cache-dir uv"):
                lines = [(1.1, "Collecting uv==0.5.30"), (2.9, "Downloading uv-0.5.30-py3-none-manylinux_2_17_x86_64.whl (15.6 MB)"),
                         (5.2, "Installing collected packages: uv"), (6.1, "Successfully installed uv-0.5.30")]
            elif instruction.startswith("RUN"):
                lines = [(rng.uniform(0.3, 2.0), "done")]
            elapsed = 0.0
            # Real processes vary: no two builds print at the same offsets.
            lines = [(offset * rng.uniform(0.9, 1.1) + rng.uniform(0, 0.05), text) for offset, text in lines]
            lines.sort(key=lambda line: line[0])
            for offset, text in lines:
                elapsed = max(elapsed, offset)
                v.events.append((start + offset, f"{secs(offset)} {text}", False))
            if role == "deps" and fail_at_deps:
                v.events.append((start + elapsed + 0.05, 'ERROR: process "/bin/sh -c uv pip install --system -r requirements.txt" did not complete successfully: exit code: 1', True))
                vertices.append(v)
                truth_steps.append((index, "failed"))
                failed = True
                t = start + elapsed + 0.06
                break
            duration = elapsed + (rng.uniform(0.05, 0.3) if lines else rng.uniform(0.05, 1.5 if role == "code" else 0.2))
            v.events.append((start + duration, f"DONE {duration:.1f}s", True))
            t = start + duration + 0.01
        if shareable and not failed:
            shared[key] = {"name": name, "events": list(v.events), "end": t, "start": v.start, "builds": 1}
            v.shared = key
        vertices.append(v)
        truth_steps.append((index, "done" if ran else "cached"))
    return vertices, truth_steps, pulled, failed, t


def print_build(rng, spec, kind, t0, tag, code_changed=True, fail=False, shared=None, announce=True, speed=1.0):
    """(time, line) of one build as BuildKit's plain printer writes it, and the truth about the build."""
    shared = {} if shared is None else shared
    vertices, steps, pulled, failed, t = plan_vertices(rng, spec, kind, code_changed, t0 + 0.05, fail, shared, speed)
    out = []
    if announce:
        out.append((t0 + 0.05, '#0 building with "default" instance using docker driver', None))
        out.append((t0 + 0.05, "", None))
    number = {}
    next_number = [1]
    current = [None]
    done = set()

    def show(v, when):
        if current[0] is v:
            return
        if current[0] is not None and current[0] not in done:
            out.append((when, f"#{number[id(current[0])]} ...", current[0].shared))
            out.append((when, "", None))
        if id(v) not in number:
            number[id(v)] = next_number[0]
            next_number[0] += 1
        out.append((when, f"#{number[id(v)]} {v.name}", v.shared))
        current[0] = v

    # Every event of every vertex, in time order (a vertex is displayed when its first event comes).
    timeline = []
    for order, v in enumerate(vertices):
        timeline.append((v.start, order, -1, v, "", False))
        for k, (when, text, end) in enumerate(v.events):
            timeline.append((when, order, k, v, text, end))
    timeline.sort(key=lambda e: (e[0], e[1], e[2]))
    for when, _, k, v, text, end in timeline:
        if k < 0:
            show(v, when)
            continue
        # A vertex's lines, its end too, come after its header: the printer shows the header again on coming back.
        show(v, when)
        out.append((when, f"#{number[id(v)]} {text}", v.shared))
        if end:
            done.add(v)
            out.append((when, "", None))
            if current[0] is v:
                current[0] = None
    name, _, version = tag.partition(":")
    tail = []
    if failed:
        failing = next(v for v in vertices if v.step == steps[-1][0])
        tail.append((t + 0.01, "------"))
        tail.append((t + 0.01, f" > {failing.name}:"))
        tail.append((t + 0.01, "0.156 Using Python 3.11.11 environment at: /usr/local"))
        tail.append((t + 0.01, "1.244   × No solution found when resolving dependencies:"))
        tail.append((t + 0.01, "------"))
        tail.append((t + 0.02, 'ERROR: failed to solve: process "/bin/sh -c uv pip install --system -r requirements.txt" did not complete successfully: exit code: 1'))
        end_time = t + 0.02
    else:
        n = next_number[0]
        export = {"cold": 8, "requirements": 6, "code-only": 4, "no-change": 0.1}[image_class(kind, code_changed)] * rng.uniform(0.7, 1.3)
        tail.append((t + 0.01, f"#{n} exporting to image"))
        tail.append((t + 0.01 + export, f"#{n} exporting layers {export:.1f}s done" if export > 0.2 else f"#{n} exporting layers done"))
        tail.append((t + 0.03 + export, f"#{n} writing image sha256:{hexdigest(rng)} done"))
        tail.append((t + 0.04 + export, f"#{n} naming to docker.io/library/{tag} done"))
        tail.append((t + 0.05 + export, f"#{n} DONE {export + 0.04:.1f}s"))
        end_time = t + 0.05 + export
    out.extend((when, text, None) for when, text in tail)
    steps_total = len(spec["steps"]) - 1
    cached = sum(1 for _, status in steps if status == "cached")
    deps_index = next(i for i, (_, role) in enumerate(spec["steps"], start=1) if role == "deps")
    deps = next((status for index, status in steps if index == deps_index), None)
    if failed:
        klass = "cold" if cached == 0 else "requirements"
    else:
        klass = image_class(kind, code_changed)
    truth = {"name": name, "class": klass, "steps": len(steps) if failed else steps_total, "cached": cached,
             "dependency": "cached" if deps == "cached" else "ran" if deps else "none", "pulled": pulled,
             "outcome": "failed" if failed else "succeeded", "builder": "buildkit",
             "start": t0 + 0.05, "end": end_time, "statuses": {str(i): s for i, s in steps},
             "instructions": {str(i): spec["steps"][i - 1][0] for i, _ in steps if 0 < i <= len(spec["steps"])}}
    return out, truth


def bursts(rng, lines, tick=0.15, most=20):
    """Groups one build's lines as the printer writes them: the lines of one tick (at most `most`) reach the log at
    once, at the time of the last."""
    groups, current = [], []
    limit = rng.randint(1, most)
    for when, text, key in lines:
        if current and (when - current[0][0] > tick or len(current) >= limit):
            groups.append(current)
            current, limit = [], rng.randint(1, most)
        current.append((when, text, key))
    if current:
        groups.append(current)
    return [(group[-1][0], [(text, key) for _, text, key in group]) for group in groups]


def interleave(rng, builds):
    """One log of several builds' bursts in time order: [(time, line, owner, shared key)], owner the build's index."""
    # Merged head by head: bursts of one stamp from several builds come in any order, a build's own in its order.
    queues = [list(bursts(rng, lines)) for lines in builds]
    heads = [0] * len(queues)
    out = []
    while True:
        ready = [(queues[b][heads[b]][0], rng.random(), b) for b in range(len(queues)) if heads[b] < len(queues[b])]
        if not ready:
            return out
        when, _, owner = min(ready)
        out.extend((when, text, owner, key) for text, key in queues[owner][heads[owner]][1])
        heads[owner] += 1


def parallel_run(rng, specs, kind, start=0.0, fail=None, announce=True, commands=True, sha="latest", code_changes=None):
    """Several builds started together with `&`: their interleaved lines [(time, line, owner or -1)] and the truth
    about each build. `fail` is the index of a build whose dependency install fails."""
    shared = {}
    builds, truths, preamble = [], [], []
    order = list(range(len(specs)))
    for position, i in enumerate(order):
        spec = specs[i]
        tag = f"{spec['image']}:{sha}"
        if commands:
            dockerfile = "" if spec["dockerfile"] == "Dockerfile" else f" -f {spec['dockerfile']}"
            preamble.append((start + 0.001 * position, f"+ docker build --progress=plain{dockerfile} -t {tag} .", -1))
        changed = True if code_changes is None else code_changes[i]
        lines, truth = print_build(rng, spec, kind, start + rng.uniform(0, 0.08), tag, code_changed=changed, fail=fail == i,
                                   shared=shared, announce=announce, speed=rng.uniform(0.8, 1.25))
        if not commands and fail == i:
            truth["name"] = spec["dockerfile"].split("/")[-1]
        builds.append(lines)
        truths.append(truth)
    lines = interleave(rng, builds)
    # A line of a vertex one daemon ran for several builds (its header, `#N ...`, its status and output) is the same
    # line in each of their streams when they print the same text (the same number, and for a header the same name):
    # any of them may own each copy.
    sharers = {}
    for _, text, owner, key in lines:
        if key is not None:
            sharers.setdefault((key, text), set()).add(owner)
    def group(text, key):
        owners = sharers.get((key, text), ()) if key is not None else ()
        return sorted(owners) if len(owners) > 1 else []
    return [(when, text, owner, []) for when, text, owner in preamble] + \
        [(when, text, owner, group(text, key)) for when, text, owner, key in lines], truths
