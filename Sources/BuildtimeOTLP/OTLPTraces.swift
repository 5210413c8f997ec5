import BuildtimeCore
import Foundation
import SwiftProtobuf

/// Writes traces of runs as an OTLP `ExportTraceServiceRequest` in protobuf, the body of `POST /v1/traces`
/// (OTLP/HTTP). The message types are generated from the official opentelemetry-proto definitions (v1.11.0) by
/// swift-protobuf's `protoc-gen-swift` and committed (see `Sources/BuildtimeOTLP/README.md`).
public enum OTLPTraces {
    /// The request body for `traces`, all under one resource (`service.name` and the other resource attributes).
    public static func request(_ traces: [RunTrace], resource: [(key: String, value: String)]) throws -> Data {
        var request = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest()
        var spans = Opentelemetry_Proto_Trace_V1_ResourceSpans()
        spans.resource.attributes = resource.map { keyValue($0.key, .string($0.value)) }
        var scope = Opentelemetry_Proto_Trace_V1_ScopeSpans()
        scope.scope.name = "buildtime"
        scope.scope.version = BuildtimeVersion.current
        scope.spans = traces.flatMap { trace in trace.spans.map { span(of: $0, in: trace) } }
        spans.scopeSpans = [scope]
        request.resourceSpans = [spans]
        return try request.serializedData()
    }

    /// How many spans a response says were rejected, and why (`partial_success`); nil when all were taken.
    public static func rejected(in response: Data) -> (count: Int, message: String)? {
        guard let decoded = try? Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse(serializedBytes: response),
              decoded.hasPartialSuccess, decoded.partialSuccess.rejectedSpans > 0 else { return nil }
        return (Int(decoded.partialSuccess.rejectedSpans), decoded.partialSuccess.errorMessage)
    }

    private static func span(of span: RunTrace.Span, in trace: RunTrace) -> Opentelemetry_Proto_Trace_V1_Span {
        var out = Opentelemetry_Proto_Trace_V1_Span()
        out.traceID = Data(trace.traceID)
        out.spanID = Data(span.spanID)
        if let parent = span.parentID { out.parentSpanID = Data(parent) }
        out.name = span.name
        out.kind = span.kind == .server ? .server : .internal
        out.startTimeUnixNano = nanoseconds(span.start)
        out.endTimeUnixNano = max(out.startTimeUnixNano, nanoseconds(span.end))
        out.attributes = span.attributes.map { keyValue($0.key, $0.value) }
        switch span.status {
        case .unset: break
        case .ok: out.status.code = .ok
        case .error(let message):
            out.status.code = .error
            out.status.message = message
        }
        return out
    }

    private static func keyValue(_ key: String, _ value: RunTrace.Span.Value) -> Opentelemetry_Proto_Common_V1_KeyValue {
        var pair = Opentelemetry_Proto_Common_V1_KeyValue()
        pair.key = key
        switch value {
        case .string(let text): pair.value.stringValue = text
        case .int(let number): pair.value.intValue = Int64(number)
        case .bool(let flag): pair.value.boolValue = flag
        }
        return pair
    }

    /// Nanoseconds since 1970, 0 for a time before it.
    static func nanoseconds(_ date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        guard seconds > 0, seconds < 1.8e10 else { return 0 }
        return UInt64((seconds * 1e9).rounded())
    }
}
