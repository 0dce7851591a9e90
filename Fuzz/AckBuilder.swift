// libFuzzer target: whatever header can be salvaged from arbitrary bytes, the ACK built for it
// must itself parse as one valid message whose MSA-2 echoes the received control id.
// Build and run: scripts/fuzz.sh AckBuilder 60

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAckBuilder(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let buffer = UnsafeBufferPointer(start: data, count: size)
    let header = HL7HeaderPeek.peek(buffer)
    let outcome: HL7Acknowledgment.Outcome = size % 3 == 0 ? .accepted : (size % 3 == 1 ? .error : .rejected)
    let error = HL7Acknowledgment.ErrorDetail(code: .dataTypeError, location: .init(segmentID: "PID", field: size % 30 + 1),
                                              diagnostic: String(decoding: buffer.prefix(40), as: UTF8.self))
    let ack = HL7Acknowledgment.build(for: header, outcome: outcome, errors: [error], controlID: "ACK1",
                                      timestamp: HL7Timestamp(year: 2026, month: 11, day: 29))
    let parsed: HL7Message
    do {
        parsed = try HL7Message(parsing: ack)
    } catch {
        fatalError("ACK does not parse: \(error)\n\(String(decoding: ack, as: UTF8.self))")
    }
    precondition(parsed.header.messageCode == "ACK")
    if let header, HL7Acknowledgment.usable(header.delimiters) {
        let echoed = parsed["MSA-2"].text
        precondition(echoed == header.controlID, "MSA-2 \(echoed) != \(header.controlID)")
    }
    return 0
}
