/// The version `buildtime --version` prints.
public enum BuildtimeVersion {
    public static let current = "0.9.0"
}
