// PID-3 of an ER7 frame, for operators who turned `log.phi` on (never used otherwise).

/// Finds PID-3 (patient identifier list) in raw ER7 bytes without parsing the message.
enum PatientIdentifierPeek {
    /// At most this many bytes of PID-3 are logged.
    static let maxLength = 200

    /// The raw PID-3 field of the first PID segment, or `nil` (no MSH, no PID, XML, empty).
    static func pid3(in bytes: [UInt8]) -> String? {
        guard bytes.count > 8, bytes[0] == 0x4D, bytes[1] == 0x53, bytes[2] == 0x48 else { return nil }
        let separator = bytes[3]
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0D, bytes[end] != 0x0A { end += 1 }
            if end - start > 4, bytes[start] == 0x50, bytes[start + 1] == 0x49, bytes[start + 2] == 0x44, bytes[start + 3] == separator {
                var field = 0
                var fieldStart = start + 4
                var index = start + 4
                while index <= end {
                    if index == end || bytes[index] == separator {
                        field += 1
                        if field == 3 {
                            let value = bytes[fieldStart..<min(index, fieldStart + maxLength)]
                            return value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
                        }
                        fieldStart = index + 1
                    }
                    index += 1
                }
                return nil
            }
            start = end + 1
        }
        return nil
    }
}
