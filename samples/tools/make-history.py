#!/usr/bin/env python3
"""Writes samples/history/: 64 runs of the brief's pipeline over three weeks, as a Woodpecker step would print them
(ISO-8601 stamps, gzip-compressed, the CI variables, `docker system df`, `df -P` and `uptime` before the deploy), with realistic noise
and these planted events, listed in history-expected.json with what buildtime should say about each run:

- a level shift: from pipeline #240 on, code-only builds are slower (the build context grew: `.dockerignore` lost);
- a one-off outlier: #222 ran while the machine was busy (load 7.8 on 4 cores, every step slower);
- the build cache grown huge (#226), the disk nearly full (#247), images piling up (#253);
- a lost cache (#230): only code changed, yet everything rebuilt from a pulled base image;
- a slow network (#250): the dependency downloads of a requirements run took 2.6 times as long;
- builds that ran one after another (#209), a deploy that stopped and started containers one at a time (#233),
  the legacy builder (#214), a failed build (#257).

Deterministic: run it from the repository root to regenerate."""
import datetime
import gzip
import importlib.util
import json
import os
import random

HERE = os.path.dirname(__file__)
spec = importlib.util.spec_from_file_location("samples", os.path.join(HERE, "make-samples.py"))
samples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(samples)

OUT = os.path.join(HERE, "..", "history")
FIRST = 200
COUNT = 64
SHIFT = 240
CODE_FILES = ["app/pages/portfolio.py", "app/charts.py", "flask_app/routes.py", "refresher/cookies.py", "app/static/style.css"]


def kind_of(i):
    if i in (0, 16, 44, 30):
        return "cold"
    if i in (5, 12, 20, 27, 35, 41, 50, 57):
        return "requirements"
    return "no-change" if i % 4 == 3 else "code-only"


def docker_df(rng, cache=None, images=None):
    cache = cache or (rng.uniform(5.5, 9.0), rng.uniform(0.8, 2.0))
    images = images or (rng.randint(17, 22), 3, rng.uniform(3.0, 5.0))
    return ["+ docker system df",
            "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE",
            f"Images          {images[0]:<10d}{images[1]:<10d}{images[2] + 2.1:.2f}GB    {images[2]:.2f}GB ({images[2] / (images[2] + 2.1) * 100:.0f}%)",
            f"Containers      3         3         {rng.uniform(20, 60):.1f}MB    0B (0%)",
            "Local Volumes   2         2         1.21GB    0B (0%)",
            f"Build Cache     {rng.randint(90, 160):<10d}0         {cache[0]:.2f}GB    {cache[1]:.2f}GB"]


def disk(rng, used_share=None):
    size = 102687672
    used = int(size * (used_share or rng.uniform(0.42, 0.58)))
    return ["+ df -P /var/lib/docker", "Filesystem     1024-blocks     Used Available Capacity Mounted on",
            f"/dev/sda1        {size} {used:>9d} {size - used:>9d}      {used * 100 // size}% /"]


def uptime(rng, clock, load=None):
    load = load or rng.uniform(0.2, 1.4)
    return ["+ uptime", f" {clock.strftime('%H:%M:%S')} up 12 days,  3:04,  0 users,  load average: {load:.2f}, {load * 0.9:.2f}, {load * 0.8:.2f}",
            "+ docker info --format 'CPUs: {{.NCPU}}'", "CPUs: 4"]


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".log.gz"):
            os.remove(os.path.join(OUT, old))
    rng = random.Random(2026)
    start = datetime.datetime(2026, 10, 26, 8, 0, 0, tzinfo=datetime.timezone.utc)
    previous = samples.hexdigest(rng, 40)
    expected = {}
    for i in range(COUNT):
        pipeline = FIRST + i
        kind = kind_of(i)
        sha = samples.hexdigest(rng, 40)
        samples.SHA = sha
        clock = start + datetime.timedelta(hours=8 * i, minutes=rng.randint(0, 300))
        options = {}
        cache = images = used = load = None
        hints, regression, note = [], False, None
        if kind == "code-only" and pipeline >= SHIFT:
            options["context"] = 2.3
        files = {"cold": ["Dockerfile", "app/main.py"], "requirements": ["requirements.txt", "app/main.py"],
                 "code-only": rng.sample(CODE_FILES, rng.randint(1, 3)), "no-change": []}[kind]
        if pipeline == 222:
            options["cpu"], load = 1.9, 7.8
            hints, regression, note = ["cpu-contention"], True, "one-off outlier: the machine was busy"
        elif pipeline == 226:
            cache, hints, note = (52.4, 47.9), ["build-cache-large"], "huge build cache"
        elif pipeline == 247:
            used, hints, note = 0.97, ["disk-nearly-full"], "disk nearly full"
        elif pipeline == 253:
            images, hints, note = (87, 3, 31.4), ["images-piling-up"], "images piling up"
        elif pipeline == 230:
            files, hints, note = ["app/pages/portfolio.py"], ["cache-lost"], "cache lost: only code changed, everything rebuilt"
        elif pipeline == 250:
            options["slow"], hints, regression, note = 2.6, ["network"], True, "slow network: dependency downloads"
        elif pipeline == 209:
            options["sequential"], hints, regression, note = True, ["builds-not-parallel"], True, "builds ran one after another"
        elif pipeline == 233:
            options["slow_deploy"], hints, regression, note = True, ["deploy-over-budget"], True, "containers stopped and started one at a time"
        elif pipeline == 214:
            options["legacy"], hints, regression, note = True, ["legacy-builder", "builds-not-parallel"], None, "legacy builder (DOCKER_BUILDKIT=0)"
        elif pipeline == 257:
            options["failing"], hints, note = True, ["failed-build"], "uv cannot resolve the requirements"
        elif pipeline == SHIFT:
            regression, note = True, "level shift: the build context grew"
        preamble = [f"CI_PIPELINE_NUMBER={pipeline}", f"CI_COMMIT_SHA={sha}", "CI_COMMIT_BRANCH=main", "CI_REPO=acme/trading-dashboard",
                    "CI_PIPELINE_EVENT=push", f"CI_PREV_COMMIT_SHA={previous}", "CI_PIPELINE_FILES=" + json.dumps(files, separators=(",", ":"))]
        preamble += docker_df(rng, cache, images) + disk(rng, used) + uptime(rng, clock, load)
        ev = samples.run_events(rng, kind, preamble=preamble, **options)

        def iso(t):
            stamp = clock + datetime.timedelta(milliseconds=round(t * 1000))
            return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
        name = f"{pipeline}-{kind}.log.gz"
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(gzip.compress("".join(f"{iso(t)} {line}\n" for t, line in ev).encode(), mtime=0))
        expected[name] = {"pipeline": pipeline, "class": kind, "failed": pipeline == 257, "hints": hints,
                          "regression": regression, "note": note, "shift": pipeline == SHIFT}
        previous = sha
    with open(os.path.join(OUT, "..", "history-expected.json"), "w") as f:
        json.dump({"shift": {"class": "code-only", "pipeline": SHIFT}, "outlier": 222, "runs": expected}, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
