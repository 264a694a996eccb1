enum FormatCheckers {
    static func check(_ kind: FormatKind, _ s: String) -> Bool {
        switch kind {
        case .regex: return (try? ECMARegex(s)) != nil
        case .jsonPointer: return JSONPointer.tokens(s) != nil
        default: return true
        }
    }
}
