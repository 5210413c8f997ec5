import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemRead = Glibc.read
#else
private let systemRead = Darwin.read
#endif

/// A stream of bytes read in chunks: a file, standard input, or a decompressor over another source.
public protocol ByteSource {
    /// Fills the front of `buffer` and returns how many bytes were read; 0 means the end of the stream.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Why bytes could not be read.
public enum ByteSourceError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case readFailed(reason: String)
    case corruptGzip(reason: String)
    case truncatedGzip

    public var description: String {
        switch self {
        case .cannotOpen(_, let reason): "cannot open: \(reason)"
        case .readFailed(let reason): "read failed: \(reason)"
        case .corruptGzip(let reason): "corrupt gzip data: \(reason)"
        case .truncatedGzip: "truncated gzip data: the compressed stream ends early"
        }
    }
}

/// Reads a file descriptor with plain `read(2)` calls, closing it when done if it owns it.
public final class FileByteSource: ByteSource {
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ByteSourceError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        descriptor = fd
        ownsDescriptor = true
    }

    /// Reads from an already open descriptor, such as standard input.
    public init(descriptor: Int32) {
        self.descriptor = descriptor
        ownsDescriptor = false
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let count = systemRead(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ByteSourceError.readFailed(reason: String(cString: strerror(errno)))
        }
    }
}

/// Reads bytes held in memory; used for sniffed prefixes and tests.
public struct MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}

/// Replays bytes already read from a source (while sniffing its format), then continues with the source.
public struct PrefixedByteSource: ByteSource {
    private var prefix: MemoryByteSource
    private var prefixDone = false
    private var base: any ByteSource

    public init(prefix: [UInt8], base: any ByteSource) {
        self.prefix = MemoryByteSource(prefix)
        self.base = base
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !prefixDone {
            let count = try prefix.read(into: buffer)
            if count > 0 { return count }
            prefixDone = true
        }
        return try base.read(into: buffer)
    }
}

/// Inflates gzip data (one or more concatenated members) from another source.
public final class GzipByteSource: ByteSource {
    private var base: any ByteSource
    private var stream = z_stream()
    private var input: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var finished = false

    public init(base: any ByteSource) throws {
        self.base = base
        input = .allocate(byteCount: 1 << 16, alignment: 16)
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        let status = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate()
            throw ByteSourceError.corruptGzip(reason: "zlib could not start (\(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(buffer.count)
        while stream.avail_out == UInt32(buffer.count) {
            if stream.avail_in == 0 && !inputEnded {
                let count = try base.read(into: input)
                if count == 0 { inputEnded = true } else {
                    stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(count)
                }
            }
            if stream.avail_in == 0 && inputEnded {
                // Clean end only right after a member finished (and was reset below).
                if stream.total_in == 0 && stream.total_out == 0 { finished = true; return 0 }
                throw ByteSourceError.truncatedGzip
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                let produced = buffer.count - Int(stream.avail_out)
                // Another gzip member may follow (as `cat a.gz b.gz` makes); trailing zero padding is ignored.
                inflateReset(&stream)
                if stream.avail_in > 0 && stream.next_in.pointee == 0 { stream.avail_in = 0; inputEnded = true }
                if produced > 0 { return produced }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw ByteSourceError.corruptGzip(reason: message)
            }
        }
        return buffer.count - Int(stream.avail_out)
    }
}
