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
        let limit = TimeAmount.milliseconds(Int64(max(request.timeout, 0.001) * 1000))
        var configuration = HTTPClient.Configuration(timeout: .init(connect: limit, read: limit))
        // A refused connection is said at once, not tried again until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let answer: Result<(code: Int, body: Data), any Error>
        do {
            let response = try await client.execute(outgoing, timeout: limit)
            // No collector or gateway answers more than a few kilobytes: an answer over 16 MB is taken for a failure.
            var body = try await response.body.collect(upTo: 16 << 20)
            answer = .success((Int(response.status.code), Data(body.readBytes(length: body.readableBytes) ?? [])))
        } catch {
            answer = .failure(error)
        }
        try? await client.shutdown()
        let (code, body): (Int, Data)
        switch answer {
        case .success(let received): (code, body) = received
        case .failure(let error): throw Failure("\(cannot): \(describe(error, peer: request.url))")
        }
        guard (200..<300).contains(code) else {
            let reason = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure("\(peer) answered \(code)\(reason.isEmpty || reason.contains("\u{0}") ? "" : ": " + reason)")
        }
        return body
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
