import Prometheus

/// The exposition format of `PrometheusGauges`, made by swift-prometheus: for the node_exporter textfile collector
/// (every repository, labelled) or for one Pushgateway group (its repository in the group's key, not in the labels).
public enum PrometheusRenderer {
    /// Every group's gauges, each with its `repository` label.
    public static func exposition(_ gauges: PrometheusGauges) -> String {
        render(gauges.groups.flatMap(\.gauges), dropping: [])
    }

    /// One group's gauges without the labels its Pushgateway grouping key gives (`repository`).
    public static func exposition(of group: PrometheusGauges.Group) -> String {
        render(group.gauges, dropping: ["repository"])
    }

    /// Each gauge's name in its parts (namespace, name, base unit) and its help.
    static var descriptors: [String: MetricNameDescriptor] {
        Dictionary(uniqueKeysWithValues: [
        MetricNameDescriptor(namespace: "buildtime", metricName: "run_duration", unitName: "seconds",
                             helpText: "Duration of the newest succeeded run of each class, first to last timestamped line."),
        MetricNameDescriptor(namespace: "buildtime", metricName: "phase_duration", unitName: "seconds",
                             helpText: "Duration of each phase of the newest succeeded run of each class."),
        MetricNameDescriptor(namespace: "buildtime", metricName: "last_success_timestamp", unitName: "seconds",
                             helpText: "Unix time at which the newest succeeded run ended."),
        MetricNameDescriptor(namespace: "buildtime", metricName: "regression", unitName: "",
                             helpText: "1 when the newest comparable run of the class regressed against its baseline, else 0."),
        MetricNameDescriptor(namespace: "buildtime", metricName: "build_cache", unitName: "bytes",
                             helpText: "Size of the Docker build cache in the newest run that printed docker system df."),
        MetricNameDescriptor(namespace: "buildtime", metricName: "disk_free", unitName: "bytes",
                             helpText: "Free space on the disk holding Docker's data in the newest run that measured it."),
        ].map { ($0.name, $0) })
    }

    /// One registry per gauge, in the order the gauges come, and each gauge's samples sorted: the same gauges give
    /// the same bytes (a textfile under version control, or compared, does not churn).
    private static func render(_ gauges: [PrometheusGauges.Gauge], dropping dropped: Set<String>) -> String {
        let descriptors = Self.descriptors
        var names: [String] = []
        var registries: [String: PrometheusCollectorRegistry] = [:]
        for gauge in gauges {
            if registries[gauge.name] == nil {
                names.append(gauge.name)
                registries[gauge.name] = PrometheusCollectorRegistry()
            }
            let labels = gauge.labels.filter { !dropped.contains($0.name) }.map { ($0.name, $0.value) }
            let descriptor = descriptors[gauge.name] ?? MetricNameDescriptor(metricName: gauge.name, unitName: "", helpText: "")
            registries[gauge.name]!.makeGauge(descriptor: descriptor, labels: labels).set(gauge.value)
        }
        return names.map { name in
            var buffer: [UInt8] = []
            registries[name]!.emit(into: &buffer)
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n")
            return (lines.filter { $0.hasPrefix("#") } + lines.filter { !$0.hasPrefix("#") }.sorted()).map { $0 + "\n" }.joined()
        }.joined()
    }
}
