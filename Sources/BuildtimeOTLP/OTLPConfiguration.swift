import Foundation

/// Where and how traces are sent, from the standard `OTEL_*` variables and buildtime's own flags (which win):
/// - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is used as is; `OTEL_EXPORTER_OTLP_ENDPOINT` and `--endpoint` get
///   `/v1/traces` appended (unless they end with it already);
/// - `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS`: `key=value,key2=value2`, values
///   percent-decoded (the traces' own win);
/// - `OTEL_EXPORTER_OTLP_TIMEOUT` and `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT` in milliseconds (default 10 000);
/// - `OTEL_SERVICE_NAME` (default `buildtime`) and `OTEL_RESOURCE_ATTRIBUTES` (`key=value,...`) for the resource.
/// Only `http/protobuf` is spoken: `OTEL_EXPORTER_OTLP_PROTOCOL` of another value is an error, not ignored.
public struct OTLPConfiguration: Sendable, Equatable {
    public var url: URL
    public var headers: [String: String]
    public var timeout: Double
    public var resource: [String: String]

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Nil when no endpoint is given anywhere.
    public init?(environment: [String: String], endpoint: String? = nil, timeout: Double? = nil, serviceName: String? = nil) throws {
        let base: String
        var url: String
        if let endpoint {
            base = endpoint
            url = Self.appendingTracesPath(endpoint)
        } else if let traces = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !traces.isEmpty {
            base = traces
            url = traces
        } else if let general = environment["OTEL_EXPORTER_OTLP_ENDPOINT"], !general.isEmpty {
            base = general
            url = Self.appendingTracesPath(general)
        } else {
            return nil
        }
        url = url.trimmingCharacters(in: .whitespaces)
        guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw Invalid(description: "the OTLP endpoint '\(base)' is not an http(s) URL")
        }
        for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
            if let value = environment[name], !value.isEmpty, value != "http/protobuf" {
                throw Invalid(description: "\(name)=\(value): buildtime sends OTLP over HTTP with protobuf only (http/protobuf)")
            }
        }
        self.url = parsed
        headers = try Self.pairs(environment["OTEL_EXPORTER_OTLP_HEADERS"], name: "OTEL_EXPORTER_OTLP_HEADERS")
            .merging(try Self.pairs(environment["OTEL_EXPORTER_OTLP_TRACES_HEADERS"], name: "OTEL_EXPORTER_OTLP_TRACES_HEADERS")) { $1 }
        if let timeout {
            self.timeout = timeout
        } else if let millis = (environment["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] ?? environment["OTEL_EXPORTER_OTLP_TIMEOUT"]).flatMap(Double.init), millis > 0 {
            self.timeout = millis / 1000
        } else {
            self.timeout = 10
        }
        resource = try Self.pairs(environment["OTEL_RESOURCE_ATTRIBUTES"], name: "OTEL_RESOURCE_ATTRIBUTES")
        resource["service.name"] = serviceName ?? environment["OTEL_SERVICE_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? resource["service.name"] ?? "buildtime"
    }

    /// The resource's attributes in a stable order.
    public var resourceAttributes: [(key: String, value: String)] { resource.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) } }

    static func appendingTracesPath(_ endpoint: String) -> String {
        var base = endpoint.trimmingCharacters(in: .whitespaces)
        if base.hasSuffix("/v1/traces") { return base }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/traces"
    }

    /// `key=value,key2=value2` with percent-encoded values (the OTel rule for headers and resource attributes).
    static func pairs(_ text: String?, name: String) throws -> [String: String] {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return [:] }
        var out: [String: String] = [:]
        for item in text.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { throw Invalid(description: "\(name): '\(item)' is not key=value") }
            let key = item[..<equals].trimmingCharacters(in: .whitespaces)
            let value = item[item.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw Invalid(description: "\(name): '\(item)' has no key") }
            out[key] = value.removingPercentEncoding ?? value
        }
        return out
    }
}
