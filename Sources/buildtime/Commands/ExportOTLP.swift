import ArgumentParser
import BuildtimeCore
import BuildtimeOTLP
import Foundation
import Synchronization

extension Buildtime.Export {
    struct OTLP: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "otlp",
            abstract: "Send stored runs as OpenTelemetry traces (OTLP over HTTP, protobuf).",
            discussion: """
                Each run is one trace: a SERVER span for the pipeline run (cicd.pipeline.name, cicd.pipeline.run.id, \
                cicd.pipeline.result, vcs.repository.name, vcs.ref.head.name, vcs.ref.head.revision, buildtime.class) \
                and INTERNAL spans for its phases, recorded steps, image builds and their build steps, at the run's real \
                times. Trace and span ids come from the run's fingerprint: sending a run again makes the same trace. A run \
                with no absolute start time (an unstamped log) is skipped, with a message. The endpoint comes from \
                --endpoint, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is), else OTEL_EXPORTER_OTLP_ENDPOINT (with \
                /v1/traces appended); OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TIMEOUT (ms), OTEL_SERVICE_NAME and \
                OTEL_RESOURCE_ATTRIBUTES are honoured. Without --run, --since or --last, the newest run is sent.
                """)

        @Option(help: ArgumentHelp("The collector (http://host:4318): /v1/traces is appended unless given.", valueName: "url"))
        var endpoint: String?

        @Option(name: .customLong("run"), help: ArgumentHelp("A run to send: an id, #PIPELINE, a commit prefix, latest, a fingerprint prefix (repeatable).", valueName: "run"))
        var runs: [String] = []

        @Option(help: ArgumentHelp("Send the runs that started on or after this date (2026-11-02 or 2026-11-02T09:00:00Z).", valueName: "date"))
        var since: String?

        @Option(help: ArgumentHelp("Send the newest N runs.", valueName: "N"))
        var last: Int?

        @Flag(help: "Send again the runs sent to this collector before (by default each run is sent once).")
        var all = false

        @Option(help: ArgumentHelp("Seconds to wait for the collector (default: OTEL_EXPORTER_OTLP_TIMEOUT, else 10).", valueName: "seconds"))
        var timeout: Double?

        @OptionGroup var store: StoreOptions

        func validate() throws {
            if let last, last < 1 { throw ValidationError("--last must be at least 1") }
            if let timeout, timeout <= 0 { throw ValidationError("--timeout must be more than 0") }
            if let since, Self.date(since) == nil { throw ValidationError("--since: '\(since)' is not a date (2026-11-02 or 2026-11-02T09:00:00Z)") }
            if [!runs.isEmpty, since != nil, last != nil].filter({ $0 }).count > 1 { throw ValidationError("give one of --run, --since and --last") }
        }

        func run() async throws {
            let configuration: OTLPConfiguration
            do {
                guard let found = try OTLPConfiguration(environment: ProcessInfo.processInfo.environment, endpoint: endpoint, timeout: timeout) else {
                    throw ValidationError("no collector: give --endpoint, or set OTEL_EXPORTER_OTLP_ENDPOINT")
                }
                configuration = found
            } catch let invalid as OTLPConfiguration.Invalid {
                throw Failure(invalid.description)
            }
            let database = try store.open(.existing)
            let target = "otlp " + configuration.url.absoluteString
            var sent = 0, spans = 0, before = 0, unstamped = 0
            // A page at a time: a year of runs is never held, nor sent in one request.
            func send(_ page: [BuildtimeCore.Run], remembered: Bool) async throws {
                let known = remembered && !all ? try database.exported(runIDs: page.compactMap(\.id), target: target) : []
                before += page.filter { $0.id.map(known.contains) ?? false }.count
                var traces: [(id: Int64?, trace: RunTrace)] = []
                for run in page where !(run.id.map(known.contains) ?? false) {
                    guard let trace = RunTrace(run: run) else {
                        unstamped += 1
                        Terminal.error("buildtime: skipped run \(run.id.map(String.init) ?? "?"): it has no absolute start time (an unstamped log)\n")
                        continue
                    }
                    traces.append((run.id, trace))
                }
                // Oldest first, in requests of at most 50 traces.
                traces.reverse()
                for start in stride(from: 0, to: traces.count, by: 50) {
                    let batch = traces[start..<min(start + 50, traces.count)]
                    try await OTLPSender.send(batch.map(\.trace), with: configuration)
                    try database.markExported(runIDs: batch.compactMap(\.id), target: target, at: Date())
                    sent += batch.count
                    spans += batch.reduce(0) { $0 + $1.trace.spans.count }
                }
            }
            if !runs.isEmpty {
                // Runs named are sent, whether sent before or not.
                try await send(try runs.map { try database.run(named: $0) }, remembered: false)
            } else if let last {
                try await send(try database.runs(limit: last), remembered: true)
            } else {
                let from = since.flatMap(Self.date)
                var cursor: RunCursor?
                while true {
                    let page = try database.runs(limit: 500, before: cursor)
                    let wanted = from.map { from in page.filter { ($0.startedAt ?? $0.recordedAt) >= from } } ?? page
                    try await send(wanted, remembered: true)
                    guard wanted.count == page.count, page.count == 500, let oldest = page.last, let id = oldest.id else { break }
                    cursor = RunCursor(time: (oldest.startedAt ?? oldest.recordedAt).timeIntervalSince1970, id: id)
                }
            }
            var again = before > 0 ? "; \(before) sent there before (--all sends them again)" : ""
            if unstamped > 0 { again += "; \(unstamped) without a start time skipped" }
            if sent == 0 {
                Terminal.error("buildtime: nothing to send to \(configuration.url.absoluteString)\(again)\n")
            } else {
                Terminal.error("sent \(sent) trace\(sent == 1 ? "" : "s") (\(spans) spans) to \(configuration.url.absoluteString)\(again)\n")
            }
        }

        static func date(_ text: String) -> Date? {
            let full = ISO8601DateFormatter()
            if let date = full.date(from: text) { return date }
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            return day.date(from: text)
        }
    }
}

/// Posts traces to an OTLP/HTTP collector.
enum OTLPSender {
    static func send(_ traces: [RunTrace], with configuration: OTLPConfiguration) async throws {
        let request = HTTPExchange.Request(method: .POST, url: configuration.url,
                                           headers: [("Content-Type", "application/x-protobuf")] + configuration.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                           body: try OTLPTraces.request(traces, resource: configuration.resourceAttributes), timeout: configuration.timeout)
        let body = try await HTTPExchange.send(request, cannot: "cannot send traces to \(configuration.url.absoluteString)",
                                               peer: "the collector at \(configuration.url.absoluteString)")
        if let rejected = OTLPTraces.rejected(in: body) {
            Terminal.warn("the collector rejected \(rejected.count) span\(rejected.count == 1 ? "" : "s")\(rejected.message.isEmpty ? "" : ": " + rejected.message)")
        }
    }

    /// Sends one run's trace within `limit` seconds however the collector behaves (refused, hanging, slow, failing):
    /// a deploy is never held up by it. One warning line when it could not be sent; the run stays stored, and `export
    /// otlp --run ID` sends it later.
    @discardableResult
    static func sendLive(_ run: BuildtimeCore.Run, with configuration: OTLPConfiguration, limit: Double = 2) async -> Bool {
        guard let trace = RunTrace(run: run) else { return false }
        var bounded = configuration
        bounded.timeout = min(configuration.timeout, limit)
        let sending = Task { try await send([trace], with: bounded) }
        // Whichever comes first, the answer or the limit; a collector that holds the connection is left behind.
        let outcome: Result<Void, any Error>? = await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task { once.resume(with: await sending.result) }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(limit * 1000)))
                once.resume(with: nil)
            }
        }
        switch outcome {
        case .success?: return true
        case .failure(let error)?:
            Terminal.warn("the trace was not sent (\(Terminal.describe(error))); `buildtime export otlp` sends it later")
            return false
        case nil:
            sending.cancel()
            Terminal.warn("the trace was not sent within \(Int(limit)) s; `buildtime export otlp` sends it later")
            return false
        }
    }
}

/// Resumes a continuation with the first value given, once.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let state: Mutex<CheckedContinuation<Value, Never>?>
    init(_ continuation: CheckedContinuation<Value, Never>) { state = Mutex(continuation) }
    func resume(with value: Value) {
        state.withLock { continuation in
            continuation?.resume(returning: value)
            continuation = nil
        }
    }
}
