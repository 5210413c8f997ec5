import Testing
@testable import BuildtimeCore

@Suite struct ConfigurationTests {
    @Test func phasesWithLiteralAndRegexMarkers() throws {
        let configuration = try Configuration.parse(yaml: """
            phases:
              - name: build
                start: "==> build"
                end: {regex: "^built in [0-9]+s$"}
              - name: push
                start: {literal: "pushing"}
                end: pushed
            """, source: "test.yml")
        #expect(configuration.phases == [
            PhaseDefinition(name: "build", start: .literal("==> build"), end: .regex("^built in [0-9]+s$")),
            PhaseDefinition(name: "push", start: .literal("pushing"), end: .literal("pushed")),
        ])
    }

    @Test func classificationSettings() throws {
        let configuration = try Configuration.parse(yaml: """
            dependency_install: ["npm ci"]
            requirement_files: [package-lock.json]
            budgets:
              cold: {build: [100, 200], total: [120, 220]}
            """, source: "c.yml")
        #expect(configuration.dependencyInstall == ["npm ci"])
        #expect(configuration.requirementFiles == ["package-lock.json"])
        #expect(configuration.budgets == [.cold: ["build": 100...200, "total": 120...220]])
        #expect(configuration.phases == Configuration.default.phases)
    }

    @Test func emptyFileKeepsTheDefaults() throws {
        #expect(try Configuration.parse(yaml: "", source: "empty.yml") == .default)
    }

    @Test(arguments: [
        ("phaes: []", 1, "unknown setting 'phaes' (known: phases, dependency_install, requirement_files, build_files, budgets, regressions)"),
        ("budgets:\n  warm: {build: [1, 2]}\n", 2, "unknown class 'warm' (known: no-change, code-only, requirements, cold)"),
        ("budgets:\n  cold: {build: [240, 180]}\n", 2, "a budget band is [low, high] in seconds, low ≤ high"),
        ("dependency_install: [\"(\"]\n", 1, "invalid regular expression '('"),
        ("phases:\n  - name: build\n    start: a\n", 2, "each phase needs 'name', 'start' and 'end'"),
        ("phases:\n  - name: a\n    start: x\n    end: {regex: \"(\"}\n", 4, "invalid regular expression '('"),
        ("phases:\n  - {name: a, start: x, end: y}\n  - {name: a, start: x, end: y}\n", 3, "phase 'a' is defined twice"),
        ("phases:\n  - name: a\n    start: x\n    end: y\n    colour: red\n", 5, "unknown phase setting 'colour' (known: name, start, end)"),
    ])
    func mistakesAreReportedWithTheirLine(yaml: String, line: Int, reason: String) {
        #expect(throws: ConfigurationError(source: "c.yml", line: line, reason: reason)) {
            try Configuration.parse(yaml: yaml, source: "c.yml")
        }
    }

    @Test func invalidYAMLNamesTheFileAndLine() {
        let error = #expect(throws: ConfigurationError.self) {
            try Configuration.parse(yaml: "phases:\n  - name: [unclosed\n", source: "bad.yml")
        }
        #expect(error?.line != nil)
        #expect(error?.description.hasPrefix("bad.yml:") == true)
    }
}
