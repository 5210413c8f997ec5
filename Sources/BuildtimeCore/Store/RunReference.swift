/// How a person names a stored run: `latest`, its id (`42`), its CI pipeline (`#240`, as the report writes it), a
/// prefix of its commit (`19154b5`) or of its fingerprint.
public enum RunReferenceError: Error, Equatable, Sendable {
    /// Nothing stored is called that.
    case none(String)
    /// Several runs are; their ids, newest first.
    case ambiguous(String, ids: [Int64])
    case empty
}

extension RunStore {
    /// The one run `reference` names, among the runs of `repo` when given.
    public func run(named reference: String, repo: String? = nil) throws -> Run {
        let reference = reference.trimmingCharacters(in: .whitespaces)
        let ofRepo = { (runs: [Run]) in repo.map { repo in runs.filter { $0.metadata.repo == repo } } ?? runs }
        if reference == "latest" || reference == "last" {
            guard let run = try runs(limit: 1, before: nil, repo: repo).first else { throw RunReferenceError.empty }
            return run
        }
        if reference.hasPrefix("#") {
            guard let number = Int(reference.dropFirst()) else { throw RunReferenceError.none(reference) }
            return try one(of: ofRepo(runs(pipeline: number)), reference)
        }
        if let id = Int64(reference), let run = try run(id: id), repo == nil || run.metadata.repo == repo { return run }
        guard reference.count >= 4 else { throw RunReferenceError.none(reference) }
        if reference.allSatisfy(\.isHexDigit) {
            let commits = ofRepo(try runs(commitPrefix: reference))
            if !commits.isEmpty { return try one(of: commits, reference) }
        }
        return try one(of: ofRepo(runs(fingerprintPrefix: reference.lowercased())), reference)
    }

    private func one(of runs: [Run], _ reference: String) throws -> Run {
        guard let first = runs.first else { throw RunReferenceError.none(reference) }
        guard runs.count == 1 else { throw RunReferenceError.ambiguous(reference, ids: runs.compactMap(\.id)) }
        return first
    }
}
