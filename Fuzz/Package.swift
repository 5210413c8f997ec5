// swift-tools-version: 6.0
// The fuzz targets, a package of their own: they build only with libFuzzer's runtime and coverage instrumentation of
// every module (Fuzz/run.sh gives the flags), which the product's `swift build` must not have.
import Foundation
import PackageDescription

/// SwiftPM names a package at a path after its folder: the repository's folder, whatever it is called here.
let product = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "buildtime-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "buildtime-fuzz",
            dependencies: [.product(name: "BuildtimeCore", package: product), .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ]
)
