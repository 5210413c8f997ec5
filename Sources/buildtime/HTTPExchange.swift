import AsyncHTTPClient
import BuildtimeCore
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request of an export (the Pushgateway's PUT, a collector's POST), its failures in one line each. Sent with
/// AsyncHTTPClient, as `pull` does, not with Foundation's URLSession: that would link libcurl and its dozen libraries
/// into every start of buildtime (most of the time `record -- true` adds), and rules out a static build.
enum HTTPExchange {
    struct Request {
        var method: HTTPMethod
        var url: URL
        var headers: [(name: String, value: String)] = []
        var body = Data()
        /// Seconds for the whole exchange: connecting, sending and the answer.
        var timeout: Double
    }

    /// The response body of a 2xx answer. Otherwise a `Failure`: `cannot` with the transport's reason when there is no
    /// answer, or `PEER answered CODE: the body's start` (left out when the body is binary).
    static func send(_ request: Request, cannot: String, peer: String) async throws -> Data {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = request.method
        outgoing.headers.add(name: "User-Agent", value: "buildtime/\(BuildtimeVersion.current)")
        for (name, value) in request.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let client = client(timeout: request.timeout)
        let code: Int, body: Data
        do {
            let response = try await client.execute(outgoing, timeout: timeAmount(request.timeout))
            // No collector or gateway answers more than a few kilobytes: an answer over 16 MB is taken for a failure.
            var bytes = try await response.body.collect(upTo: 16 << 20)
            (code, body) = (Int(response.status.code), Data(bytes.readBytes(length: bytes.readableBytes) ?? []))
            try? await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw Failure("\(cannot): \(describe(error, peer: request.url))")
        }
        guard (200..<300).contains(code) else {
            let reason = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure("\(peer) answered \(code)\(reason.isEmpty || reason.contains("\u{0}") ? "" : ": " + reason)")
        }
        return body
    }

    /// A client that connects, and waits for each answer, at most `timeout` seconds; a refused connection is said at
    /// once (not tried again until the deadline), and up to 3 redirects are followed. Shut it down when done.
    static func client(timeout: Double) -> HTTPClient {
        let limit = timeAmount(timeout)
        var configuration = HTTPClient.Configuration(timeout: .init(connect: limit, read: limit))
        configuration.redirectConfiguration = .follow(max: 3, allowCycles: false)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// `seconds` as NIO's time, between a millisecond and a day: a `--timeout 1e300` or `inf` would not fit in its
    /// nanoseconds (and NaN, which no option lets through, is 10 s).
    static func timeAmount(_ seconds: Double) -> TimeAmount {
        .milliseconds(Int64((seconds.isNaN ? 10 : min(max(seconds, 0.001), 86_400)) * 1000))
    }

    /// What went wrong on the way to `peer`, in words.
    static func describe(_ error: any Error, peer: URL) -> String {
        let server = peer.absoluteString
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "\(server) did not accept a connection in time"
            case .readTimeout, .deadlineExceeded: return "\(server) did not answer in time"
            case .remoteConnectionClosed: return "\(server) closed the connection"
            case .bodyLengthMismatch: return "the answer was cut short"
            default: return "\(client)"
            }
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "\(server) refused the connection" }
        if text.contains("connectTimeout") { return "\(server) did not accept a connection in time" }
        return text
    }
}
