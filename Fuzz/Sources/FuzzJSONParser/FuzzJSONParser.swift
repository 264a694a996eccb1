import JSONSchema

/// Any bytes: the parser must return a value or a JSONParseError, never crash or hang.
/// Accepted documents must survive a serialise/parse round trip unchanged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parser = JSONParser(limits: JSONLimits(maxBytes: 1 << 16, maxDepth: 64, maxStringBytes: 1 << 14, maxContainerCount: 1_000, maxNumberLength: 200))
    guard let value = try? parser.parse(bytes: bytes) else { return 0 }
    let text = value.jsonText
    guard let again = try? JSONParser(limits: .documents).parse(text), again == value else {
        fatalError("round trip changed the value: \(text)")
    }
    return 0
}
