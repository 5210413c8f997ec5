// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "buildtime",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "buildtime", targets: ["buildtime"]),
        .library(name: "BuildtimeCore", targets: ["BuildtimeCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "CByteSearch"),
        .target(name: "CLinux"),
        .target(
            name: "BuildtimeCore",
            dependencies: [
                "CZlib",
                "CByteSearch",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's own API, for the one read that returns a row per run (`points`).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The Docker build parser's per-build state is classes read and written for every line: dynamic
            // exclusivity checks cost a fifth of its time (perf), and the parser never overlaps accesses.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))],
            plugins: ["MigrationEmbedder"]
        ),
        // OTLP's message types, generated from opentelemetry-proto and committed (see its README), and their encoding.
        .target(
            name: "BuildtimeOTLP",
            dependencies: ["BuildtimeCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["README.md"]
        ),
        // The shared team store: the schema of the SQLite store on PostgreSQL (Migrations/postgresql), over postgres-nio.
        .target(
            name: "BuildtimePostgres",
            dependencies: ["BuildtimeCore", .product(name: "PostgresNIO", package: "postgres-nio")],
            plugins: ["MigrationEmbedder"]
        ),
        .executableTarget(
            name: "buildtime",
            dependencies: [
                "BuildtimeCore",
                "BuildtimeOTLP",
                "BuildtimePostgres",
                "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                // `pull`'s client for the Woodpecker API: timeouts on connect and read, requests in flight at once.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(name: "migration-embedder", path: "Sources/migration-embedder"),
        .plugin(name: "MigrationEmbedder", capability: .buildTool(), dependencies: ["migration-embedder"]),
        .target(name: "BuildtimeEvaluation", dependencies: ["BuildtimeCore"], path: "Benchmarks/BuildtimeEvaluation"),
        .executableTarget(name: "buildtime-bench", dependencies: ["BuildtimeCore", "BuildtimeEvaluation", "BuildtimePostgres"], path: "Benchmarks/buildtime-bench"),
        .testTarget(
            name: "BuildtimeCoreTests",
            dependencies: ["BuildtimeCore", "BuildtimeEvaluation", "BuildtimeOTLP", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "BuildtimeEndToEndTests",
            dependencies: ["buildtime", "BuildtimeCore", "BuildtimePostgres", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
