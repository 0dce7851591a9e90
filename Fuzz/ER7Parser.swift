// libFuzzer target: arbitrary bytes through the ER7 parser (batch and single message), every
// value accessor, the canonical tree and serialization. Must never trap, hang or leak.
// Build and run: scripts/fuzz.sh ER7Parser 60

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzER7Parser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let batch = try? HL7Batch(parsing: bytes) {
        _ = HL7CanonicalTree.json(batch)
        for message in batch.messages {
            precondition(message.serialized().count <= bytes.count)
            _ = message.header
            try? message.validateCharacterEncoding()
            for segment in message.segments {
                for field in segment.fields {
                    _ = field.text
                    for rep in field.children {
                        for comp in rep.children {
                            for sub in comp.children { _ = sub.formattedText }
                        }
                    }
                }
            }
            // Edits on arbitrary messages must keep them parseable.
            var edited = message
            if (try? edited.set(HL7Path(stringLiteral: "PID-3[2].4.2"), to: "X|Y^Z")) != nil {
                precondition(edited["PID-3[2].4.2"].text == "X|Y^Z")
            }
        }
    }
    if let message = try? HL7Message(parsing: bytes) {
        precondition(message.serialized() == bytes)
    }
    return 0
}
