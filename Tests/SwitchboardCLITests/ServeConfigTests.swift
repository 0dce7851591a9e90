// `serve --config FILE` refuses a bad file before starting, naming the file and the key.
import Foundation
import SwitchboardTestSupport
import Testing

@Suite("serve --config")
struct ServeConfigTests {
    @Test func aBadValueStopsStartUpWithItsKeyAndExitStatus2() throws {
        let path = NSTemporaryDirectory() + "serve-config-\(UUID().uuidString).yaml"
        try "mllp:\n  max_connections: many\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try runSwitchboard(["serve", "--config", path, "--listen", "127.0.0.1:0", "--state", NSTemporaryDirectory() + "never-created"])
        #expect(result.status == 2)
        #expect(result.errorOutput.contains("\(path):2: mllp.max_connections: expected an integer"))
    }
}
