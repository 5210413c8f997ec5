#!/usr/bin/env python3
"""Writes logs of parallel BuildKit builds interleaved in bursts, each with the truth about every line and build, for
the attribution benchmark (`buildtime-bench attribution`) and its seeded test.

  python3 samples/tools/make-interleavings.py --count 1000 --seed 1 --out DIR

For each log i: DIR/i.log and DIR/i.truth.json = {"mode", "stamps", "owners": [build index or -1 per line],
"sharers": {line: [builds]} for lines of a vertex one daemon ran for several builds (any of them may own each
copy), "images": [facts per build]}. Modes: the team's three different Dockerfiles (most logs), three identical Dockerfiles,
two builds, five builds, and a failed build beside succeeding ones; stamps: ISO-8601 with milliseconds, whole
seconds, or none; a tenth of the logs are indented as Jenkins' timestamper writes them.
"""
import argparse, datetime, json, os, random, sys

sys.path.insert(0, os.path.dirname(__file__))
import buildsim  # noqa: E402

START = datetime.datetime(2026, 11, 2, 9, 14, 3, tzinfo=datetime.timezone.utc)
MODES = ["team"] * 5 + ["identical", "two", "five", "failed"]


def stamp(style, t):
    moment = START + datetime.timedelta(milliseconds=round(t * 1000))
    if style == "ms":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z "
    if style == "s":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ ")
    if style == "jenkins":
        return moment.strftime("%H:%M:%S  ")
    return ""


def one(rng, mode):
    kind = rng.choice(buildsim.KINDS)
    fail = None
    if mode == "team":
        specs = list(buildsim.TEAM)
    elif mode == "identical":
        base = buildsim.TEAM[0]
        specs = [dict(base, image=name, dockerfile="Dockerfile") for name in ("trading-dashboard", "trading-dashboard-flask", "cookie-refresher")]
    elif mode == "two":
        specs = rng.sample(buildsim.TEAM + buildsim.OTHERS, 2)
    elif mode == "five":
        specs = buildsim.TEAM + buildsim.OTHERS
    else:
        specs = list(buildsim.TEAM)
        kind = rng.choice(["cold", "requirements"])
        fail = rng.randrange(len(specs))
    rng.shuffle(specs)
    changes = [rng.random() < 0.6 for _ in specs]
    if kind == "code-only" and not any(changes):
        changes[rng.randrange(len(specs))] = True
    lines, truths = buildsim.parallel_run(rng, specs, kind, start=0.5, fail=fail, announce=rng.random() < 0.85,
                                          commands=rng.random() < 0.7, sha=buildsim.hexdigest(rng, 7), code_changes=changes)
    lines = [(0.0, "+ ./deploy.sh", -1, []), (0.02, "Building Docker images in parallel...", -1, [])] + lines
    return kind, lines, truths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    for i in range(args.count):
        mode = rng.choice(MODES)
        kind, lines, truths = one(rng, mode)
        style = rng.choice(["ms", "ms", "s", "none"])
        if rng.random() < 0.1:
            style = "jenkins"
        indent = " " if style == "jenkins" else ""
        text = "".join(f"{stamp(style, t)}{indent if owner >= 0 else ''}{line}\n" for t, line, owner, _ in lines)
        with open(os.path.join(args.out, f"{i:04d}.log"), "w") as f:
            f.write(text)
        with open(os.path.join(args.out, f"{i:04d}.truth.json"), "w") as f:
            json.dump({"mode": mode, "kind": kind, "stamps": style, "owners": [owner for _, _, owner, _ in lines],
                       "sharers": {str(n): group for n, (_, _, _, group) in enumerate(lines) if group}, "images": truths}, f)


if __name__ == "__main__":
    main()
