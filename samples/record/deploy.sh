#!/bin/sh
# The pipeline of the product brief, shaped like the team's deploy script: three images built in parallel (each build
# timed as a step of the run by a nested `buildtime record --step`), tagged, then the containers replaced in parallel.
# Run it with the stand-in docker next to it:  PATH="$PWD/samples/record:$PATH" buildtime record -- samples/record/deploy.sh
set -e
SHA=${CI_COMMIT_SHA:-0123456789abcdef0123456789abcdef01234567}
IMAGES="trading-dashboard trading-dashboard-flask cookie-refresher"

echo "Building Docker images in parallel..."
pids=""
for image in $IMAGES; do
    buildtime record --step "$image" -- docker build --progress=plain -t "$image:latest" . &
    pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done   # each build's status, so that set -e stops on a failed one
for image in $IMAGES; do docker tag "$image:latest" "$image:$SHA"; done
echo "✅ All images built and tagged"

echo "Stopping old containers..."
for image in $IMAGES; do docker stop "$image" & done
wait
for image in $IMAGES; do docker rm "$image" & done
wait
echo "Starting new containers..."
for image in $IMAGES; do docker run -d --name "$image" "$image:$SHA" & done
wait
echo "✅ All containers deployed successfully"
