#!/usr/bin/env python3
"""Writes the sample logs in samples/logs and their expected results in samples/expected.json.

The samples are runs of the pipeline in docs/PRODUCT.md: three BuildKit builds started with `&` and `wait`, whose
plain-progress output interleaves line by line in one log, then tagging and a parallel deploy. Each kind of run
(cold, code-only, requirements, no-change) is simulated with realistic step durations, then written in the formats
buildtime reads. The expected phase durations are computed here, independently of the Swift parser, from the exact
times each marker line was written (truncated to whole seconds where the format only keeps seconds).

Run from the repository root: python3 samples/tools/make-samples.py
"""
import base64, datetime, gzip, json, os, random, sys

sys.path.insert(0, os.path.dirname(__file__))
import buildsim  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..")
IMAGES = [("trading-dashboard", "streamlit run app.py"), ("trading-dashboard-flask", "gunicorn app:app"), ("cookie-refresher", "python refresher.py")]
BUILD_START = "Building Docker images in parallel..."
BUILT = "✅ All images built and tagged"
DEPLOYED = "✅ All containers deployed successfully"
STEPS = [
    "FROM docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c",
    "RUN apt-get update && apt-get install -y --no-install-recommends curl build-essential && rm -rf /var/lib/apt/lists/*",
    "RUN pip install --no-cache-dir uv==0.5.30",
    "WORKDIR /app",
    "COPY requirements.txt .",
    "RUN uv pip install --system -r requirements.txt",
    "COPY . .",
]
PACKAGES = ["streamlit==1.41.1", "flask==3.1.0", "gunicorn==23.0.0", "pandas==2.2.3", "numpy==2.2.2", "requests==2.32.3",
            "plotly==5.24.1", "sqlalchemy==2.0.37", "psycopg2-binary==2.9.10", "python-dotenv==1.0.1", "pyarrow==19.0.0",
            "altair==5.5.0", "redis==5.2.1", "apscheduler==3.11.0", "yfinance==0.2.52", "beautifulsoup4==4.12.3"]


def hexdigest(rng, n=64):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def secs(t):
    """BuildKit's in-step log time: 3 decimals under 10 s, 2 under 100 s, 1 above."""
    return f"{t:.3f}" if t < 10 else f"{t:.2f}" if t < 100 else f"{t:.1f}"


def build_events(rng, image, kind, t0, slow=1.0, fail=False, context=1.0, cpu=1.0):
    """(time, line) events of one `docker build --progress=plain -t IMAGE .`, starting at t0. With `fail`, uv cannot
    resolve the requirements and the build stops at the dependency step with BuildKit's failure summary. `slow`
    stretches the downloads (apt, base image, uv), `context` the build context's transfer and the code copy, `cpu`
    everything."""
    name, _ = image
    ev = []
    t = t0

    def add(dt, line):
        nonlocal t
        t += dt * cpu
        ev.append((t, line))

    add(0.05, '#0 building with "default" instance using docker driver')
    add(0.0, "")
    add(0.02, "#1 [internal] load build definition from Dockerfile")
    add(0.01, "#1 transferring dockerfile: 612B done")
    add(0.01, "#1 DONE 0.0s")
    add(0.0, "")
    add(0.01, "#2 [internal] load metadata for docker.io/library/python:3.11-slim")
    meta = rng.uniform(2.5, 4.5) if kind == "no-change" else rng.uniform(0.6, 1.4)
    add(meta, f"#2 DONE {meta:.1f}s")
    add(0.0, "")
    add(0.01, "#3 [internal] load .dockerignore")
    add(0.01, "#3 transferring context: 134B done")
    add(0.01, "#3 DONE 0.0s")
    add(0.0, "")
    n = 4
    step_vertex = {}
    # FROM
    add(0.01, f"#{n} [1/7] {STEPS[0]}")
    step_vertex[1] = n
    if kind == "cold":
        add(0.01, f"#{n} resolve docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c 0.0s done")
        layers = [(hexdigest(rng), size) for size in (29.13, 3.51, 16.21, 0.25)]
        for digest, size in layers:
            add(0.02, f"#{n} sha256:{digest} 0B / {size:.2f}MB 0.2s")
        pull = rng.uniform(5, 9) * slow
        for i in range(1, 5):
            for digest, size in layers:
                add(pull / 16, f"#{n} sha256:{digest} {size * i / 4:.2f}MB / {size:.2f}MB {pull * i / 4:.1f}s{' done' if i == 4 else ''}")
        for digest, size in layers:
            ext = rng.uniform(0.2, 1.6)
            add(ext, f"#{n} extracting sha256:{digest} {ext:.1f}s done")
        add(0.01, f"#{n} DONE {t - t0 - meta - 0.15:.1f}s")
    else:
        add(0.01, f"#{n} resolve docker.io/library/python:3.11-slim@sha256:2ec5a4a5c3e919570f57675471f081d6299668d909feabd8d4803c6c61af666c 0.0s done")
        add(0.01, f"#{n} DONE 0.0s")
    add(0.0, "")
    n += 1
    ctx = {"cold": 1.2, "requirements": 0.9, "code-only": 12, "no-change": 1.0}[kind] * rng.uniform(0.8, 1.2) * context
    add(0.01, f"#{n} [internal] load build context")
    add(ctx, f"#{n} transferring context: {rng.uniform(1.5, 4.5) * context:.2f}MB {ctx * cpu:.1f}s done")
    add(0.01, f"#{n} DONE {ctx * cpu:.1f}s")
    add(0.0, "")
    ctx_vertex = n
    n += 1
    # which steps run
    runs_from = {"cold": 2, "requirements": 5, "code-only": 7, "no-change": 99}[kind]
    for index in range(2, 8):
        step = STEPS[index - 1]
        add(0.01, f"#{n} [{index}/7] {step}")
        if index < runs_from:
            add(0.0, f"#{n} CACHED")
            add(0.0, "")
            n += 1
            continue
        start = t
        if index == 2:
            for i, pkg in enumerate(["Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]", "Get:2 http://deb.debian.org/debian bookworm-updates InRelease [55.4 kB]",
                                     "Get:4 http://deb.debian.org/debian bookworm/main amd64 Packages [8792 kB]", "Fetched 9096 kB in 2s (4420 kB/s)",
                                     "Reading package lists...", "The following NEW packages will be installed:", "  binutils bzip2 cpp-12 curl g++ gcc-12 libc6-dev make",
                                     "0 upgraded, 41 newly installed, 0 to remove and 0 not upgraded.", "Need to get 61.3 MB of archives.",
                                     "Setting up gcc-12 (12.2.0-14+deb12u1) ...", "Processing triggers for libc-bin (2.36-9+deb12u9) ..."]):
                add(rng.uniform(3, 8) * slow, f"#{n} {secs(t - start)} {pkg}")
        elif index == 3:
            add(rng.uniform(1.0, 2.0), f"#{n} {secs(t - start + 1.1)} Collecting uv==0.5.30")
            add(rng.uniform(0.5, 1.5), f"#{n} {secs(t - start + 1.1)}   Downloading uv-0.5.30-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.metadata (11 kB)")
            add(rng.uniform(1.0, 2.5), f"#{n} {secs(t - start + 1.1)} Downloading uv-0.5.30-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl (15.6 MB)")
            add(rng.uniform(1.0, 2.0), f"#{n} {secs(t - start + 1.1)} Installing collected packages: uv")
            add(rng.uniform(0.3, 0.8), f"#{n} {secs(t - start + 1.1)} Successfully installed uv-0.5.30")
        elif index == 4:
            pass
        elif index == 5:
            add(0.05, "")
        elif index == 6 and fail:
            add(0.16, f"#{n} {secs(t - start)} Using Python 3.11.11 environment at: /usr/local")
            add(1.08, f"#{n} {secs(t - start)}   × No solution found when resolving dependencies:")
            add(0.0, f"#{n} {secs(t - start)}   ╰─▶ Because you require pandas==2.2.3 and numpy<1.22, we can conclude that your requirements are unsatisfiable.")
            add(0.05, f"#{n} ERROR: process \"/bin/sh -c uv pip install --system -r requirements.txt\" did not complete successfully: exit code: 1")
            add(0.01, "------")
            add(0.0, f" > [6/7] RUN uv pip install --system -r requirements.txt:")
            add(0.0, "0.156 Using Python 3.11.11 environment at: /usr/local")
            add(0.0, "1.244   × No solution found when resolving dependencies:")
            add(0.0, "1.244   ╰─▶ Because you require pandas==2.2.3 and numpy<1.22, we can conclude that your requirements are unsatisfiable.")
            add(0.0, "------")
            add(0.0, "Dockerfile:6")
            add(0.0, "--------------------")
            add(0.0, "   5 |     COPY requirements.txt .")
            add(0.0, "   6 | >>> RUN uv pip install --system -r requirements.txt")
            add(0.0, "   7 |     COPY . .")
            add(0.0, "--------------------")
            add(0.0, "ERROR: failed to solve: process \"/bin/sh -c uv pip install --system -r requirements.txt\" did not complete successfully: exit code: 1")
            return ev
        elif index == 6:
            add(0.3, f"#{n} {secs(t - start)} Using Python 3.11.11 environment at: /usr/local")
            resolve = rng.uniform(1.5, 3.0) * slow
            add(resolve, f"#{n} {secs(t - start)} Resolved 57 packages in {resolve:.2f}s")
            for pkg in ["pyarrow (38.7MiB)", "pandas (12.4MiB)", "numpy (15.6MiB)", "streamlit (8.6MiB)", "plotly (18.3MiB)"]:
                add(rng.uniform(0.3, 1.0), f"#{n} {secs(t - start)} Downloading {pkg}")
            dl = {"cold": 80, "requirements": 75}[kind] * rng.uniform(0.8, 1.2) * slow
            for pkg in ["plotly", "numpy", "pandas", "pyarrow", "streamlit"]:
                add(dl / 5, f"#{n} {secs(t - start)}  Downloaded {pkg}")
            add(rng.uniform(0.5, 1.5), f"#{n} {secs(t - start)} Prepared 57 packages in {dl + 3:.2f}s")
            add(rng.uniform(0.1, 0.4), f"#{n} {secs(t - start)} Installed 57 packages in {rng.randint(180, 420)}ms")
            for pkg in PACKAGES:
                add(0.0, f"#{n} {secs(t - start)}  + {pkg}")
        elif index == 7:
            add(rng.uniform(2.0, 5.0) * context if kind == "code-only" else rng.uniform(0.2, 1.0), "")
        if ev[-1][1] == "":
            ev.pop()
        add(0.02, f"#{n} DONE {t - start:.1f}s")
        add(0.0, "")
        n += 1
    # export
    add(0.01, f"#{n} exporting to image")
    if kind == "no-change":
        add(0.02, f"#{n} exporting layers done")
    else:
        exp = {"cold": 9, "requirements": 7, "code-only": 12}[kind] * rng.uniform(0.8, 1.3)
        add(exp, f"#{n} exporting layers {exp:.1f}s done")
    add(0.03, f"#{n} writing image sha256:{hexdigest(rng)} done")
    add(0.01, f"#{n} naming to docker.io/library/{name}:latest done")
    add(0.01, f"#{n} DONE {t - ev[-4][0]:.1f}s")
    return ev


def legacy_build_events(rng, image, kind, t0):
    """(time, line) events of one legacy-builder `DOCKER_BUILDKIT=0 docker build -t IMAGE .`, starting at t0."""
    name, _ = image
    ev = []
    t = t0

    def add(dt, line):
        nonlocal t
        t += dt
        ev.append((t, line))

    add(0.05, "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.")
    add(0.0, "            Install the buildx component to build images with BuildKit:")
    add(0.0, "            https://docs.docker.com/go/buildx/")
    add(0.0, "")
    add(rng.uniform(6.0, 10.0), f"Sending build context to Docker daemon  {rng.uniform(200, 400):.1f}MB")
    runs_from = {"cold": 2, "requirements": 5, "code-only": 7, "no-change": 99}[kind]
    for index, step in enumerate(STEPS, start=1):
        instruction = step.replace("docker.io/library/", "").split("@")[0] if index == 1 else step
        add(0.05, f"Step {index}/7 : {instruction}")
        if index == 1:
            add(0.01, f" ---> {hexdigest(rng, 12)}")
            continue
        if index < runs_from:
            add(0.02, " ---> Using cache")
            add(0.0, f" ---> {hexdigest(rng, 12)}")
            continue
        if step.startswith("RUN"):
            cid = hexdigest(rng, 12)
            add(0.3, f" ---> Running in {cid}")
            add(rng.uniform(3, 9), "Successfully installed uv-0.5.30" if index == 3 else "Installed 57 packages in 312ms" if index == 6 else "Setting up curl (7.88.1-10+deb12u8) ...")
            add(0.4, f"Removing intermediate container {cid}")
        else:
            add(rng.uniform(0.5, 2.0) if kind == "code-only" else 0.3, "")
            ev.pop()
        add(0.05, f" ---> {hexdigest(rng, 12)}")
    add(0.1, f"Successfully built {hexdigest(rng, 12)}")
    add(0.02, f"Successfully tagged {name}:latest")
    return ev


def run_events(rng, kind, failing=False, legacy=False, prefixes=None, slow=1.0, context=1.0, cpu=1.0, sequential=False,
               slow_deploy=False, preamble=()):
    """The whole deploy step's (time, line) events, starting at 0. With `failing`, the last image's build fails;
    `sequential` builds the images one after another (the `&` lost); `slow_deploy` stops and starts the containers one
    at a time; `preamble` lines (CI variables, `docker system df`, ...) come first."""
    ev = [(0.0, line) for line in preamble] + [(0.0, "+ ./deploy.sh"), (0.02, BUILD_START)]
    t = 0.05
    builds = []
    for i, image in enumerate(IMAGES):
        if legacy:
            # The legacy builder's output cannot be told apart when interleaved, so this pipeline builds in turn.
            events = legacy_build_events(rng, image, kind, builds[-1][0] if builds else t)
        else:
            start = builds[-1][0] + 0.05 if sequential and builds else t + i * 0.01
            events = build_events(rng, image, kind, start + rng.uniform(0, 0.05), fail=failing and i == len(IMAGES) - 1,
                                  slow=slow, context=context, cpu=cpu)
        if prefixes:
            events = [(when, f"[{prefixes[i]}] {line}") for when, line in events]
        builds.extend(events)
    builds.sort(key=lambda e: e[0])
    ev.extend(builds)
    t = builds[-1][0] + 0.1
    if failing:
        return ev
    # the `wait` returns, then tagging is quick
    for name, _ in IMAGES:
        t += 0.05
        ev.append((t, f"Tagging {name}:latest as {name}:{SHA}"))
    t += 0.1
    ev.append((t, BUILT))
    t += 0.05
    ev.append((t, "Stopping old containers in parallel..."))
    t += rng.uniform(3.5, 6.5) * (3 if slow_deploy else 1)
    for name, _ in IMAGES:
        t += 0.02
        ev.append((t, name))
    ev.append((t + 0.05, "Starting new containers in parallel..."))
    t += rng.uniform(2.0, 3.5) * (3 if slow_deploy else 1)
    for name, _ in IMAGES:
        t += 0.03
        ev.append((t, hexdigest(rng)))
    t += 0.4
    ev.append((t, "Copying static files (only newer)..."))
    t += rng.uniform(0.5, 1.5)
    ev.append((t, "Removing old images (keeping the 5 newest per repository)..."))
    for name, _ in IMAGES:
        t += rng.uniform(0.3, 0.9)
        ev.append((t, f"Untagged: {name}:{hexdigest(rng, 40)}"))
        ev.append((t, f"Deleted: sha256:{hexdigest(rng)}"))
    t += 0.2
    ev.append((t, DEPLOYED))
    return ev


SHA = ""
START = datetime.datetime(2026, 11, 2, 9, 14, 3, tzinfo=datetime.timezone.utc)


def iso(t):
    stamp = START + datetime.timedelta(milliseconds=round(t * 1000))
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def marker_times(ev):
    def first(text, after=0.0):
        return next(t for t, line in ev if line == text and t >= after)
    b0 = first(BUILD_START)
    b1 = first(BUILT) if any(l == BUILT for _, l in ev) else None
    d1 = first(DEPLOYED) if any(l == DEPLOYED for _, l in ev) else None
    return b0, b1, d1


def image_facts(kind, failing=False, legacy=False):
    """What each image build did: the same Dockerfile, so the kind decides; the failing build stops at step 6."""
    cached = {"cold": 0, "requirements": 3, "code-only": 5, "no-change": 6}[kind]
    facts = []
    for i, (name, _) in enumerate(IMAGES):
        fails = failing and i == len(IMAGES) - 1
        facts.append({"name": "Dockerfile" if fails else name, "class": kind, "steps": 5 if fails else 6, "cached": cached,
                      "dependency": "cached" if cached >= 5 else "ran", "pulled": kind == "cold" and not legacy,
                      "outcome": "failed" if fails else "succeeded", "builder": "legacy" if legacy else "buildkit"})
    return facts


def expected(ev, resolution, kind, fmt, lines, timestamps=True, failing=False, legacy=False, exact=False):
    """What buildtime should find; `ev` holds each line's time as the log states it."""
    q = (lambda t: float(int(t))) if resolution == 1 else (lambda t: round(t, 3))
    b0, b1, d1 = marker_times(ev)
    total = q(ev[-1][0]) - q(ev[0][0]) if timestamps else None
    phases = {"build": None, "deploy": None}
    if timestamps and b1 is not None:
        phases["build"] = round(q(b1) - q(b0), 3)
    if timestamps and d1 is not None:
        phases["deploy"] = round(q(d1) - q(b1), 3)
    return {"kind": kind, "format": fmt, "lines": lines, "total": None if total is None else round(total, 3),
            "images": image_facts(kind, failing, legacy), "attribution": "exact" if exact or legacy else None,
            "phases": phases, "missing": {"build": None if b1 else "end", "deploy": None if d1 else ("start" if not b1 else "end")}}


def team_run_events(rng, specs, kind, fail=None, code_changes=None, sha="latest"):
    """The deploy step of the team's pipeline with the builds simulated line by line (samples/tools/buildsim.py): the
    script traces its commands (`set -x`), starts the builds with `&`, waits, tags and deploys."""
    ev = [(0.0, "+ ./deploy.sh"), (0.02, BUILD_START)]
    lines, truths = buildsim.parallel_run(rng, specs, kind, start=0.05, fail=fail, sha=sha, code_changes=code_changes)
    ev.extend((t, text) for t, text, _, _ in lines)
    t = max(t for t, _ in ev) + 0.1
    if fail is not None:
        return ev, truths
    for spec in specs:
        t += 0.05
        ev.append((t, f"+ docker tag {spec['image']}:{sha} {spec['image']}:latest"))
    t += 0.1
    ev.append((t, BUILT))
    t += 0.05
    ev.append((t, "Stopping old containers in parallel..."))
    t += rng.uniform(3.5, 6.5)
    ev.append((t, "Starting new containers in parallel..."))
    t += rng.uniform(2.0, 3.5)
    for spec in specs:
        t += 0.03
        ev.append((t, buildsim.hexdigest(rng)))
    t += rng.uniform(0.8, 2.0)
    ev.append((t, DEPLOYED))
    return ev, truths


def team_expected(ev, truths, kind, fmt="text", resolution=0.001, failed=False):
    """What buildtime should find in a team run: the phases from the marker lines' times, each build's truth."""
    q = (lambda t: float(int(t))) if resolution == 1 else (lambda t: round(t, 3))
    b0, b1, d1 = marker_times(ev)
    images = [{key: truth[key] for key in ("name", "class", "steps", "cached", "dependency", "pulled", "outcome", "builder")} for truth in truths]
    return {"kind": kind, "format": fmt, "lines": len(ev), "total": round(q(ev[-1][0]) - q(ev[0][0]), 3), "images": images,
            "attribution": None,
            "phases": {"build": None if failed else round(q(b1) - q(b0), 3), "deploy": None if failed else round(q(d1) - q(b1), 3)},
            "missing": {"build": "end" if failed else None, "deploy": "start" if failed else None}}


def team_samples(results):
    """The team's own pipeline: three different Dockerfiles (docs/PRODUCT.md), and the variations beside it."""
    for seed, kind in enumerate(buildsim.KINDS):
        rng = random.Random(300 + seed)
        sha = buildsim.hexdigest(rng, 7)
        changes = [True, False, True] if kind == "code-only" else None
        ev, truths = team_run_events(rng, buildsim.TEAM, kind, code_changes=changes, sha=sha)
        write(f"team-{kind}.log", "".join(f"{iso(t)} {line}\n" for t, line in ev))
        results[f"team-{kind}.log"] = team_expected(ev, truths, kind)
    # The Flask image's dependency install fails beside two builds that succeed; the deploy never starts.
    rng = random.Random(310)
    ev, truths = team_run_events(rng, buildsim.TEAM, "requirements", fail=1, sha=buildsim.hexdigest(rng, 7))
    write("team-failed-flask.log", "".join(f"{iso(t)} {line}\n" for t, line in ev))
    results["team-failed-flask.log"] = team_expected(ev, truths, "requirements", failed=True)
    # Two builds, and five.
    rng = random.Random(311)
    ev, truths = team_run_events(rng, [buildsim.TEAM[0], buildsim.OTHERS[1]], "code-only", sha=buildsim.hexdigest(rng, 7))
    write("two-builds-code-only.log", "".join(f"{iso(t)} {line}\n" for t, line in ev))
    results["two-builds-code-only.log"] = team_expected(ev, truths, "code-only")
    # Five builds, two pairs of them on one base image; `buildtime-bench attribution` measures how often five builds
    # are misread.
    rng = random.Random(314)
    ev, truths = team_run_events(rng, buildsim.TEAM + buildsim.OTHERS, "cold", sha=buildsim.hexdigest(rng, 7))
    write("five-builds-cold.log", "".join(f"{iso(t)} {line}\n" for t, line in ev))
    results["five-builds-cold.log"] = team_expected(ev, truths, "cold")
    # Jenkins' timestamper: `HH:MM:SS  ` and every line of the build indented by a space; whole seconds.
    rng = random.Random(313)
    ev, truths = team_run_events(rng, buildsim.TEAM, "requirements", sha=buildsim.hexdigest(rng, 7))

    def jenkins(t, line):
        stamp = (START + datetime.timedelta(seconds=int(t))).strftime("%H:%M:%S")
        return f"{stamp}  {' ' if line.startswith('#') else ''}{line}\n"
    write("jenkins-indented-requirements.log", "".join(jenkins(t, line) for t, line in ev))
    results["jenkins-indented-requirements.log"] = team_expected(ev, truths, "requirements", resolution=1)


def write(name, data):
    path = os.path.join(OUT, "logs", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)


def main():
    global SHA
    results = {}
    for seed, kind in enumerate(["cold", "code-only", "requirements", "no-change"]):
        rng = random.Random(100 + seed)
        SHA = hexdigest(rng, 40)
        ev = run_events(rng, kind)
        # Timestamped text, as a CI that stamps lines (GitHub Actions style) keeps it.
        text = "".join(f"{iso(t)} {line}\n" for t, line in ev)
        write(f"{kind}.log", text)
        results[f"{kind}.log"] = expected(ev, 0.001, kind, "text", len(ev))
        # Woodpecker v3 API JSON: one entry per line, `time` in whole seconds since the step started.
        entries = [{"id": 9000 + i, "step_id": 412, "time": int(t), "line": i, "data": base64.b64encode(line.encode()).decode(), "type": 0}
                   for i, (t, line) in enumerate(ev)]
        pipeline = {"cold": 141, "code-only": 142, "requirements": 143, "no-change": 144}[kind]
        write(f"acme-trading-dashboard-{pipeline}-deploy.json", json.dumps(entries, separators=(",", ":")))
        results[f"acme-trading-dashboard-{pipeline}-deploy.json"] = dict(expected(ev, 1, kind, "woodpecker-json", len(ev)), pipeline=pipeline, step="deploy", repo="acme-trading-dashboard")

    # A requirements run stored by Woodpecker < 2.6: entries are chunks with their newlines, sometimes several
    # lines, sometimes half a line; as the file store keeps them, one JSON object per line, gzip-compressed.
    rng = random.Random(7)
    SHA = hexdigest(rng, 40)
    ev = run_events(rng, "requirements")
    chunks, i = [], 0
    while i < len(ev):
        take = rng.choice([1, 1, 1, 2, 3])
        group = ev[i:i + take]
        data = "".join(line + "\n" for _, line in group)
        if rng.random() < 0.1 and len(data) > 20:
            cut = len(data) // 3
            chunks.append((group[0][0], data[:cut]))
            chunks.append((group[-1][0], data[cut:]))
        else:
            chunks.append((group[0][0], data))
        i += take
    body = "".join(json.dumps({"id": 500 + k, "step_id": 77, "time": int(t), "line": k, "data": base64.b64encode(d.encode()).decode(), "type": 0}, separators=(",", ":")) + "\n"
                   for k, (t, d) in enumerate(chunks))
    write("woodpecker-2.5-filestore-requirements.jsonl.gz", gzip.compress(body.encode(), mtime=0))
    # A line's time is the time of the entry its first byte arrived in.
    stated, partial = [], None
    for t, d in chunks:
        pieces = d.split("\n")
        for piece in pieces[:-1]:
            stated.append((partial[0] if partial else t, (partial[1] if partial else "") + piece))
            partial = None
        if pieces[-1]:
            partial = (partial[0], partial[1] + pieces[-1]) if partial else (t, pieces[-1])
    assert [line for _, line in stated] == [line for _, line in ev]
    results["woodpecker-2.5-filestore-requirements.jsonl.gz"] = expected(stated, 1, "requirements", "woodpecker-jsonl", len(ev))

    # A code-only run as downloaded from the Woodpecker web UI: no timestamps at all.
    rng = random.Random(11)
    SHA = hexdigest(rng, 40)
    ev = run_events(rng, "code-only")
    write("acme-trading-dashboard-150-deploy.log", "\n".join(line for _, line in ev))
    results["acme-trading-dashboard-150-deploy.log"] = dict(expected(ev, 1, "code-only", "text", len(ev), timestamps=False), pipeline=150, step="deploy", repo="acme-trading-dashboard")

    # A no-change run piped through `ts '[%H:%M:%.S]'`-style bracketed clock stamps, over midnight, with colours.
    rng = random.Random(13)
    SHA = hexdigest(rng, 40)
    ev = run_events(rng, "no-change")
    base = 23 * 3600 + 59 * 60 + 55.0

    def clock(t):
        v = (base + round(t * 1000) / 1000) % 86400
        return f"[{int(v // 3600):02d}:{int(v % 3600 // 60):02d}:{v % 60:06.3f}]"
    colour = {BUILT: f"\x1b[32m{BUILT}\x1b[0m", DEPLOYED: f"\x1b[1;32m{DEPLOYED}\x1b[0m"}
    write("no-change-over-midnight.log", "".join(f"{clock(t)} {colour.get(line, line)}\r\n" for t, line in ev))
    results["no-change-over-midnight.log"] = expected(ev, 0.001, "no-change", "text", len(ev))

    # A cold run whose third build (cookie-refresher) failed: uv could not resolve; the deploy never happened.
    rng = random.Random(17)
    SHA = hexdigest(rng, 40)
    ev = run_events(rng, "cold", failing=True)
    write("cold-failed-uv-resolution.log", "".join(f"{iso(t)} {line}\n" for t, line in ev))
    results["cold-failed-uv-resolution.log"] = expected(ev, 0.001, "cold", "text", len(ev), failing=True)

    # A requirements run whose deploy script prefixes each build's output (`2>&1 | sed -u 's/^/[flask] /'`), so the
    # interleaved lines can be told apart exactly.
    rng = random.Random(19)
    SHA = hexdigest(rng, 40)
    ev = run_events(rng, "requirements", prefixes=["dashboard", "flask", "refresher"])
    write("requirements-prefixed-streams.log", "".join(f"{iso(t)} {line}\n" for t, line in ev))
    results["requirements-prefixed-streams.log"] = expected(ev, 0.001, "requirements", "text", len(ev), exact=True)

    # A code-only run on a machine without BuildKit (DOCKER_BUILDKIT=0): the legacy builder, one image after the
    # other, stamped by moreutils `ts` (its default `%b %d %H:%M:%S`).
    rng = random.Random(23)
    SHA = hexdigest(rng, 40)
    ev = run_events(rng, "code-only", legacy=True)

    def ts(t):
        stamp = START + datetime.timedelta(seconds=int(t))
        return stamp.strftime("%b %d %H:%M:%S")
    write("code-only-legacy-builder.log", "".join(f"{ts(t)} {line}\n" for t, line in ev))
    results["code-only-legacy-builder.log"] = expected(ev, 1, "code-only", "text", len(ev), legacy=True)

    team_samples(results)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(results, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
