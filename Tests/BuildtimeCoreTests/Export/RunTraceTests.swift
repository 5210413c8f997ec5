import Foundation
import Testing
@testable import BuildtimeCore
@testable import BuildtimeOTLP

/// Runs as OpenTelemetry traces: the span tree of a stored run at its real times, the same ids every time, and the
/// OTLP protobuf that the generated types read back; the `OTEL_*` variables as the specification reads them.
@Suite struct RunTraceTests {
    static let runs = PrometheusTests.history.runs

    @Test func aRunIsARootSpanWithItsPhasesImagesAndStepsAtTheirTimes() throws {
        let run = try #require(Self.runs.last { $0.images.count == 3 && $0.startedAt != nil })
        let trace = try #require(RunTrace(run: run))
        let root = try #require(trace.spans.first)
        #expect(root.kind == .server && root.parentID == nil && root.start == run.startedAt)
        #expect(root.end == run.startedAt!.addingTimeInterval(run.totalSeconds!))
        #expect(root["cicd.pipeline.run.id"] == .string(String(run.metadata.pipelineNumber!)))
        #expect(root["vcs.ref.head.revision"] == .string(run.metadata.commit!))
        #expect(root["buildtime.class"] == .string(run.classification.runClass!.rawValue))
        #expect(trace.spans.dropFirst().allSatisfy { $0.kind == .internal && $0.parentID != nil })
        // Each phase under the root, at its offsets.
        for phase in run.phases {
            let span = try #require(trace.spans.first { $0.name == phase.name })
            #expect(span.parentID == root.spanID)
            #expect(span.start == run.startedAt!.addingTimeInterval(phase.startOffset!))
            #expect(abs(span.end.timeIntervalSince(span.start) - phase.duration!) < 1e-6)
        }
        // Each image under the phase its start falls in, each of its steps under it, cached or not.
        let build = try #require(trace.spans.first { $0.name == "build" })
        for image in run.images {
            let span = try #require(trace.spans.first { $0.name == "docker build \(image.name!)" })
            #expect(span.parentID == build.spanID)
            #expect(span["buildtime.class"] == .string(image.classification.runClass!.rawValue))
            let steps = trace.spans.filter { $0.parentID == span.spanID }
            #expect(steps.count == image.steps.filter { $0.startOffset != nil }.count)
            #expect(steps.filter { $0["buildtime.step.cached"] == .bool(true) }.count == image.steps.filter { $0.status == .cached && $0.startOffset != nil }.count)
        }
        // Ids: unique in the trace, the same for the same run.
        #expect(Set(trace.spans.map(\.spanID)).count == trace.spans.count)
        #expect(RunTrace(run: run) == trace)
        #expect(RunTrace(run: Self.runs.first!)!.traceID != trace.traceID)
    }

    @Test func aRunWithNoStartTimeHasNoTrace() throws {
        var run = try #require(Self.runs.first)
        run.startedAt = nil
        #expect(RunTrace(run: run) == nil)
    }

    @Test func theProtobufReadsBackSpanForSpan() throws {
        let traces = Self.runs.suffix(3).compactMap(RunTrace.init(run:))
        let body = try OTLPTraces.request(traces, resource: [(key: "service.name", value: "buildtime")])
        let request = try Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest(serializedBytes: body)
        let spans = request.resourceSpans.flatMap(\.scopeSpans).flatMap(\.spans)
        #expect(spans.count == traces.reduce(0) { $0 + $1.spans.count })
        #expect(request.resourceSpans.first?.resource.attributes.first { $0.key == "service.name" }?.value.stringValue == "buildtime")
        let first = try #require(traces.first?.spans.first)
        let decoded = try #require(spans.first)
        #expect(decoded.traceID == Data(traces.first!.traceID) && decoded.spanID == Data(first.spanID) && decoded.parentSpanID.isEmpty)
        #expect(decoded.kind == .server && decoded.name == first.name)
        #expect(decoded.startTimeUnixNano == UInt64((first.start.timeIntervalSince1970 * 1e9).rounded()))
        #expect(decoded.status.code == .ok)
    }

    @Test func theOTELVariablesAreReadAsTheSpecificationSays() throws {
        #expect(try OTLPConfiguration(environment: [:]) == nil)
        let general = try #require(try OTLPConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"]))
        #expect(general.url.absoluteString == "http://collector:4318/v1/traces")
        #expect(general.timeout == 10 && general.resource == ["service.name": "buildtime"])
        let traces = try #require(try OTLPConfiguration(environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/otlp",
            "OTEL_EXPORTER_OTLP_HEADERS": "api-key=a%20b,x=1", "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x=2",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500", "OTEL_SERVICE_NAME": "deploys", "OTEL_RESOURCE_ATTRIBUTES": "team=infra,service.name=other",
        ]))
        #expect(traces.url.absoluteString == "https://traces.example/otlp")
        #expect(traces.headers == ["api-key": "a b", "x": "2"])
        #expect(traces.timeout == 2.5)
        #expect(traces.resource == ["service.name": "deploys", "team": "infra"])
        // The flag wins, and gets the path.
        #expect(try OTLPConfiguration(environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://a/x"], endpoint: "http://b:4318")?.url.absoluteString == "http://b:4318/v1/traces")
        #expect(throws: OTLPConfiguration.Invalid.self) { try OTLPConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"]) }
        #expect(throws: OTLPConfiguration.Invalid.self) { try OTLPConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) }
        #expect(throws: OTLPConfiguration.Invalid.self) { try OTLPConfiguration(environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_HEADERS": "novalue"]) }
    }
}
