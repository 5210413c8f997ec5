import ArgumentParser
import BuildtimeCore
import Foundation

extension Buildtime {
    struct Doctor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check the machine now, without a run: Docker's disk usage and build cache, free disk, load.",
            discussion: "The checks `record` makes at the start of a run, with the hints they give. Exit status 0 even when a check warns.")

        @Option(help: "Output format.")
        var format: OutputFormat = .table

        func run() async throws {
            let capture = ContextCapture(environment: ProcessInfo.processInfo.environment)
            var context = await capture.atStart(MachineSnapshot.now())
            context.changedFiles = nil
            context.changedFilesSource = nil
            let hints = HintEngine().machine(context)
            switch format {
            case .table: Terminal.out(DoctorRenderer.text(context, hints: hints, color: Terminal.stdoutUsesColor))
            case .json: Terminal.out(try DoctorRenderer.json(context, hints: hints))
            }
        }
    }
}
