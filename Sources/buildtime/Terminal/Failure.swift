import BuildtimeCore

/// A failure of the work asked for, not of how it was asked: printed as one line ("Error: ..."), exit status 1, no
/// usage text (a usage error, ValidationError, exits 64 with it).
struct Failure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = SafeText.escaped(description) }
}
