import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request of an export (the Pushgateway's PUT, a collector's POST), its failures in one line each.
enum HTTPExchange {
    /// The response body of a 2xx answer. Otherwise a `Failure`: `cannot` with the transport's reason when there is no
    /// answer, or `PEER answered CODE: the body's start` (left out when the body is binary).
    static func send(_ request: URLRequest, cannot: String, peer: String) async throws -> Data {
        let (body, response): (Data, URLResponse)
        do {
            (body, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw Failure("\(cannot): \(error.localizedDescription)")
        }
        let code = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(code) else {
            let reason = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure("\(peer) answered \(code)\(reason.isEmpty || reason.contains("\u{0}") ? "" : ": " + reason)")
        }
        return body
    }
}
