import HL7
import HL7XML

/// Parsing for CLI commands: ER7 or HL7 v2.xml (sniffed: first non-blank byte after an optional
/// byte-order mark is `<`). Errors become ``CLIError``s naming the file and position.
enum ParsedInput {
    static func batch(_ bytes: [UInt8], file: String) throws(CLIError) -> HL7Batch {
        if HL7XMLReader.looksLikeXML(bytes) {
            do {
                return try HL7XMLReader.batch(bytes)
            } catch {
                let line = error.line.map { "line \($0): " } ?? ""
                throw CLIError(file: file, offset: error.byteOffset, "XML: \(line)\(error.code): \(error.message) (HL7 error \(error.hl7ErrorCode.code))")
            }
        }
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
