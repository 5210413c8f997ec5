import Foundation

/// Forwards SIGINT, SIGTERM and SIGHUP to the command instead of dying of them. Installed before anything else, so a
/// signal that comes while the command is starting is held and delivered once it runs.
final class SignalForwarding: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var target: (@Sendable (Int32) -> Void)?
    private var held: [Int32] = []
    private var count = 0

    init() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in self?.deliver(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    /// From now on, signals go to `forward`; any held ones go at once.
    func forward(to forward: @escaping @Sendable (Int32) -> Void) {
        lock.lock()
        target = forward
        let pending = held
        held = []
        lock.unlock()
        for signal in pending { forward(signal) }
    }

    /// How many signals have come so far.
    var received: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    private func deliver(_ signal: Int32) {
        lock.lock()
        count += 1
        let target = self.target
        if target == nil { held.append(signal) }
        lock.unlock()
        target?(signal)
    }

    func stop() {
        lock.lock()
        target = nil
        lock.unlock()
        for source in sources { source.cancel() }
    }
}
