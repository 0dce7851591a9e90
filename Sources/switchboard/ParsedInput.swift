import HL7

/// Parsing for CLI commands: errors become ``CLIError``s naming the file and byte offset.
enum ParsedInput {
    static func batch(_ bytes: [UInt8], file: String) throws(CLIError) -> HL7Batch {
        do {
            return try HL7Batch(parsing: bytes)
        } catch {
            throw CLIError(file: file, offset: error.byteOffset, "\(error.code): \(error.descriptionWithoutOffset)")
        }
    }
}

/// ER7 output for CLI commands.
enum ER7Output {
    /// The input with every segment ending in CR and blank lines dropped.
    static func normalized(_ batch: HL7Batch) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(batch.bytes.count + 1)
        for segment in batch.segments {
            out.append(contentsOf: segment.rawBytes)
            out.append(13)
        }
        return out
    }
}
