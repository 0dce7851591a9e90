// libFuzzer target: the header peek must read any bytes without trapping.
// Build and run: scripts/fuzz.sh HeaderPeek 60

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHeaderPeek(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let buffer = UnsafeBufferPointer(start: data, count: size)
    if let header = HL7HeaderPeek.peek(buffer) {
        _ = header.messageType
        _ = header.versionNumbers
        _ = header.characterSet
    }
    return 0
}
