import BuildtimeCore
import Foundation

/// `buildtime-bench long-lines`: the analysis of logs whose one long line is built to make a backtracking pattern
/// slow (a RUN of many installs, a line without spaces, one of a single repeated word), at growing lengths. Prints
/// the time per MB at each length and its ratio to the shortest: a linear analysis keeps the ratio near 1, a
/// quadratic one multiplies it by the length.
func longLineBenchmark() throws {
    let shapes: [(name: String, unit: String)] = [("many installs", "pip install x && "), ("no spaces", "requirements"), ("one word", "x")]
    let lengths = [70_000, 280_000, 1_120_000, 4_480_000]
    print("shape            " + lengths.map { String(format: "%9.0f kB", Double($0) / 1000) }.joined() + "   (ms per MB; ratio to the first)")
    for shape in shapes {
        var perMB: [Double] = []
        for length in lengths {
            let line = "#5 [2/3] RUN pip install " + String(repeating: shape.unit, count: length / shape.unit.utf8.count)
            let log = "#0 building with \"default\" instance using docker driver\n\(line)\n#5 DONE 1.0s\n"
            let bytes = Array(log.utf8)
            let elapsed = try best(of: 3) {
                let analyzer = try LogAnalyzer(configuration: .default)
                _ = analyzer.summary(reading: try LogReader().read(MemoryByteSource(bytes), into: analyzer))
            }
            perMB.append(elapsed * 1000 / (Double(bytes.count) / 1e6))
        }
        let cells = perMB.map { String(format: "%7.1f ×%-3.1f", $0, $0 / perMB[0]) }
        print(shape.name.padding(toLength: 17, withPad: " ", startingAt: 0) + cells.joined(separator: " "))
    }
}
