import HL7
import HL7XML

/// One message read from a file, ready to be sent as one MLLP frame.
public struct OutboundMessage: Sendable {
    /// The file it came from (as given on the command line).
    public var file: String
    /// Its position in the file, from 1.
    public var number: Int
    /// The frame payload: ER7 with CR terminators, or the XML document as read.
    public var bytes: [UInt8]
    /// Its MSH-10, which the ACK's MSA-2 must echo.
    public var controlID: String
    /// Whether it is HL7 v2.xml.
    public var isXML: Bool

    /// Creates a message.
    public init(file: String, number: Int, bytes: [UInt8], controlID: String, isXML: Bool) {
        self.file = file
        self.number = number
        self.bytes = bytes
        self.controlID = controlID
        self.isXML = isXML
    }
}

/// Why a file could not be turned into messages (bad input: nothing is sent).
public struct OutboundMessageFileError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var file: String
    /// The byte offset of the problem, when known.
    public var offset: Int?
    /// A sentence, with the parser's code.
    public var message: String
    public var description: String { "\(file):\(offset.map { "\($0):" } ?? "") \(message)" }
}

/// Reads the messages of a file for sending.
public enum OutboundMessageFile {
    /// The messages in `bytes`: every message of an ER7 file (plain back-to-back messages or an
    /// FHS/BHS batch, whose headers and trailers are not sent), each with its segments ending
    /// in CR; or the one message of an HL7 v2.xml document, sent byte for byte.
    public static func messages(in bytes: [UInt8], file: String) throws(OutboundMessageFileError) -> [OutboundMessage] {
        if HL7XMLReader.looksLikeXML(bytes) {
            let message: HL7Message
            do {
                message = try HL7XMLReader.message(bytes)
            } catch {
                let line = error.line.map { "line \($0): " } ?? ""
                throw OutboundMessageFileError(file: file, offset: error.byteOffset, message: "XML: \(line)\(error.code): \(error.message)")
            }
            return [OutboundMessage(file: file, number: 1, bytes: bytes, controlID: message.header.controlID, isXML: true)]
        }
        let batch: HL7Batch
        do {
            batch = try HL7Batch(parsing: bytes)
        } catch {
            throw OutboundMessageFileError(file: file, offset: error.byteOffset, message: "\(error.code): \(error.descriptionWithoutOffset)")
        }
        guard !batch.messages.isEmpty else {
            throw OutboundMessageFileError(file: file, message: "no HL7 message (MSH segment) in the file")
        }
        return batch.messages.enumerated().map { index, message in
            OutboundMessage(file: file, number: index + 1, bytes: message.serialized(normalizingTerminators: true),
                            controlID: message.header.controlID, isXML: false)
        }
    }
}
