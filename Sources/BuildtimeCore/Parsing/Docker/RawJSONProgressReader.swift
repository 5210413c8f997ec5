import Foundation

/// BuildKit's `--progress=rawjson`: one `SolveStatus` object a line (`{"vertexes":[...],"statuses":[...],"logs":[...]}`),
/// each vertex reported again as it starts, ends or is found cached.
final class RawJSONProgressReader {
    private let registry: BuildRegistry
    /// Vertices by digest: the same vertex comes back in later objects.
    private var vertices: [String: VertexState] = [:]
    private var declarations = 0

    init(registry: BuildRegistry) { self.registry = registry }

    func read(_ text: UnsafeBufferPointer<UInt8>, time: Double?) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: text)) as? [String: Any] else { return }
        let build = registry.open.last(where: { $0.builder == .buildkitRawJSON }) ?? registry.start(.buildkitRawJSON, time: time)
        build.touch(time)
        for vertex in object["vertexes"] as? [[String: Any]] ?? [] {
            guard let digest = vertex["digest"] as? String else { continue }
            let state: VertexState
            if let known = vertices[digest] {
                state = known
            } else {
                declarations += 1
                state = build.declare(declarations, name: vertex["name"] as? String ?? digest, time: time)
                vertices[digest] = state
            }
            let started = (vertex["started"] as? String).flatMap(Self.parseRFC3339)
            let completed = (vertex["completed"] as? String).flatMap(Self.parseRFC3339)
            if let started, let completed, (0...1e7).contains(completed - started) { state.duration = completed - started }
            if vertex["cached"] as? Bool == true {
                state.status = .cached
            } else if let error = vertex["error"] as? String, !error.isEmpty {
                state.status = error.hasSuffix("context canceled") ? .canceled : .failed
                if state.status == .failed { build.outcome = .failed; build.addError(error) }
            } else if completed != nil {
                state.status = .done
            } else if started != nil, state.status == .pending {
                state.status = .running
            }
        }
        for status in object["statuses"] as? [[String: Any]] ?? [] {
            let id = status["id"] as? String ?? ""
            if id.hasPrefix("extracting sha256:") || (id.hasPrefix("sha256:") && (status["total"] as? Int ?? 0) > 0) { build.basePulled = true }
            if id.hasPrefix("naming to ") { build.name(fromReference: id.dropFirst(10).prefix { $0 != " " }) }
        }
    }

    private static func parseRFC3339(_ text: String) -> Double? {
        // RFC3339Nano: keep microseconds, which Foundation's formatter can hold.
        guard text.count >= 20, !text.hasPrefix("0001-") else { return nil }
        return Array(text.utf8).withUnsafeBufferPointer { TimestampStyle.iso8601.parse($0)?.seconds }
    }
}
