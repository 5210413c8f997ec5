import Foundation

/// A step of a recorded run, timed by its own `buildtime record --step NAME -- cmd` inside the run's command: an exact
/// interval, an exit status, and the Docker builds in its own output, not interleaved with anyone else's.
public struct RecordedStep: Sendable, Equatable, Codable {
    public var runKey: String
    public var name: String
    public var startedAt: Date
    public var duration: Double
    public var status: RunStatus
    public var exitCode: Int?
    public var lineCount: Int
    public var images: [ImageBuild]

    public init(runKey: String, name: String, startedAt: Date, duration: Double, status: RunStatus, exitCode: Int?, lineCount: Int, images: [ImageBuild]) {
        self.runKey = runKey
        self.name = name
        self.startedAt = startedAt
        self.duration = duration
        self.status = status
        self.exitCode = exitCode
        self.lineCount = lineCount
        self.images = images
    }

    /// The step a finished recording makes.
    public init(runKey: String, name: String, recorded run: Run) {
        self.init(runKey: runKey, name: name, startedAt: run.startedAt ?? run.recordedAt, duration: run.totalSeconds ?? 0,
                  status: run.status, exitCode: run.exitCode, lineCount: run.lineCount,
                  images: run.images.map { image in
                      var image = image
                      // A step's output is one build's alone: name it after the step when the log does not say.
                      if image.name == nil { image.name = name }
                      return image
                  })
    }
}
