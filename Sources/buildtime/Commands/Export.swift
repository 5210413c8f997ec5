import ArgumentParser
import BuildtimeCore
import Foundation

extension Buildtime {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Send the stored runs where teams already look.",
            subcommands: [Prometheus.self, OTLP.self])
    }
}

extension Buildtime.Export {
    struct Prometheus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prometheus",
            abstract: "Gauges of the newest runs, for Prometheus: printed, written for the textfile collector, or pushed to a Pushgateway.",
            discussion: """
                Per repository: buildtime_run_duration_seconds{class} and buildtime_phase_duration_seconds{class,phase} \
                of each class's newest succeeded run, buildtime_last_success_timestamp_seconds, \
                buildtime_regression{class} (1 when the class's newest comparable run regressed), buildtime_build_cache_bytes \
                and buildtime_disk_free_bytes from the newest run that saw them. Labels: repository, class, phase only. \
                With neither --output nor --pushgateway the exposition goes to standard output.
                """)

        @Option(help: ArgumentHelp("Write the exposition to this file for node_exporter's textfile collector (written beside it, then renamed into place).", valueName: "file.prom"))
        var output: String?

        @Option(help: ArgumentHelp("Push to this Pushgateway (http://host:9091): one group per repository under the job, replaced on each push.", valueName: "url"))
        var pushgateway: String?

        @Option(help: "The Pushgateway job the groups go under.")
        var job = "buildtime"

        @Option(help: ArgumentHelp("How many stored runs (newest first) the verdicts are computed from.", valueName: "runs"))
        var history = 1000

        @Option(help: ArgumentHelp("Seconds to wait for the Pushgateway.", valueName: "seconds"))
        var timeout: Double = 10

        @OptionGroup var store: StoreOptions
        @OptionGroup var config: ConfigOptions

        func validate() throws {
            guard history >= 1 else { throw ValidationError("--history must be at least 1") }
            guard timeout > 0 else { throw ValidationError("--timeout must be more than 0") }
            if let pushgateway, URL(string: pushgateway)?.scheme.map({ ["http", "https"].contains($0) }) != true {
                throw ValidationError("--pushgateway: '\(pushgateway)' is not an http(s) URL")
            }
        }

        func run() async throws {
            let analyzer = RegressionAnalyzer(configuration: try config.load())
            let database = try store.open(.existing)
            try Progress.backfillMetrics(of: database)
            let gauges = try PrometheusGauges(store: database, analyzer: analyzer, history: history)
            if let output { try Self.write(PrometheusRenderer.exposition(gauges), to: output) }
            if let pushgateway {
                for group in gauges.groups { try await push(group, to: pushgateway) }
                Terminal.error("pushed \(gauges.groups.count) group\(gauges.groups.count == 1 ? "" : "s") to \(pushgateway) (job \(job))\n")
            }
            if output == nil && pushgateway == nil { Terminal.out(PrometheusRenderer.exposition(gauges)) }
        }

        /// Writes beside `path` and renames into place: the collector never reads half a file.
        static func write(_ text: String, to path: String) throws {
            let url = URL(fileURLWithPath: path)
            let temporary = url.deletingLastPathComponent().appending(path: ".\(url.lastPathComponent).\(getpid()).tmp")
            do {
                try Data(text.utf8).write(to: temporary)
                guard rename(temporary.path, url.path) == 0 else { throw Failure("cannot rename into \(path): \(String(cString: strerror(errno)))") }
            } catch let failure as Failure {
                try? FileManager.default.removeItem(at: temporary)
                throw failure
            } catch {
                try? FileManager.default.removeItem(at: temporary)
                throw Failure("cannot write \(path): \(error.localizedDescription)")
            }
        }

        /// `PUT /metrics/job/JOB/repository@base64/NAME`: the group is replaced, so a class or phase that is gone goes.
        func push(_ group: PrometheusGauges.Group, to gateway: String) async throws {
            let url = URL(string: gateway.hasSuffix("/") ? String(gateway.dropLast()) : gateway)!
                .appending(path: "metrics/job/\(Self.segment(job))/repository@base64/\(Self.base64URL(group.repository))")
            let request = HTTPExchange.Request(method: .PUT, url: url, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                                               body: Data(PrometheusRenderer.exposition(of: group).utf8), timeout: timeout)
            _ = try await HTTPExchange.send(request, cannot: "cannot push to \(gateway)", peer: "the Pushgateway at \(gateway)")
        }

        /// A label value in a Pushgateway path: base64url, `=` for the empty value (the Pushgateway's own rule).
        static func base64URL(_ value: String) -> String {
            guard !value.isEmpty else { return "=" }
            return Data(value.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        }

        /// A job name in a path segment, percent-encoded.
        static func segment(_ value: String) -> String {
            value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
        }
    }
}
