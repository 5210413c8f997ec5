import Foundation
import PackagePlugin

/// Compiles a target's migrations into it, so an installed binary needs no files beside it: the package's top-level
/// `Migrations/*.sql` (SQLite) into `BuildtimeCore`, `Migrations/postgresql/*.sql` into `BuildtimePostgres`.
@main
struct MigrationEmbedder: BuildToolPlugin {
    /// Each target's folder of migrations and the type the generated file extends.
    static let dialects = [
        "BuildtimeCore": (folder: "Migrations", type: "Migrations", imports: [String]()),
        "BuildtimePostgres": (folder: "Migrations/postgresql", type: "PostgresMigrations", imports: ["BuildtimeCore"]),
    ]

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let dialect = Self.dialects[target.name] else { return [] }
        let folder = context.package.directoryURL.appending(path: dialect.folder)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "\(dialect.type)+Generated.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) migrations into \(target.name)",
                executable: try context.tool(named: "migration-embedder").url,
                arguments: [output.path, "--type", dialect.type] + dialect.imports.flatMap { ["--import", $0] } + files.map(\.path),
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
