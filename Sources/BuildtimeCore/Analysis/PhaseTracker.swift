/// Watches a log's lines for the phase markers and measures each phase from its start marker to its end marker.
/// The same line may end one phase and start the next.
final class PhaseTracker {
    private struct State {
        let definition: PhaseDefinition
        let start: MarkerMatcher
        let end: MarkerMatcher
        var startLine: Int?
        var startTime: Double?
        var endLine: Int?
        var endTime: Double?
    }

    private var states: [State]
    /// Phases whose markers are not all seen yet; once empty, lines cost nothing more.
    private var open: [Int]

    init(phases: [PhaseDefinition]) throws {
        states = try phases.map { State(definition: $0, start: try MarkerMatcher($0.start), end: try MarkerMatcher($0.end)) }
        open = Array(states.indices)
    }

    func consume(_ line: LogLine) {
        guard !open.isEmpty else { return }
        var closed = false
        for index in open {
            if states[index].startLine == nil {
                if states[index].start.matches(line.text) {
                    states[index].startLine = line.number
                    states[index].startTime = line.time
                }
            } else if states[index].end.matches(line.text) {
                states[index].endLine = line.number
                states[index].endTime = line.time
                closed = true
            }
        }
        if closed { open.removeAll { states[$0].endLine != nil } }
    }

    /// Every phase as measured, with `origin` (the run's first time) as offset zero.
    func timings(origin: Double?) -> [PhaseTiming] {
        states.map { state in
            var timing = PhaseTiming(name: state.definition.name, startLine: state.startLine, endLine: state.endLine)
            if state.startLine == nil {
                timing.missingMarker = .start
            } else if state.endLine == nil {
                timing.missingMarker = .end
            }
            if let start = state.startTime, let origin { timing.startOffset = start - origin }
            if let start = state.startTime, let end = state.endTime { timing.duration = end - start }
            return timing
        }
    }
}
