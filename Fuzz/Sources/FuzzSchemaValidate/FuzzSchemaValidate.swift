import JSONSchema

/// Input: a schema, a NUL byte, an instance. Compiling may fail with a SchemaCompileError;
/// validating must terminate, agree between its three modes, and never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchemaValidate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let limits = JSONLimits(maxBytes: 1 << 14, maxDepth: 32, maxStringBytes: 1 << 12, maxContainerCount: 200, maxNumberLength: 100)
    guard let schema = try? JSONParser(limits: limits).parse(bytes: UnsafeBufferPointer(rebasing: bytes[0..<split])) else { return 0 }
    let rest = split < size ? UnsafeBufferPointer(rebasing: bytes[(split + 1)...]) : UnsafeBufferPointer(start: data, count: 0)
    let instance = (try? JSONParser(limits: limits).parse(bytes: rest)) ?? .null
    for assertFormats in [false, true] {
        let options = ValidatorOptions(assertFormats: assertFormats, regexStepBudget: 20_000, maxEvaluationDepth: 64)
        guard let validator = try? JSONSchemaValidator(schema: schema, options: options) else { continue }
        let all = validator.validate(instance, mode: .allErrors)
        let first = validator.validate(instance, mode: .firstError)
        let quick = validator.isValid(instance)
        if all.isValid != first.isValid || first.isValid != quick || all.isValid != all.errors.isEmpty {
            fatalError("validation modes disagree: all=\(all.isValid) first=\(first.isValid) quick=\(quick)")
        }
    }
    return 0
}
