#!/usr/bin/env python3
"""A loopback OTLP/HTTP trace receiver for buildtime's tests: decodes each POST /v1/traces with the official
OpenTelemetry protobuf definitions (PyPI `opentelemetry-proto`) and appends one JSON line per span to --out.

  python3 otlp_receiver.py --out spans.jsonl [--status 503] [--hang SECONDS]

Prints `listening on PORT` once ready. --status answers every request with that status; --hang waits that long
before answering (a collector that holds the connection).
"""
import argparse, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.trace.v1 import trace_pb2


def value(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--status", type=int, default=200)
    parser.add_argument("--hang", type=float, default=0)
    args = parser.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if args.hang:
                time.sleep(args.hang)
            if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_response(415 if self.path == "/v1/traces" else 404)
                self.end_headers()
                return
            if args.status != 200:
                self.send_response(args.status)
                self.end_headers()
                self.wfile.write(b"unavailable")
                return
            request = trace_service_pb2.ExportTraceServiceRequest()
            request.ParseFromString(body)
            with open(args.out, "a") as out:
                for resource_spans in request.resource_spans:
                    resource = {kv.key: value(kv.value) for kv in resource_spans.resource.attributes}
                    for scope_spans in resource_spans.scope_spans:
                        for span in scope_spans.spans:
                            out.write(json.dumps({
                                "trace": span.trace_id.hex(), "span": span.span_id.hex(), "parent": span.parent_span_id.hex(),
                                "name": span.name, "kind": trace_pb2.Span.SpanKind.Name(span.kind),
                                "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                                "attributes": {kv.key: value(kv.value) for kv in span.attributes},
                                "status": trace_pb2.Status.StatusCode.Name(span.status.code), "resource": resource,
                                "scope": scope_spans.scope.name, "headers": {"x-test": self.headers.get("x-test")},
                            }) + "\n")
            answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
